//===- Idx.cpp - IDX files (MNIST, Fashion-MNIST), gzip'd or plain --------===//
//
// IDX: two zero bytes, an element-type byte, a rank byte, the rank
// dimensions as big-endian u32, then the elements, big-endian, row-major.
// A gzip'd file is inflated as it is read, never as a whole first: the
// header is checked before the data is, and the data buffer grows only as
// far as the stream really goes, so a header that lies about its size costs
// nothing.
//
//===----------------------------------------------------------------------===//
#include "Internal.h"
#include "nnc/Data/Dataset.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <algorithm>
#include <cstring>
#include <zlib.h>

using namespace nnc;
using namespace nnc::data;
using namespace nnc::data::detail;

namespace {

/// The bytes of a file, plain or inflated from gzip, read front to back.
class ByteStream {
public:
  ByteStream(llvm::StringRef Path, llvm::StringRef Bytes)
      : Path(Path), Bytes(Bytes) {}
  ~ByteStream() {
    if (Gzip)
      inflateEnd(&Z);
  }

  /// Starts inflating when the file begins with gzip's magic bytes.
  llvm::Error init() {
    if (Bytes.size() < 2 || uint8_t(Bytes[0]) != 0x1f ||
        uint8_t(Bytes[1]) != 0x8b)
      return llvm::Error::success();
    std::memset(&Z, 0, sizeof Z);
    // 16 + MAX_WBITS: a gzip stream with its header and CRC.
    if (inflateInit2(&Z, 16 + MAX_WBITS) != Z_OK)
      return fileError(Path, "cannot start gzip decompression");
    Gzip = true;
    Z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(Bytes.data()));
    // Fashion-MNIST's files are far below 4 GiB; larger gzip input is
    // fed in slices of avail_in's range.
    Z.avail_in = 0;
    return llvm::Error::success();
  }

  bool isGzip() const { return Gzip; }
  uint64_t getFileSize() const { return Bytes.size(); }

  /// Reads up to \p N bytes into \p Dst; fewer only at the end of the data.
  llvm::Expected<size_t> read(uint8_t *Dst, size_t N) {
    if (!Gzip) {
      size_t Take = std::min<uint64_t>(N, Bytes.size() - Pos);
      std::memcpy(Dst, Bytes.data() + Pos, Take);
      Pos += Take;
      return Take;
    }
    size_t Done = 0;
    while (Done < N && !Ended) {
      if (Z.avail_in == 0) {
        uint64_t Consumed =
            reinterpret_cast<const char *>(Z.next_in) - Bytes.data();
        Z.avail_in = uInt(std::min<uint64_t>(Bytes.size() - Consumed, 1u << 30));
      }
      Z.next_out = Dst + Done;
      Z.avail_out = uInt(std::min<size_t>(N - Done, 1u << 30));
      uInt Before = Z.avail_out;
      int Ret = inflate(&Z, Z_NO_FLUSH);
      Done += Before - Z.avail_out;
      if (Ret == Z_STREAM_END) {
        Ended = true;
        break;
      }
      if (Ret == Z_BUF_ERROR && Z.avail_in == 0)
        return fileError(Path, "truncated gzip data (the compressed stream "
                               "ends early)");
      if (Ret != Z_OK && Ret != Z_BUF_ERROR)
        return fileError(Path, llvm::Twine("corrupt gzip data: ") +
                                   (Z.msg ? Z.msg : "inflate failed"));
    }
    return Done;
  }

private:
  llvm::StringRef Path;
  llvm::StringRef Bytes;
  uint64_t Pos = 0;
  bool Gzip = false;
  bool Ended = false;
  z_stream Z;
};

struct IdxType {
  uint8_t Code;
  DType Type;
  const char *Name;
};

constexpr IdxType IdxTypes[] = {{0x08, DType::U8, "u8"},
                                {0x0C, DType::I32, "i32"},
                                {0x0D, DType::F32, "f32"},
                                {0x0E, DType::F64, "f64"}};

const char *unsupportedIdxTypeName(uint8_t Code) {
  switch (Code) {
  case 0x09:
    return "i8";
  case 0x0B:
    return "i16";
  default:
    return nullptr;
  }
}

} // namespace

