//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// The format (numpy.lib.format): the magic "\x93NUMPY", a major and a minor
// version byte, the header's length (u16 little-endian in version 1, u32 in
// versions 2 and 3), then the header, a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 784), }
// padded with spaces and a newline, then the elements. Only the literal
// forms NumPy writes are parsed; anything else is an error naming the file.
//
//===----------------------------------------------------------------------===//
#include "Internal.h"
#include "nnc/Data/Dataset.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include <cstring>

using namespace nnc;
using namespace nnc::data;
using namespace nnc::data::detail;

namespace {

/// A cursor over the header's dict literal.
class HeaderParser {
public:
  explicit HeaderParser(llvm::StringRef Text) : Rest(Text) {}

  void skipSpace() { Rest = Rest.ltrim(" \t\r\n"); }
  bool consume(char C) {
    skipSpace();
    return Rest.consume_front(llvm::StringRef(&C, 1));
  }
  bool atEnd() {
    skipSpace();
    return Rest.empty();
  }
  char peek() {
    skipSpace();
    return Rest.empty() ? '\0' : Rest.front();
  }

  /// A '...' or "..." string without escapes (NumPy never writes any).
  std::optional<llvm::StringRef> string() {
    skipSpace();
    if (Rest.empty() || (Rest.front() != '\'' && Rest.front() != '"'))
      return std::nullopt;
    char Quote = Rest.front();
    size_t End = Rest.find(Quote, 1);
    if (End == llvm::StringRef::npos)
      return std::nullopt;
    llvm::StringRef S = Rest.slice(1, End);
    Rest = Rest.drop_front(End + 1);
    return S;
  }

  std::optional<bool> boolean() {
    skipSpace();
    if (Rest.consume_front("True"))
      return true;
    if (Rest.consume_front("False"))
      return false;
    return std::nullopt;
  }

  /// A tuple of non-negative integers: (), (3,), (3, 4).
  std::optional<llvm::SmallVector<int64_t, 4>> shape() {
    llvm::SmallVector<int64_t, 4> Dims;
    if (!consume('('))
      return std::nullopt;
    while (!consume(')')) {
      skipSpace();
      size_t Len = 0;
      while (Len < Rest.size() && llvm::isDigit(Rest[Len]))
        ++Len;
      int64_t D;
      if (Len == 0 || Rest.take_front(Len).getAsInteger(10, D))
        return std::nullopt;
      Rest = Rest.drop_front(Len);
      Rest.consume_front("L"); // Python 2's long literals
      Dims.push_back(D);
      if (!consume(',') && peek() != ')')
        return std::nullopt;
    }
    return Dims;
  }

private:
  llvm::StringRef Rest;
};

} // namespace

