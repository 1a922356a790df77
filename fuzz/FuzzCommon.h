//===- FuzzCommon.h - What every nnc fuzz target shares ---------*- C++ -*-===//
//
// User errors are expected and ignored (diagnostics go to llvm::nulls());
// what the design calls an internal error is turned into __builtin_trap()
// so that libFuzzer saves the input, after saying on stderr which check
// failed. Crashes, assertion failures, ASan and UBSan reports, timeouts and
// leaks are caught by libFuzzer itself.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_FUZZ_FUZZCOMMON_H
#define NNC_FUZZ_FUZZCOMMON_H

#include "nnc/IR/IR.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include <string>

namespace nnc::fuzz {

[[noreturn]] inline void internalError(llvm::StringRef Stage,
                                       llvm::StringRef What,
                                       llvm::StringRef Source = {}) {
  llvm::errs() << "nnc fuzz target: internal error in " << Stage << ": "
               << What << '\n';
  if (!Source.empty())
    llvm::errs() << "---- text ----\n" << Source << "---- end of text ----\n";
  llvm::errs().flush();
  __builtin_trap();
}

inline void check(llvm::Error E, llvm::StringRef Stage) {
  if (E)
    internalError(Stage, llvm::toString(std::move(E)));
}

inline void verify(const ir::Module &M, llvm::StringRef Stage) {
  std::string Err = ir::verifyModule(M);
  if (!Err.empty())
    internalError(Stage, Err);
}

inline llvm::StringRef asText(const uint8_t *Data, size_t Size) {
  return llvm::StringRef(reinterpret_cast<const char *>(Data), Size);
}

/// Adds the fuzzer's bytes to \p SM as the source \p Name; returns its ID.
inline unsigned addSource(llvm::SourceMgr &SM, const uint8_t *Data,
                          size_t Size, llvm::StringRef Name) {
  return SM.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(asText(Data, Size), Name),
      llvm::SMLoc());
}

} // namespace nnc::fuzz

#endif // NNC_FUZZ_FUZZCOMMON_H
