//===- Internal.h - Helpers shared by the readers of lib/Data ---*- C++ -*-===//
#ifndef NNC_LIB_DATA_INTERNAL_H
#define NNC_LIB_DATA_INTERNAL_H

#include "nnc/Data/Array.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include <cstdint>
#include <memory>
#include <vector>

namespace nnc::data::detail {

/// An error with message \p Msg. The one place lib/Data makes errors: they
/// are about data and checkpoint files, not about a place in a .nn program,
/// so they are values for the caller (nnc train, :train, Python) to print,
/// outside the diagnostics registry (scripts/check-diagnostics.py).
llvm::Error dataError(const llvm::Twine &Msg);

/// An error "<Path>: <Why>", the form of every message of lib/Data.
llvm::Error fileError(llvm::StringRef Path, const llvm::Twine &Why);

/// Maps or reads the regular file \p Path. Directories, devices and pipes
/// are refused: a reader must know the file's size before trusting any
/// length its header claims.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
openDataFile(llvm::StringRef Path);

/// An error unless this process may still allocate \p Bytes: a header that
/// claims a huge array is refused before anything is allocated for it.
llvm::Error checkAllocatable(uint64_t Bytes, llvm::StringRef Path);

/// The features of \p A as f32: F32 as it is, F64 rounded, U8 divided by
/// 255 (pixels to [0, 1]), I32/I64 converted. NaN and infinities are errors
/// naming the element.
llvm::Expected<std::vector<float>> toFeatures(const Array &A,
                                              llvm::StringRef Path);

/// The class labels of \p A as i32: integer element types only, each label
/// in [0, 2^31).
llvm::Expected<std::vector<int32_t>> toLabels(const Array &A,
                                              llvm::StringRef Path);

} // namespace nnc::data::detail

#endif // NNC_LIB_DATA_INTERNAL_H
