//===- SafetensorsTest.cpp - Tests of the safetensors writer and reader ---===//
//
// The exact bytes of a small file, round trips of every element type with
// metadata, the layout rules of the reference implementation (alignment,
// padding), and one test per way a file can be malformed, each with the
// message it must give.
//
//===----------------------------------------------------------------------===//
#include "DataTestHelpers.h"
#include "nnc/Data/Safetensors.h"
#include "llvm/Support/Endian.h"
#include "gtest/gtest.h"
#include <cstring>

using namespace nnc::data;
using namespace nnc::data::test;

namespace {

/// A file with header \p JSON (unpadded) and data \p Data.
std::string file(llvm::StringRef JSON, llvm::StringRef Data) {
  return bytesOf<uint64_t>({JSON.size()}) + JSON.str() + Data.str();
}

TEST(SafetensorsTest, ExactBytesOfASmallFile) {
  float A[] = {1.0f, 2.0f};
  int64_t Shape[] = {2};
  llvm::Expected<std::string> Bytes =
      serializeSafetensors({TensorRef{"a", DType::F32, Shape, A}});
  ASSERT_TRUE(bool(Bytes)) << llvm::toString(Bytes.takeError());
  // 54 bytes of JSON, padded with two spaces to 56.
  std::string Header =
      R"({"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}}  )";
  EXPECT_EQ(*Bytes, bytesOf<uint64_t>({56}) + Header + bytesOf<float>({1, 2}));
}

TEST(SafetensorsTest, RoundTripsEveryTypeWithMetadata) {
  float W[] = {0.5f, -1.25f, 3.0f, 1e-7f, -0.0f, 7.0f};
  double B[] = {1.0 / 3.0, -2.5e300};
  int32_t I[] = {-7};
  int64_t L[] = {int64_t(1) << 40, -1, 0};
  int64_t WShape[] = {2, 3}, BShape[] = {2}, LShape[] = {3, 1},
          ZeroShape[] = {0, 4};
  std::vector<TensorRef> Tensors = {
      {"fc1.W", DType::F32, WShape, W},
      {"fc1.b", DType::F64, BShape, B},
      {"step", DType::I32, {}, I}, // a scalar: shape []
      {"idx", DType::I64, LShape, L},
      {"zero", DType::F32, ZeroShape, nullptr}}; // no elements, no data
  std::map<std::string, std::string> Meta = {{"format", "pt"},
                                             {"epoch", "3"}};
  TempDir T;
  std::string P = T.path("m.safetensors");
  if (llvm::Error E = writeSafetensors(P, Tensors, Meta))
    FAIL() << llvm::toString(std::move(E));
  llvm::Expected<Checkpoint> C = readSafetensors(P);
  ASSERT_TRUE(bool(C)) << llvm::toString(C.takeError());
  EXPECT_EQ(C->Metadata, Meta);
  ASSERT_EQ(C->Tensors.size(), 5u);
  // File order: 8-byte types first (by name), then 4-byte ones.
  std::vector<std::string> Names;
  for (const NamedTensor &N : C->Tensors)
    Names.push_back(N.Name);
  EXPECT_EQ(Names, (std::vector<std::string>{"fc1.b", "idx", "fc1.W", "step",
                                             "zero"}));
  for (const TensorRef &R : Tensors) {
    const NamedTensor *N = C->find(R.Name);
    ASSERT_NE(N, nullptr) << R.Name.str();
    EXPECT_EQ(N->Value.Type, R.Type);
    EXPECT_EQ(llvm::ArrayRef<int64_t>(N->Value.Shape), R.Shape);
    size_t Bytes = N->Value.getNumElements() * getDTypeSize(R.Type);
    ASSERT_EQ(N->Value.Bytes.size(), Bytes);
    if (Bytes) {
      EXPECT_EQ(std::memcmp(N->Value.Bytes.data(), R.Data, Bytes), 0);
    }
  }
  EXPECT_EQ(C->find("nope"), nullptr);

  // The header is padded to 8 bytes, starts with '{', and every tensor
  // starts at a multiple of its element size in the file.
  llvm::Expected<std::string> Raw = serializeSafetensors(Tensors, Meta);
  ASSERT_TRUE(bool(Raw));
  uint64_t N = llvm::support::endian::read64le(Raw->data());
  EXPECT_EQ(N % 8, 0u);
  EXPECT_EQ((*Raw)[8], '{');
  EXPECT_EQ(Raw->size(), 8 + N + 24 + 16 + 4 + 24);
}

