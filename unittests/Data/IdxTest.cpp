//===- IdxTest.cpp - Tests of the IDX reader and Fashion-MNIST ------------===//
//
// Hand-made IDX files, plain and gzip'd, read back exactly; every malformed
// header or body is an error naming the file; the real Fashion-MNIST files
// of Debian's dataset-fashion-mnist, when installed, have the published
// sizes and labels.
//
//===----------------------------------------------------------------------===//
#include "DataTestHelpers.h"
#include "nnc/Data/Dataset.h"
#include "llvm/Support/FileSystem.h"
#include "gtest/gtest.h"
#include <cstring>
#include <zlib.h>

using namespace nnc::data;
using namespace nnc::data::test;

namespace {

/// An IDX header: magic 0 0 Type Rank, then big-endian dimensions.
std::string idxHeader(uint8_t Type, std::initializer_list<uint32_t> Dims) {
  std::string S = {0, 0, char(Type), char(Dims.size())};
  for (uint32_t D : Dims)
    for (int Shift = 24; Shift >= 0; Shift -= 8)
      S += char((D >> Shift) & 0xff);
  return S;
}

/// \p Bytes as a gzip stream.
std::string gzip(llvm::StringRef Bytes) {
  z_stream Z;
  std::memset(&Z, 0, sizeof Z);
  EXPECT_EQ(deflateInit2(&Z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string Out(deflateBound(&Z, Bytes.size()) + 64, '\0');
  Z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(Bytes.data()));
  Z.avail_in = Bytes.size();
  Z.next_out = reinterpret_cast<Bytef *>(Out.data());
  Z.avail_out = Out.size();
  EXPECT_EQ(deflate(&Z, Z_FINISH), Z_STREAM_END);
  Out.resize(Z.total_out);
  deflateEnd(&Z);
  return Out;
}

const std::string Pixels = {0, char(255), char(51), 0, char(102), char(204),
                            1, 2, 3, 4, 5, 6};

TEST(IdxTest, ReadsPlainAndGzipAlike) {
  TempDir T;
  std::string Images = idxHeader(0x08, {2, 2, 3}) + Pixels;
  std::string Labels = idxHeader(0x08, {2}) + std::string{7, 0};
  for (bool Gz : {false, true}) {
    std::string I = T.write(Gz ? "i.gz" : "i", Gz ? gzip(Images) : Images);
    std::string L = T.write(Gz ? "l.gz" : "l", Gz ? gzip(Labels) : Labels);
    llvm::Expected<Dataset> D = readIdxDataset(I, L);
    ASSERT_TRUE(bool(D)) << llvm::toString(D.takeError());
    EXPECT_EQ(D->Count, 2);
    EXPECT_EQ(D->SampleShape, (llvm::SmallVector<int64_t, 4>{2, 3}));
    ASSERT_EQ(D->X.size(), 12u);
    EXPECT_EQ(D->X[0], 0.0f);
    EXPECT_EQ(D->X[1], 1.0f);
    EXPECT_EQ(D->X[2], 51.0f / 255.0f);
    EXPECT_EQ(D->X[11], 6.0f / 255.0f);
    EXPECT_EQ(D->Y, (std::vector<int32_t>{7, 0}));
    EXPECT_EQ(D->getNumClasses(), 8);
  }
}

TEST(IdxTest, BigEndianElementsAreConverted) {
  TempDir T;
  // 1.5f is 0x3FC00000; -2 as i32 is 0xFFFFFFFE.
  std::string F = idxHeader(0x0D, {1}) + std::string{0x3F, char(0xC0), 0, 0};
  std::string I = idxHeader(0x0C, {1}) +
                  std::string{char(0xFF), char(0xFF), char(0xFF), char(0xFE)};
  llvm::Expected<Array> A = readIdx(T.write("f", F));
  ASSERT_TRUE(bool(A)) << llvm::toString(A.takeError());
  float V;
  std::memcpy(&V, A->Bytes.data(), 4);
  EXPECT_EQ(V, 1.5f);
  llvm::Expected<Array> B = readIdx(T.write("i", I));
  ASSERT_TRUE(bool(B)) << llvm::toString(B.takeError());
  int32_t W;
  std::memcpy(&W, B->Bytes.data(), 4);
  EXPECT_EQ(W, -2);
  // A negative label is refused when the array becomes labels.
  std::string Img = T.write("img", idxHeader(0x08, {1, 1}) + std::string(1, 9));
  EXPECT_EQ(errorOf(readIdxDataset(Img, T.path("i"))),
            T.path("i") + ": label -2 of sample 0 is negative");
}

TEST(IdxTest, MalformedFiles) {
  TempDir T;
  auto err = [&](llvm::StringRef Name, const std::string &Bytes) {
    return errorOf(readIdx(T.write(Name, Bytes)));
  };
  EXPECT_EQ(err("magic", "\x01\x02\x08\x01"),
            T.path("magic") + ": not an IDX file: bad magic number 0x01020801 "
                              "(expected 0x0000 then a type and a rank)");
  EXPECT_EQ(err("short", std::string{0, 0}),
            T.path("short") +
                ": truncated: the file ends inside the IDX magic number");
  EXPECT_EQ(err("dims", idxHeader(0x08, {2, 3}).substr(0, 9)),
            T.path("dims") +
                ": truncated: the file ends inside the IDX dimensions");
  EXPECT_EQ(err("i8", idxHeader(0x09, {1}) + "x"),
            T.path("i8") + ": IDX element type 0x09 (i8) is not supported "
                           "(u8, i32, f32, f64 are)");
  EXPECT_EQ(err("rank0", std::string{0, 0, 8, 0}),
            T.path("rank0") +
                ": IDX rank 0: an IDX file has at least one dimension");
  EXPECT_EQ(err("data", idxHeader(0x08, {2, 3}) + "abc"),
            T.path("data") + ": truncated: the header's shape [2, 3] of u8 "
                             "needs 6 bytes of data, the file has 3");
  EXPECT_EQ(err("extra", idxHeader(0x08, {2}) + "abc"),
            T.path("extra") +
                ": more data after the 2 bytes the header's shape [2] needs");
  // 2^31 x 2^31 bytes = 2^62: refused before any allocation.
  EXPECT_EQ(err("huge", idxHeader(0x08, {1u << 31, 1u << 31}) + "abc"),
            T.path("huge") + ": truncated: the header's shape [2147483648, "
                             "2147483648] of u8 needs 4611686018427387904 "
                             "bytes of data, the file has 3");
  EXPECT_EQ(err("huge.gz", gzip(idxHeader(0x08, {1u << 31, 1u << 31}) + "abc")),
            T.path("huge.gz") +
                ": truncated: the header's shape [2147483648, 2147483648] "
                "needs 4611686018427387904 bytes of data, more than " +
                std::to_string(gzip(idxHeader(0x08, {1u << 31, 1u << 31}) +
                                    "abc")
                                   .size()) +
                " compressed bytes can hold");
  // Past 64 bits altogether.
  EXPECT_EQ(err("overflow", idxHeader(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 4})),
            T.path("overflow") + ": IDX header: shape [4294967295, "
                                 "4294967295, 4] has more elements than fit "
                                 "in 64 bits");
  // A gzip'd file whose stream is cut, or whose bytes are damaged.
  std::string Good = gzip(idxHeader(0x08, {64}) + std::string(64, 'x'));
  EXPECT_EQ(err("cut.gz", Good.substr(0, Good.size() - 12)),
            T.path("cut.gz") +
                ": truncated gzip data (the compressed stream ends early)");
  std::string Bad = Good;
  Bad[Bad.size() - 6] ^= 0x55; // the CRC
  EXPECT_EQ(err("crc.gz", Bad),
            T.path("crc.gz") + ": corrupt gzip data: incorrect data check");
  // Not a file at all.
  EXPECT_EQ(errorOf(readIdx(T.path("missing"))),
            T.path("missing") + ": cannot open: No such file or directory");
  EXPECT_EQ(errorOf(readIdx(T.path(""))),
            T.path("") + ": cannot open: is a directory");
}

TEST(IdxTest, DatasetShapesMustAgree) {
  TempDir T;
  std::string I = T.write("i", idxHeader(0x08, {2, 1}) + "ab");
  std::string L3 = T.write("l3", idxHeader(0x08, {3}) + std::string{1, 2, 3});
  EXPECT_EQ(errorOf(readIdxDataset(I, L3)),
            L3 + ": 3 labels for 2 samples in " + I);
  std::string L2 = T.write("l2", idxHeader(0x08, {2, 1}) + std::string{1, 2});
  EXPECT_EQ(errorOf(readIdxDataset(I, L2)),
            L2 + ": labels must have rank 1, not shape [2, 1]");
  std::string LF =
      T.write("lf", idxHeader(0x0D, {2}) + std::string(8, '\0'));
  EXPECT_EQ(errorOf(readIdxDataset(I, LF)),
            LF + ": labels must be integers (i32, i64 or u8), not f32");
}

TEST(IdxTest, NamedDatasets) {
  EXPECT_EQ(errorOf(readNamedDataset("cifar")),
            "unknown dataset 'cifar' (known: fashion-mnist)");
  EXPECT_EQ(getNamedDatasetDir("fashion-mnist"),
            "/usr/share/datasets/fashion-mnist");
  TempDir T;
  EXPECT_EQ(errorOf(readFashionMNIST(T.path(""))),
            T.path("train-images-idx3-ubyte.gz") +
                ": cannot open: No such file or directory");
}

// Debian's dataset-fashion-mnist (scripts/setup.sh installs it).
TEST(IdxTest, RealFashionMNIST) {
  if (!llvm::sys::fs::is_directory(getNamedDatasetDir("fashion-mnist")))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  llvm::Expected<Split> S = readNamedDataset("fashion-mnist");
  ASSERT_TRUE(bool(S)) << llvm::toString(S.takeError());
  EXPECT_EQ(S->Train.Count, 60000);
  EXPECT_EQ(S->Test.Count, 10000);
  EXPECT_EQ(S->Train.SampleShape, (llvm::SmallVector<int64_t, 4>{28, 28}));
  EXPECT_EQ(S->Test.SampleShape, (llvm::SmallVector<int64_t, 4>{28, 28}));
  EXPECT_EQ(S->Train.X.size(), 60000u * 784);
  EXPECT_EQ(S->Test.X.size(), 10000u * 784);
  // The first training image is an ankle boot (class 9), as is the first
  // test image; the first ten training labels, as NumPy reads them.
  EXPECT_EQ(std::vector<int32_t>(S->Train.Y.begin(), S->Train.Y.begin() + 10),
            (std::vector<int32_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}));
  EXPECT_EQ(S->Test.Y[0], 9);
  // Ten classes of 6000 training images each.
  std::vector<int> PerClass(10);
  for (int32_t L : S->Train.Y) {
    ASSERT_GE(L, 0);
    ASSERT_LE(L, 9);
    ++PerClass[L];
  }
  EXPECT_EQ(PerClass, std::vector<int>(10, 6000));
  EXPECT_EQ(S->Train.getNumClasses(), 10);
  // Pixels in [0, 1]; the first image's bytes sum to 76247, its first
  // non-zero pixel (index 96) is 1/255.
  double Sum = 0;
  for (int I = 0; I < 784; ++I)
    Sum += S->Train.X[I] * 255.0;
  EXPECT_NEAR(Sum, 76247.0, 1e-2);
  EXPECT_EQ(S->Train.X[95], 0.0f);
  EXPECT_EQ(S->Train.X[96], 1.0f / 255.0f);
  for (float V : S->Train.X)
    ASSERT_TRUE(V >= 0.0f && V <= 1.0f);
}

} // namespace
