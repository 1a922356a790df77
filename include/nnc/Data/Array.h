//===- Array.h - Raw n-dimensional arrays read from data files --*- C++ -*-===//
//
// The common currency of the readers in lib/Data: an element type, a shape
// and the elements as little-endian bytes, exactly as a file held them.
// Datasets (Dataset.h) and checkpoints (Safetensors.h) are built from it.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DATA_ARRAY_H
#define NNC_DATA_ARRAY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nnc::data {

/// The element types the readers and checkpoints know.
enum class DType : uint8_t { F32, F64, I32, I64, U8 };

/// Bytes of one element of \p T.
unsigned getDTypeSize(DType T);
/// The safetensors spelling of \p T: "F32", "F64", "I32", "I64", "U8".
llvm::StringRef getDTypeName(DType T);
/// The inverse of getDTypeName; std::nullopt for any other string.
std::optional<DType> parseDTypeName(llvm::StringRef Name);

/// An array of Shape's product of elements of type Type, row-major (C order),
/// little-endian, in Bytes.
struct Array {
  DType Type = DType::F32;
  llvm::SmallVector<int64_t, 4> Shape;
  std::vector<uint8_t> Bytes;

  /// The number of elements (1 for a scalar, whose Shape is empty).
  int64_t getNumElements() const;
};

/// The element count of \p Shape times \p ElemSize, in bytes; an error when
/// a dimension is negative or the product does not fit in 63 bits. \p What
/// names the array in the message ("'x.npy'", "tensor 'fc1.W' of 'm.st'").
llvm::Expected<uint64_t> getCheckedByteSize(llvm::ArrayRef<int64_t> Shape,
                                            unsigned ElemSize,
                                            const llvm::Twine &What);

/// The element count of \p Shape with the same checks (ElemSize 1).
llvm::Expected<int64_t> getCheckedNumElements(llvm::ArrayRef<int64_t> Shape,
                                              const llvm::Twine &What);

/// Formats \p Shape as `[60000, 28, 28]` for messages.
std::string formatShape(llvm::ArrayRef<int64_t> Shape);

} // namespace nnc::data

#endif // NNC_DATA_ARRAY_H