TEST(SafetensorsTest, WriterRefusesBadTensorSets) {
  float X[] = {1};
  int64_t S[] = {1};
  auto err = [](std::vector<TensorRef> Ts) {
    return errorOf(serializeSafetensors(Ts));
  };
  EXPECT_EQ(err({{"a", DType::F32, S, X}, {"a", DType::F32, S, X}}),
            "two tensors are named 'a'");
  EXPECT_EQ(err({{"", DType::F32, S, X}}), "a tensor has an empty name");
  EXPECT_EQ(err({{"__metadata__", DType::F32, S, X}}),
            "'__metadata__' cannot name a tensor");
  EXPECT_EQ(err({{"a", DType::F32, S, nullptr}}), "tensor 'a' has no data");
  int64_t Neg[] = {-1};
  EXPECT_EQ(err({{"a", DType::F32, Neg, X}}),
            "tensor 'a': negative dimension in shape [-1]");
  EXPECT_EQ(errorOf(writeSafetensors("/nonexistent-dir/m.safetensors",
                                     {{"a", DType::F32, S, X}})),
            "/nonexistent-dir/m.safetensors: cannot write: "
            "'/nonexistent-dir/m.safetensors': No such file or directory");
}

TEST(SafetensorsTest, MalformedFiles) {
  auto err = [](const std::string &Bytes) {
    return errorOf(parseSafetensors(Bytes, "m.st"));
  };
  std::string Four = bytesOf<float>({1, 2, 3, 4});
  std::string Good =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";
  ASSERT_TRUE(bool(parseSafetensors(file(Good, Four), "m.st")));

  EXPECT_EQ(err("abc"),
            "m.st: truncated: 3 bytes, shorter than the 8-byte header length");
  EXPECT_EQ(err(bytesOf<uint64_t>({1000}) + "{}"),
            "m.st: header length 1000 runs past the end of the file (10 "
            "bytes)");
  EXPECT_EQ(err(bytesOf<uint64_t>({uint64_t(1) << 62}) + "{}"),
            "m.st: header length 4611686018427387904 runs past the end of "
            "the file (10 bytes)");
  EXPECT_EQ(err(file(R"({"a":{"dtype":"F32",)", "")),
            "m.st: bad JSON header: [1:20, byte=20]: Expected object key");
  EXPECT_EQ(err(file("[1, 2]", "")),
            "m.st: bad header: the JSON is not an object");
  EXPECT_EQ(err(file(R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})",
                     "abcd")),
            "m.st: tensor 'a': unknown dtype 'BF16' (nnc reads F32, F64, I32, "
            "I64, U8)");
  EXPECT_EQ(err(file(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", Four)),
            "m.st: tensor 'a': no \"dtype\" string");
  EXPECT_EQ(err(file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
                     Four)),
            "m.st: tensor 'a': \"shape\" holds something other than a "
            "non-negative integer");
  EXPECT_EQ(err(file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})",
                     Four)),
            "m.st: tensor 'a': \"data_offsets\" is not [begin, end] of two "
            "non-negative integers");
  // dtype x shape disagrees with the offsets.
  EXPECT_EQ(err(file(R"({"a":{"dtype":"F64","shape":[2,2],"data_offsets":[0,16]}})",
                     Four)),
            "m.st: tensor 'a': data_offsets [0, 16] hold 16 bytes, but F64 of "
            "shape [2, 2] needs 32");
  EXPECT_EQ(err(file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})",
                     Four)),
            "m.st: tensor 'a': data_offsets [8, 0] end before they begin");
  EXPECT_EQ(err(file(R"({"a":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}})",
                     Four)),
            "m.st: tensor 'a': data_offsets [0, 24] run past the end of the "
            "data section (16 bytes)");
  EXPECT_EQ(err(file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
                     R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                     Four)),
            "m.st: tensors 'a' and 'b' overlap in the data section");
  EXPECT_EQ(err(file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                     R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                     Four)),
            "m.st: bytes 4 to 8 of the data section belong to no tensor");
  EXPECT_EQ(err(file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                     Four)),
            "m.st: the data section has 16 bytes, the tensors cover 8");
  // A shape of 2^62 elements, and one past 64 bits.
  EXPECT_EQ(err(file(R"({"a":{"dtype":"U8","shape":[2147483648,2147483648],)"
                     R"("data_offsets":[0,4611686018427387904]}})",
                     Four)),
            "m.st: tensor 'a': data_offsets [0, 4611686018427387904] run "
            "past the end of the data section (16 bytes)");
  EXPECT_EQ(err(file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],)"
                     R"("data_offsets":[0,16]}})",
                     Four)),
            "m.st: tensor 'a': shape [4294967296, 4294967296] has more "
            "elements than fit in 64 bits");
  EXPECT_EQ(err(file(R"({"__metadata__":{"epoch":3}})", "")),
            "m.st: bad header: __metadata__ value of 'epoch' is not a string");
  EXPECT_EQ(err(file(R"({"a":[1]})", "")),
            "m.st: tensor 'a': its header entry is not an object");
}

TEST(SafetensorsTest, ReadErrorsNameTheFile) {
  TempDir T;
  std::string P = T.write("cut.safetensors", bytesOf<uint64_t>({64}) + "{}");
  EXPECT_EQ(errorOf(readSafetensors(P)),
            P + ": header length 64 runs past the end of the file (10 bytes)");
  EXPECT_EQ(errorOf(readSafetensors(T.path("none.safetensors"))),
            T.path("none.safetensors") +
                ": cannot open: No such file or directory");
}

} // namespace