llvm::Expected<Array> data::readNpy(llvm::StringRef Path) {
  auto File = openDataFile(Path);
  if (!File)
    return File.takeError();
  llvm::StringRef Bytes = (*File)->getBuffer();
  if (!Bytes.starts_with("\x93NUMPY"))
    return fileError(Path, "not a .npy file: bad magic (expected \\x93NUMPY)");
  if (Bytes.size() < 10)
    return fileError(Path, "truncated: the file ends inside the .npy preamble");
  unsigned Major = uint8_t(Bytes[6]);
  uint64_t HeaderLen, HeaderStart;
  if (Major == 1) {
    HeaderLen = llvm::support::endian::read16le(Bytes.data() + 8);
    HeaderStart = 10;
  } else if (Major == 2 || Major == 3) {
    if (Bytes.size() < 12)
      return fileError(Path,
                       "truncated: the file ends inside the .npy preamble");
    HeaderLen = llvm::support::endian::read32le(Bytes.data() + 8);
    HeaderStart = 12;
  } else {
    return fileError(Path, "unsupported .npy format version " +
                               llvm::Twine(Major) + "." +
                               llvm::Twine(unsigned(uint8_t(Bytes[7]))) +
                               " (1, 2 and 3 are supported)");
  }
  if (HeaderLen > Bytes.size() - HeaderStart)
    return fileError(Path, "header length " + llvm::Twine(HeaderLen) +
                               " runs past the end of the file (" +
                               llvm::Twine(Bytes.size()) + " bytes)");
  llvm::StringRef Header = Bytes.substr(HeaderStart, HeaderLen);

  HeaderParser P(Header);
  std::optional<llvm::StringRef> Descr;
  std::optional<bool> Fortran;
  std::optional<llvm::SmallVector<int64_t, 4>> Shape;
  auto bad = [&](const llvm::Twine &Why) {
    return fileError(Path, "bad .npy header: " + Why + " in \"" +
                               Header.trim() + "\"");
  };
  if (!P.consume('{'))
    return bad("expected a dict");
  while (!P.consume('}')) {
    std::optional<llvm::StringRef> Key = P.string();
    if (!Key || !P.consume(':'))
      return bad("expected 'key':");
    if (*Key == "descr") {
      if (P.peek() == '[')
        return fileError(Path, "structured dtypes are not supported");
      Descr = P.string();
      if (!Descr)
        return bad("'descr' is not a string");
    } else if (*Key == "fortran_order") {
      Fortran = P.boolean();
      if (!Fortran)
        return bad("'fortran_order' is not True or False");
    } else if (*Key == "shape") {
      Shape = P.shape();
      if (!Shape)
        return bad("'shape' is not a tuple of integers");
    } else {
      return bad("unknown key '" + *Key + "'");
    }
    if (!P.consume(',') && P.peek() != '}')
      return bad("expected ',' or '}'");
  }
  if (!P.atEnd())
    return bad("text after the dict");
  if (!Descr || !Fortran || !Shape)
    return bad("'descr', 'fortran_order' and 'shape' are all required");
  if (*Fortran)
    return fileError(Path, "fortran_order is True: only C-order arrays are "
                           "supported (save numpy.ascontiguousarray(a))");

  Array A;
  llvm::StringRef D = *Descr;
  if (D.size() >= 2 && D[0] == '>' && D != ">u1" && D != ">i1")
    return fileError(Path, "big-endian data ('" + D +
                               "') is not supported (save a.astype('<" +
                               D.drop_front() + "'))");
  if (D == "<f4" || D == "=f4")
    A.Type = DType::F32;
  else if (D == "<f8" || D == "=f8")
    A.Type = DType::F64;
  else if (D == "<i4" || D == "=i4")
    A.Type = DType::I32;
  else if (D == "<i8" || D == "=i8")
    A.Type = DType::I64;
  else if (D == "|u1" || D == "<u1" || D == ">u1" || D == "=u1")
    A.Type = DType::U8;
  else
    return fileError(Path, "element type '" + D +
                               "' is not supported (f4, f8, i4, i8, u1 are)");
  A.Shape = std::move(*Shape);

  llvm::Expected<uint64_t> DataBytes =
      getCheckedByteSize(A.Shape, getDTypeSize(A.Type), Path);
  if (!DataBytes)
    return DataBytes.takeError();
  uint64_t Have = Bytes.size() - HeaderStart - HeaderLen;
  if (*DataBytes > Have)
    return fileError(Path, "truncated: shape " + formatShape(A.Shape) +
                               " of " + D + " needs " +
                               llvm::Twine(*DataBytes) +
                               " bytes of data, the file has " +
                               llvm::Twine(Have));
  if (*DataBytes < Have)
    return fileError(Path, llvm::Twine(Have - *DataBytes) +
                               " bytes after the data of shape " +
                               formatShape(A.Shape));
  if (llvm::Error E = checkAllocatable(*DataBytes, Path))
    return E;
  const uint8_t *Data =
      reinterpret_cast<const uint8_t *>(Bytes.data() + HeaderStart + HeaderLen);
  A.Bytes.assign(Data, Data + *DataBytes);
  return A;
}

llvm::Expected<Dataset> data::readNpyDataset(llvm::StringRef XPath,
                                             llvm::StringRef YPath) {
  llvm::Expected<Array> X = readNpy(XPath);
  if (!X)
    return X.takeError();
  llvm::Expected<Array> Y = readNpy(YPath);
  if (!Y)
    return Y.takeError();
  if (X->Shape.empty())
    return fileError(XPath, "features must have the samples along a first "
                            "dimension, not be a scalar");
  if (X->Type == DType::I32 || X->Type == DType::I64)
    return fileError(XPath, "features must be f4, f8 or u1, not " +
                                getDTypeName(X->Type).lower());
  int64_t N = X->Shape[0];
  bool LabelShapeOK = (Y->Shape.size() == 1 && Y->Shape[0] == N) ||
                      (Y->Shape.size() == 2 && Y->Shape[0] == N &&
                       Y->Shape[1] == 1);
  if (!LabelShapeOK)
    return fileError(YPath, "shape mismatch: labels of shape " +
                                formatShape(Y->Shape) + " for " +
                                llvm::Twine(N) + " samples in " + XPath +
                                " (expected [" + llvm::Twine(N) + "] or [" +
                                llvm::Twine(N) + ", 1])");
  llvm::Expected<std::vector<int32_t>> Labels = toLabels(*Y, YPath);
  if (!Labels)
    return Labels.takeError();
  llvm::Expected<std::vector<float>> Features = toFeatures(*X, XPath);
  if (!Features)
    return Features.takeError();
  Dataset DS;
  DS.X = std::move(*Features);
  DS.Y = std::move(*Labels);
  DS.Count = N;
  DS.SampleShape.assign(X->Shape.begin() + 1, X->Shape.end());
  return DS;
}
