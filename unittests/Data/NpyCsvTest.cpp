//===- NpyCsvTest.cpp - Tests of the .npy and CSV readers -----------------===//
//
// .npy files made byte by byte as numpy.save writes them (versions 1, 2
// and 3), CSV files with quirks real ones have; every malformed input is an
// error whose exact text names the file (and the line, for CSV).
//
//===----------------------------------------------------------------------===//
#include "DataTestHelpers.h"
#include "nnc/Data/Dataset.h"
#include "gtest/gtest.h"
#include <cmath>
#include <cstring>

using namespace nnc::data;
using namespace nnc::data::test;

namespace {

/// A .npy file of format \p Major with the given dict literal and data; the
/// header is padded to 64 bytes with a final newline, as NumPy does.
std::string npy(llvm::StringRef Dict, llvm::StringRef Data, int Major = 1) {
  size_t Pre = Major == 1 ? 10 : 12;
  std::string Header = Dict.str();
  size_t Total = Pre + Header.size() + 1;
  Header.append((64 - Total % 64) % 64, ' ');
  Header += '\n';
  std::string S = "\x93NUMPY";
  S += char(Major);
  S += '\0';
  uint32_t Len = Header.size();
  S.append(reinterpret_cast<const char *>(&Len), Major == 1 ? 2 : 4);
  return S + Header + Data.str();
}

std::string dict(llvm::StringRef Descr, llvm::StringRef Shape,
                 bool Fortran = false) {
  return ("{'descr': '" + Descr + "', 'fortran_order': " +
          (Fortran ? "True" : "False") + ", 'shape': " + Shape + ", }")
      .str();
}

TEST(NpyTest, ReadsFeaturesAndLabels) {
  TempDir T;
  for (int Major : {1, 2, 3}) {
    std::string X = T.write(
        "x.npy", npy(dict("<f4", "(2, 3)"),
                     bytesOf<float>({0.5f, -1.0f, 2.0f, 3.25f, 0.0f, 1e-3f}),
                     Major));
    std::string Y =
        T.write("y.npy", npy(dict("<i8", "(2,)"), bytesOf<int64_t>({4, 1}),
                             Major));
    llvm::Expected<Dataset> D = readNpyDataset(X, Y);
    ASSERT_TRUE(bool(D)) << llvm::toString(D.takeError());
    EXPECT_EQ(D->Count, 2);
    EXPECT_EQ(D->SampleShape, (llvm::SmallVector<int64_t, 4>{3}));
    EXPECT_EQ(D->X, (std::vector<float>{0.5f, -1.0f, 2.0f, 3.25f, 0.0f, 1e-3f}));
    EXPECT_EQ(D->Y, (std::vector<int32_t>{4, 1}));
  }
  // f64 features, u8 features (scaled like pixels), (N, 1) i32 and u8 labels.
  std::string X64 = T.write(
      "x64.npy", npy(dict("<f8", "(2, 1, 2)"),
                     bytesOf<double>({0.1, 2.0, -3.0, 1e30})));
  std::string Y32 =
      T.write("y32.npy", npy(dict("<i4", "(2, 1)"), bytesOf<int32_t>({0, 9})));
  llvm::Expected<Dataset> D = readNpyDataset(X64, Y32);
  ASSERT_TRUE(bool(D)) << llvm::toString(D.takeError());
  EXPECT_EQ(D->SampleShape, (llvm::SmallVector<int64_t, 4>{1, 2}));
  EXPECT_EQ(D->X, (std::vector<float>{float(0.1), 2.0f, -3.0f, float(1e30)}));
  EXPECT_EQ(D->Y, (std::vector<int32_t>{0, 9}));
  std::string XU8 =
      T.write("xu8.npy", npy(dict("|u1", "(2,)"), std::string{0, char(255)}));
  std::string YU8 =
      T.write("yu8.npy", npy(dict("|u1", "(2,)"), std::string{3, 5}));
  D = readNpyDataset(XU8, YU8);
  ASSERT_TRUE(bool(D)) << llvm::toString(D.takeError());
  EXPECT_TRUE(D->SampleShape.empty());
  EXPECT_EQ(D->getSampleSize(), 1);
  EXPECT_EQ(D->X, (std::vector<float>{0.0f, 1.0f}));
  EXPECT_EQ(D->Y, (std::vector<int32_t>{3, 5}));
}

TEST(NpyTest, MalformedFiles) {
  TempDir T;
  auto err = [&](llvm::StringRef Name, const std::string &Bytes) {
    return errorOf(readNpy(T.write(Name, Bytes)));
  };
  std::string Six = bytesOf<float>({1, 2, 3, 4, 5, 6});
  EXPECT_EQ(err("magic", "\x93NUMPX" + std::string(64, ' ')),
            T.path("magic") + ": not a .npy file: bad magic (expected "
                              "\\x93NUMPY)");
  EXPECT_EQ(err("preamble", "\x93NUMPY\x01"),
            T.path("preamble") +
                ": truncated: the file ends inside the .npy preamble");
  EXPECT_EQ(err("v4", "\x93NUMPY\x04" + std::string(60, '\0')),
            T.path("v4") + ": unsupported .npy format version 4.0 (1, 2 and 3 "
                           "are supported)");
  std::string Past = npy(dict("<f4", "(2, 3)"), Six);
  Past[8] = char(0xff); // header length 0x..ff, beyond the 152-byte file
  EXPECT_EQ(err("past", Past),
            T.path("past") + ": header length 255 runs past the end of the "
                             "file (152 bytes)");
  EXPECT_EQ(err("fortran", npy(dict("<f4", "(2, 3)", true), Six)),
            T.path("fortran") + ": fortran_order is True: only C-order arrays "
                                "are supported (save "
                                "numpy.ascontiguousarray(a))");
  EXPECT_EQ(err("big", npy(dict(">f4", "(2, 3)"), Six)),
            T.path("big") + ": big-endian data ('>f4') is not supported (save "
                            "a.astype('<f4'))");
  EXPECT_EQ(err("f2", npy(dict("<f2", "(2,)"), "abcd")),
            T.path("f2") + ": element type '<f2' is not supported (f4, f8, "
                           "i4, i8, u1 are)");
  EXPECT_EQ(err("trunc", npy(dict("<f4", "(2, 3)"), Six.substr(0, 20))),
            T.path("trunc") + ": truncated: shape [2, 3] of <f4 needs 24 "
                              "bytes of data, the file has 20");
  EXPECT_EQ(err("extra", npy(dict("<f4", "(2, 3)"), Six + "zz")),
            T.path("extra") + ": 2 bytes after the data of shape [2, 3]");
  // 2^62 elements: an error, not an allocation; past 64 bits: also one.
  EXPECT_EQ(err("huge", npy(dict("|u1", "(2147483648, 2147483648)"), "ab")),
            T.path("huge") + ": truncated: shape [2147483648, 2147483648] of "
                             "|u1 needs 4611686018427387904 bytes of data, "
                             "the file has 2");
  EXPECT_EQ(err("overflow",
                npy(dict("<f8", "(4294967296, 4294967296)"), "ab")),
            T.path("overflow") + ": shape [4294967296, 4294967296] has more "
                                 "elements than fit in 64 bits");
  std::string Structured =
      npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
          "abcd");
  EXPECT_EQ(err("struct", Structured),
            T.path("struct") + ": structured dtypes are not supported");
  EXPECT_EQ(err("noshape", npy("{'descr': '<f4', 'fortran_order': False, }",
                               "abcd")),
            T.path("noshape") + ": bad .npy header: 'descr', 'fortran_order' "
                                "and 'shape' are all required in \"{'descr': "
                                "'<f4', 'fortran_order': False, }\"");
  EXPECT_EQ(err("badshape", npy(dict("<f4", "(2, x)"), Six)),
            T.path("badshape") + ": bad .npy header: 'shape' is not a tuple "
                                 "of integers in \"{'descr': '<f4', "
                                 "'fortran_order': False, 'shape': (2, x), }\"");
}

