//===- Limits.h - What user input may make the process use ------*- C++ -*-===//
//
// Input never makes nnc or nnc-repl abort: a source is read only up to a
// size limit, from files that end, and memory the REPL allocates for
// generated code is first weighed against what this process may still
// allocate (physical memory, `ulimit -v`, `ulimit -d`).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_LIMITS_H
#define NNC_SUPPORT_LIMITS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace nnc {

/// The default largest source file, in bytes: far above any real program
/// (the hostile-input tests' 100,000-line files are a few MiB), far below
/// what parsing could hold in memory.
constexpr uint64_t DefaultMaxInputBytes = uint64_t(64) << 20;

/// Reads a source into memory: \p Path, or standard input for "-". A
/// regular file larger than \p MaxBytes is refused before it is read; a
/// pipe or standard input is read up to \p MaxBytes and refused past it;
/// directories, devices and sockets (/dev/zero, /dev/urandom never end)
/// are refused. Errors name the file and the reason.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readSource(llvm::StringRef Path, uint64_t MaxBytes = DefaultMaxInputBytes);

/// Parses a size such as `64M`, `1G`, `4096` (K, M, G: powers of 1024).
std::optional<uint64_t> parseByteSize(llvm::StringRef Text);

/// Formats \p Bytes for a message: `8.0 GiB`, `512 B`.
std::string formatBytes(uint64_t Bytes);

/// Bytes this process may still allocate: the smaller of the physical
/// memory and what RLIMIT_AS and RLIMIT_DATA leave above the current use.
uint64_t getAllocatableMemory();

} // namespace nnc

#endif // NNC_SUPPORT_LIMITS_H
