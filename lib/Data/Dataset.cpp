//===- Dataset.cpp - Features and labels from arrays; named datasets ------===//
#include "nnc/Data/Dataset.h"
#include "Internal.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include <cmath>
#include <cstring>
#include <limits>

using namespace nnc;
using namespace nnc::data;
using namespace nnc::data::detail;

int64_t Dataset::getSampleSize() const {
  int64_t N = 1;
  for (int64_t D : SampleShape)
    N *= D;
  return N;
}

int32_t Dataset::getNumClasses() const {
  int32_t Max = -1;
  for (int32_t L : Y)
    Max = std::max(Max, L);
  return Max + 1;
}

namespace {
/// Element \p I of \p A as a double (A's bytes are little-endian).
double elementAsDouble(const Array &A, int64_t I) {
  namespace endian = llvm::support::endian;
  const uint8_t *P = A.Bytes.data() + I * getDTypeSize(A.Type);
  switch (A.Type) {
  case DType::F32: {
    uint32_t Bits = endian::read32le(P);
    float F;
    std::memcpy(&F, &Bits, 4);
    return F;
  }
  case DType::F64: {
    uint64_t Bits = endian::read64le(P);
    double F;
    std::memcpy(&F, &Bits, 8);
    return F;
  }
  case DType::I32:
    return int32_t(endian::read32le(P));
  case DType::I64:
    return double(int64_t(endian::read64le(P)));
  case DType::U8:
    return *P;
  }
  llvm_unreachable("unknown DType");
}
} // namespace

llvm::Expected<std::vector<float>> detail::toFeatures(const Array &A,
                                                      llvm::StringRef Path) {
  int64_t N = A.getNumElements();
  if (llvm::Error E = checkAllocatable(uint64_t(N) * sizeof(float), Path))
    return E;
  std::vector<float> X(N);
  if (A.Type == DType::U8) {
    for (int64_t I = 0; I < N; ++I)
      X[I] = float(A.Bytes[I]) / 255.0f;
    return X;
  }
  for (int64_t I = 0; I < N; ++I) {
    double V = elementAsDouble(A, I);
    // An f64 beyond f32's range would become an infinity the trainer
    // could only turn into NaN losses.
    if (!std::isfinite(V) ||
        std::fabs(V) > double(std::numeric_limits<float>::max()))
      return fileError(Path, "element " + llvm::Twine(I) + " (" +
                                 llvm::formatv("{0}", V).str() +
                                 ") is not a finite f32 value");
    X[I] = float(V);
  }
  return X;
}

llvm::Expected<std::vector<int32_t>> detail::toLabels(const Array &A,
                                                      llvm::StringRef Path) {
  if (A.Type == DType::F32 || A.Type == DType::F64)
    return fileError(Path, "labels must be integers (i32, i64 or u8), not " +
                               getDTypeName(A.Type).lower());
  int64_t N = A.getNumElements();
  std::vector<int32_t> Y(N);
  for (int64_t I = 0; I < N; ++I) {
    int64_t L;
    const uint8_t *P = A.Bytes.data() + I * getDTypeSize(A.Type);
    if (A.Type == DType::I64)
      L = int64_t(llvm::support::endian::read64le(P));
    else if (A.Type == DType::I32)
      L = int32_t(llvm::support::endian::read32le(P));
    else
      L = *P;
    if (L < 0)
      return fileError(Path, "label " + llvm::Twine(L) + " of sample " +
                                 llvm::Twine(I) + " is negative");
    if (L > std::numeric_limits<int32_t>::max())
      return fileError(Path, "label " + llvm::Twine(L) + " of sample " +
                                 llvm::Twine(I) + " does not fit in i32");
    Y[I] = int32_t(L);
  }
  return Y;
}

std::string data::getNamedDatasetDir(llvm::StringRef Name) {
  return ("/usr/share/datasets/" + Name).str();
}

llvm::ArrayRef<llvm::StringRef> data::getNamedDatasets() {
  static const llvm::StringRef Names[] = {"fashion-mnist"};
  return Names;
}

llvm::Expected<Split> data::readNamedDataset(llvm::StringRef Name) {
  if (!llvm::is_contained(getNamedDatasets(), Name)) {
    std::string Known;
    for (llvm::StringRef K : getNamedDatasets())
      Known += (Known.empty() ? "" : ", ") + K.str();
    return dataError("unknown dataset '" + Name + "' (known: " + Known + ")");
  }
  std::string Dir = getNamedDatasetDir(Name);
  if (!llvm::sys::fs::is_directory(Dir))
    return dataError("dataset '" + Name + "' is not installed: " + Dir +
                     " does not exist (install the Debian package dataset-" +
                     Name + ")");
  return readFashionMNIST(Dir);
}