TEST(NpyTest, DatasetsMustAgree) {
  TempDir T;
  std::string X = T.write("x.npy", npy(dict("<f4", "(3, 2)"),
                                       bytesOf<float>({1, 2, 3, 4, 5, 6})));
  std::string Y2 =
      T.write("y2.npy", npy(dict("<i8", "(2,)"), bytesOf<int64_t>({0, 1})));
  EXPECT_EQ(errorOf(readNpyDataset(X, Y2)),
            Y2 + ": shape mismatch: labels of shape [2] for 3 samples in " + X +
                " (expected [3] or [3, 1])");
  std::string YF =
      T.write("yf.npy", npy(dict("<f4", "(3,)"), bytesOf<float>({0, 1, 2})));
  EXPECT_EQ(errorOf(readNpyDataset(X, YF)),
            YF + ": labels must be integers (i32, i64 or u8), not f32");
  std::string YNeg = T.write(
      "yneg.npy", npy(dict("<i8", "(3,)"), bytesOf<int64_t>({0, -1, 2})));
  EXPECT_EQ(errorOf(readNpyDataset(X, YNeg)),
            YNeg + ": label -1 of sample 1 is negative");
  std::string YBig = T.write(
      "ybig.npy",
      npy(dict("<i8", "(3,)"), bytesOf<int64_t>({0, 1, int64_t(1) << 40})));
  EXPECT_EQ(errorOf(readNpyDataset(X, YBig)),
            YBig + ": label 1099511627776 of sample 2 does not fit in i32");
  std::string XNaN = T.write(
      "xnan.npy", npy(dict("<f4", "(3,)"), bytesOf<float>({0, NAN, 1})));
  std::string Y3 =
      T.write("y3.npy", npy(dict("<i8", "(3,)"), bytesOf<int64_t>({0, 1, 2})));
  EXPECT_EQ(errorOf(readNpyDataset(XNaN, Y3)),
            XNaN + ": element 1 (nan) is not a finite f32 value");
  std::string XI = T.write("xi.npy", npy(dict("<i8", "(3,)"),
                                         bytesOf<int64_t>({0, 1, 2})));
  EXPECT_EQ(errorOf(readNpyDataset(XI, Y3)),
            XI + ": features must be f4, f8 or u1, not i64");
}