llvm::Expected<Array> data::readIdx(llvm::StringRef Path) {
  auto File = openDataFile(Path);
  if (!File)
    return File.takeError();
  ByteStream In(Path, (*File)->getBuffer());
  if (llvm::Error E = In.init())
    return E;

  auto readExactly = [&](uint8_t *Dst, size_t N,
                         const llvm::Twine &What) -> llvm::Error {
    llvm::Expected<size_t> Got = In.read(Dst, N);
    if (!Got)
      return Got.takeError();
    if (*Got != N)
      return fileError(Path, "truncated: the file ends inside " + What);
    return llvm::Error::success();
  };

  uint8_t Magic[4];
  if (llvm::Error E = readExactly(Magic, 4, "the IDX magic number"))
    return E;
  if (Magic[0] != 0 || Magic[1] != 0)
    return fileError(Path, "not an IDX file: bad magic number 0x" +
                               llvm::toHex(llvm::ArrayRef<uint8_t>(Magic, 4)) +
                               " (expected 0x0000 then a type and a rank)");
  const IdxType *Type = nullptr;
  for (const IdxType &T : IdxTypes)
    if (T.Code == Magic[2])
      Type = &T;
  if (!Type) {
    const char *Known = unsupportedIdxTypeName(Magic[2]);
    return fileError(Path, "IDX element type 0x" +
                               llvm::utohexstr(Magic[2], false, 2) +
                               (Known ? llvm::Twine(" (") + Known + ")"
                                      : llvm::Twine("")) +
                               " is not supported (u8, i32, f32, f64 are)");
  }
  unsigned Rank = Magic[3];
  if (Rank == 0)
    return fileError(Path, "IDX rank 0: an IDX file has at least one dimension");

  Array A;
  A.Type = Type->Type;
  for (unsigned I = 0; I < Rank; ++I) {
    uint8_t Dim[4];
    if (llvm::Error E = readExactly(Dim, 4, "the IDX dimensions"))
      return E;
    A.Shape.push_back(llvm::support::endian::read32be(Dim));
  }
  unsigned Size = getDTypeSize(A.Type);
  llvm::Expected<uint64_t> Bytes =
      getCheckedByteSize(A.Shape, Size, Path + ": IDX header");
  if (!Bytes)
    return Bytes.takeError();
  uint64_t HeaderBytes = 4 + 4 * uint64_t(Rank);
  if (!In.isGzip() && *Bytes > In.getFileSize() - HeaderBytes)
    return fileError(Path, "truncated: the header's shape " +
                               formatShape(A.Shape) + " of " + Type->Name +
                               " needs " + llvm::Twine(*Bytes) +
                               " bytes of data, the file has " +
                               llvm::Twine(In.getFileSize() - HeaderBytes));
  // Deflate expands at most 1032:1; a claim beyond that is a lie whatever
  // the stream holds.
  if (In.isGzip() && *Bytes / 1032 > In.getFileSize())
    return fileError(Path, "truncated: the header's shape " +
                               formatShape(A.Shape) + " needs " +
                               llvm::Twine(*Bytes) +
                               " bytes of data, more than " +
                               llvm::Twine(In.getFileSize()) +
                               " compressed bytes can hold");
  if (llvm::Error E = checkAllocatable(*Bytes, Path))
    return E;

  // Grow the buffer with what arrives (doubling from 1 MiB).
  uint64_t Have = 0;
  while (Have < *Bytes) {
    uint64_t Next = std::min<uint64_t>(*Bytes, std::max<uint64_t>(Have * 2, 1 << 20));
    A.Bytes.resize(Next);
    llvm::Expected<size_t> Got = In.read(A.Bytes.data() + Have, Next - Have);
    if (!Got)
      return Got.takeError();
    Have += *Got;
    if (Have < Next)
      return fileError(Path, "truncated: the header's shape " +
                                 formatShape(A.Shape) + " of " + Type->Name +
                                 " needs " + llvm::Twine(*Bytes) +
                                 " bytes of data, the file has " +
                                 llvm::Twine(Have));
  }
  uint8_t Extra;
  llvm::Expected<size_t> More = In.read(&Extra, 1);
  if (!More)
    return More.takeError();
  if (*More)
    return fileError(Path, "more data after the " + llvm::Twine(*Bytes) +
                               " bytes the header's shape " +
                               formatShape(A.Shape) + " needs");

  // Big-endian to little-endian, element by element.
  if (Size > 1)
    for (uint64_t I = 0; I < *Bytes; I += Size)
      std::reverse(A.Bytes.begin() + I, A.Bytes.begin() + I + Size);
  return A;
}

llvm::Expected<Dataset> data::readIdxDataset(llvm::StringRef ImagesPath,
                                             llvm::StringRef LabelsPath) {
  llvm::Expected<Array> Images = readIdx(ImagesPath);
  if (!Images)
    return Images.takeError();
  llvm::Expected<Array> Labels = readIdx(LabelsPath);
  if (!Labels)
    return Labels.takeError();
  if (Labels->Shape.size() != 1)
    return fileError(LabelsPath, "labels must have rank 1, not shape " +
                                     formatShape(Labels->Shape));
  if (Images->Shape[0] != Labels->Shape[0])
    return fileError(LabelsPath,
                     llvm::Twine(Labels->Shape[0]) + " labels for " +
                         llvm::Twine(Images->Shape[0]) + " samples in " +
                         ImagesPath);
  Dataset D;
  llvm::Expected<std::vector<float>> X = toFeatures(*Images, ImagesPath);
  if (!X)
    return X.takeError();
  llvm::Expected<std::vector<int32_t>> Y = toLabels(*Labels, LabelsPath);
  if (!Y)
    return Y.takeError();
  D.X = std::move(*X);
  D.Y = std::move(*Y);
  D.Count = Images->Shape[0];
  D.SampleShape.assign(Images->Shape.begin() + 1, Images->Shape.end());
  return D;
}

/// \p Dir/\p Stem with a .gz suffix if that file exists, else without.
static std::string findIdxFile(llvm::StringRef Dir, llvm::StringRef Stem) {
  llvm::SmallString<256> Gz(Dir), Plain(Dir);
  llvm::sys::path::append(Gz, Stem + ".gz");
  llvm::sys::path::append(Plain, Stem);
  if (!llvm::sys::fs::exists(Gz) && llvm::sys::fs::exists(Plain))
    return std::string(Plain);
  return std::string(Gz);
}

llvm::Expected<Split> data::readFashionMNIST(llvm::StringRef Dir) {
  Split S;
  llvm::Expected<Dataset> Train =
      readIdxDataset(findIdxFile(Dir, "train-images-idx3-ubyte"),
                     findIdxFile(Dir, "train-labels-idx1-ubyte"));
  if (!Train)
    return Train.takeError();
  llvm::Expected<Dataset> Test =
      readIdxDataset(findIdxFile(Dir, "t10k-images-idx3-ubyte"),
                     findIdxFile(Dir, "t10k-labels-idx1-ubyte"));
  if (!Test)
    return Test.takeError();
  S.Train = std::move(*Train);
  S.Test = std::move(*Test);
  return S;
}
