//===- Safetensors.h - Checkpoints in the safetensors format ----*- C++ -*-===//
//
// The checkpoint format of PyTorch and Hugging Face: an 8-byte little-endian
// header length N, N bytes of JSON
//   {"name":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}, ...,
//    "__metadata__":{"key":"value"}}
// padded with spaces to a multiple of 8, then the tensors' little-endian
// bytes; data_offsets count from the end of the header. The writer lays the
// tensors out as the reference implementation does (wider element types
// first, then by name), so every tensor is aligned to its element size.
//
// The reader checks everything a hostile or damaged file could get wrong
// and says what, naming the file: a header length past the end of the file,
// JSON that does not parse or has the wrong shape, unknown element types,
// offsets that do not match dtype x shape, overlap, leave gaps or run past
// the data.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DATA_SAFETENSORS_H
#define NNC_DATA_SAFETENSORS_H

#include "nnc/Data/Array.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nnc::data {

/// A tensor to write: Data points at getNumElements(Shape) elements of Type,
/// in host order (little-endian hosts only, as nnc's targets are).
struct TensorRef {
  llvm::StringRef Name;
  DType Type = DType::F32;
  llvm::ArrayRef<int64_t> Shape;
  const void *Data = nullptr;
};

/// A tensor read from a file.
struct NamedTensor {
  std::string Name;
  Array Value;
};

/// The contents of a safetensors file: its tensors in file order (by
/// offset) and the string pairs of its "__metadata__".
struct Checkpoint {
  std::vector<NamedTensor> Tensors;
  std::map<std::string, std::string> Metadata;

  /// The tensor named \p Name, or null.
  const NamedTensor *find(llvm::StringRef Name) const;
};

/// The largest header the reader accepts, as in the reference
/// implementation: 100 MB of JSON.
constexpr uint64_t MaxSafetensorsHeaderBytes = 100'000'000;

/// Serializes \p Tensors and \p Metadata into the bytes of a safetensors
/// file. Names must be unique, non-empty and not "__metadata__"; the
/// element types are F32, F64, I32, I64 (and U8).
llvm::Expected<std::string>
serializeSafetensors(llvm::ArrayRef<TensorRef> Tensors,
                     const std::map<std::string, std::string> &Metadata = {});

/// Writes serializeSafetensors' bytes to \p Path through a temporary file
/// renamed into place, so an interrupted write never leaves half a file.
llvm::Error
writeSafetensors(llvm::StringRef Path, llvm::ArrayRef<TensorRef> Tensors,
                 const std::map<std::string, std::string> &Metadata = {});

/// Parses the bytes of a safetensors file; \p Name names it in messages.
llvm::Expected<Checkpoint> parseSafetensors(llvm::StringRef Bytes,
                                            llvm::StringRef Name);

/// Reads and parses the safetensors file \p Path.
llvm::Expected<Checkpoint> readSafetensors(llvm::StringRef Path);

} // namespace nnc::data

#endif // NNC_DATA_SAFETENSORS_H