TEST(CsvTest, ReadsRows) {
  TempDir T;
  std::string P = T.write("d.csv", "a, \"label\" ,b\r\n"
                                   "1.5,2,-3\r\n"
                                   "\n"
                                   "\"0\",0,1e2\n");
  llvm::Expected<Dataset> D = readCsv(P, "label");
  ASSERT_TRUE(bool(D)) << llvm::toString(D.takeError());
  EXPECT_EQ(D->Count, 2);
  EXPECT_EQ(D->SampleShape, (llvm::SmallVector<int64_t, 4>{2}));
  EXPECT_EQ(D->X, (std::vector<float>{1.5f, -3.0f, 0.0f, 100.0f}));
  EXPECT_EQ(D->Y, (std::vector<int32_t>{2, 0}));
}

TEST(CsvTest, MalformedFiles) {
  TempDir T;
  auto err = [&](llvm::StringRef Name, llvm::StringRef Text) {
    return errorOf(readCsv(T.write(Name, Text), "y"));
  };
  EXPECT_EQ(err("nolabel", "a,b\n1,2\n"),
            T.path("nolabel") + ":1: no column named 'y' in the header "
                                "(columns: 'a', 'b')");
  EXPECT_EQ(err("twice", "y,a,y\n1,2,3\n"),
            T.path("twice") + ":1: the header names column 'y' twice");
  EXPECT_EQ(err("onlylabel", "y\n1\n"),
            T.path("onlylabel") + ":1: no feature columns besides the label 'y'");
  EXPECT_EQ(err("cell", "a,y\n1,0\n\n2x,1\n"),
            T.path("cell") + ":4: '2x' in column 'a' is not a number");
  EXPECT_EQ(err("nan", "a,y\n1,0\nnan,1\n"),
            T.path("nan") + ":3: 'nan' in column 'a' is not a finite f32 value");
  EXPECT_EQ(err("label", "a,y\n1,cat\n"),
            T.path("label") + ":2: label 'cat' in column 'y' is not an integer");
  EXPECT_EQ(err("neg", "a,y\n1,-4\n"),
            T.path("neg") + ":2: label -4 is out of range [0, 2^31)");
  EXPECT_EQ(err("fields", "a,y\n1,0\n1,2,3\n"),
            T.path("fields") + ":3: 3 fields, but the header has 2 columns");
  EXPECT_EQ(err("emptycell", "a,y\n,0\n"),
            T.path("emptycell") + ":2: empty field in column 'a'");
  EXPECT_EQ(err("empty", "\n\n"), T.path("empty") + ": empty file: no header row");
  EXPECT_EQ(err("norows", "a,y\n"),
            T.path("norows") + ": no data rows after the header");
}

} // namespace
