//===- Array.cpp - Element types, checked sizes, file access --------------===//
#include "nnc/Data/Array.h"
#include "Internal.h"
#include "nnc/Support/Limits.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include <limits>

using namespace nnc;
using namespace nnc::data;

unsigned data::getDTypeSize(DType T) {
  switch (T) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::U8:
    return 1;
  }
  llvm_unreachable("unknown DType");
}

llvm::StringRef data::getDTypeName(DType T) {
  switch (T) {
  case DType::F32:
    return "F32";
  case DType::F64:
    return "F64";
  case DType::I32:
    return "I32";
  case DType::I64:
    return "I64";
  case DType::U8:
    return "U8";
  }
  llvm_unreachable("unknown DType");
}

std::optional<DType> data::parseDTypeName(llvm::StringRef Name) {
  for (DType T : {DType::F32, DType::F64, DType::I32, DType::I64, DType::U8})
    if (Name == getDTypeName(T))
      return T;
  return std::nullopt;
}

int64_t Array::getNumElements() const {
  int64_t N = 1;
  for (int64_t D : Shape)
    N *= D;
  return N;
}

llvm::Expected<uint64_t>
data::getCheckedByteSize(llvm::ArrayRef<int64_t> Shape, unsigned ElemSize,
                         const llvm::Twine &What) {
  // 63 bits: every size stays representable as int64_t and as a file offset.
  constexpr uint64_t Max = uint64_t(std::numeric_limits<int64_t>::max());
  uint64_t Bytes = ElemSize;
  for (int64_t D : Shape) {
    if (D < 0)
      return detail::dataError(What + ": negative dimension in shape " +
                               formatShape(Shape));
    if (D != 0 && Bytes > Max / uint64_t(D))
      return detail::dataError(What + ": shape " + formatShape(Shape) +
                               " has more elements than fit in 64 bits");
    Bytes *= uint64_t(D);
  }
  return Bytes;
}

llvm::Expected<int64_t>
data::getCheckedNumElements(llvm::ArrayRef<int64_t> Shape,
                            const llvm::Twine &What) {
  llvm::Expected<uint64_t> N = getCheckedByteSize(Shape, 1, What);
  if (!N)
    return N.takeError();
  return int64_t(*N);
}

std::string data::formatShape(llvm::ArrayRef<int64_t> Shape) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  OS << '[';
  llvm::interleaveComma(Shape, OS);
  OS << ']';
  return S;
}

llvm::Error detail::dataError(const llvm::Twine &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
}

llvm::Error detail::fileError(llvm::StringRef Path, const llvm::Twine &Why) {
  return dataError(Path + ": " + Why);
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
detail::openDataFile(llvm::StringRef Path) {
  llvm::sys::fs::file_status Status;
  if (std::error_code EC = llvm::sys::fs::status(Path, Status))
    return fileError(Path, "cannot open: " + EC.message());
  if (Status.type() == llvm::sys::fs::file_type::directory_file)
    return fileError(Path, "cannot open: is a directory");
  if (Status.type() != llvm::sys::fs::file_type::regular_file)
    return fileError(Path, "cannot open: not a regular file");
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!Buf)
    return fileError(Path, "cannot open: " + Buf.getError().message());
  return std::move(*Buf);
}

llvm::Error detail::checkAllocatable(uint64_t Bytes, llvm::StringRef Path) {
  uint64_t Free = getAllocatableMemory();
  if (Bytes > Free)
    return fileError(Path, "needs " + formatBytes(Bytes) +
                               " of memory, more than the " +
                               formatBytes(Free) +
                               " this process may still allocate");
  return llvm::Error::success();
}
