//===- OpModelTest.cpp - Ops.def's table, typed attributes, type rules ----===//
//
// The op model of issue 12: every property of an op kind comes from
// Ops.def, attributes are typed and checked against the kind, and the
// builder and the verifier apply one type rule (ir::inferType).
//
//===----------------------------------------------------------------------===//
#include "nnc/IR/IR.h"
#include "gtest/gtest.h"

using namespace nnc;
using namespace nnc::ir;

namespace {

TEST(OpModelTest, PropertiesComeFromTheTable) {
  EXPECT_EQ(getOpName(OpKind::LogSoftmax), "log_softmax");
  EXPECT_EQ(getOpArity(OpKind::Select), 3);
  EXPECT_EQ(getOpArity(OpKind::Call), -1);
  EXPECT_EQ(getOpClass(OpKind::Softplus), OpClass::Math);
  // CSE may sort the operands of exactly these.
  for (OpKind K : {OpKind::Add, OpKind::Mul, OpKind::Eq, OpKind::Ne,
                   OpKind::And, OpKind::Or})
    EXPECT_TRUE(isCommutative(K)) << getOpName(K).str();
  // max(+0, -0) and max(-0, +0) differ; so do ties and NaNs.
  for (OpKind K : {OpKind::Max, OpKind::Min, OpKind::Sub, OpKind::Lt,
                   OpKind::MatMul})
    EXPECT_FALSE(isCommutative(K)) << getOpName(K).str();
  for (OpKind K : {OpKind::Add, OpKind::Softplus, OpKind::Not,
                   OpKind::Select, OpKind::Convert})
    EXPECT_TRUE(isElementwise(K)) << getOpName(K).str();
  for (OpKind K : {OpKind::Broadcast, OpKind::MatMul, OpKind::Call,
                   OpKind::Tuple, OpKind::ReduceSum})
    EXPECT_FALSE(isElementwise(K)) << getOpName(K).str();
  for (OpKind K : {OpKind::ReduceSum, OpKind::ArgMax, OpKind::Softmax,
                   OpKind::LogSoftmax, OpKind::Iota})
    EXPECT_TRUE(hasAxis(K)) << getOpName(K).str();
  EXPECT_FALSE(hasAxis(OpKind::Extract));
  EXPECT_EQ(getAttrKind(OpKind::Extract), AttrKind::Index);
  EXPECT_EQ(getAttrKind(OpKind::Randn), AttrKind::Stream);
  EXPECT_EQ(getAttrKind(OpKind::DimValue), AttrKind::Dim);
  EXPECT_EQ(getAttrKind(OpKind::Add), AttrKind::None);
  EXPECT_TRUE(hasGradient(OpKind::Softplus));
  EXPECT_TRUE(hasGradient(OpKind::Pick));
  for (OpKind K : {OpKind::ArgMax, OpKind::Lt, OpKind::Iota, OpKind::Rand})
    EXPECT_FALSE(hasGradient(K)) << getOpName(K).str();
}

/// f(x: f64[2, 3]) = reduce_sum(x, axis=1), as the builder makes it.
Function makeReduction() {
  Function F("f");
  Builder B(F);
  ValueId X = B.param(
      Type::tensor(ElementKind::F64, {Dim::constant(2), Dim::constant(3)}),
      "x");
  ValueId S = B.reduce(OpKind::ReduceSum, X, 1);
  F.ResultType = F.typeOf(S);
  B.ret(S);
  return F;
}

TEST(OpModelTest, BuilderTypesFollowTheSharedRule) {
  Function F = makeReduction();
  EXPECT_EQ(F.Ops[1].getAxis(), 1u);
  EXPECT_EQ(F.Ops[1].Ty.str(), "f64[2]");
  EXPECT_EQ(F.Ops[0].getIndex(), 0u);
  EXPECT_EQ(verifyFunction(F), "");
  // The same rule, asked directly.
  const Type *Operand = &F.Ops[0].Ty;
  std::optional<Type> T = inferType(F.Ops[1], {Operand});
  ASSERT_TRUE(T);
  EXPECT_EQ(*T, F.Ops[1].Ty);
}

TEST(OpModelTest, VerifierAppliesTheSharedRule) {
  Function F = makeReduction();
  // Another axis gives another type than the op claims.
  F.Ops[1].setAxis(0);
  EXPECT_EQ(verifyFunction(F),
            "@f: op 1 (reduce_sum): result type f64[2] differs from f64[3], "
            "the type its operands give");
  // An axis past the rank breaks the rule itself.
  F.Ops[1].setAxis(2);
  std::string Why;
  const Type *Operand = &F.Ops[0].Ty;
  EXPECT_FALSE(inferType(F.Ops[1], {Operand}, &Why));
  EXPECT_EQ(Why, "reduction axis or shape");
  EXPECT_EQ(verifyFunction(F), "@f: op 1 (reduce_sum): " + Why);
}

TEST(OpModelTest, AnAttributeOfAnotherKindIsRejected) {
  Function F = makeReduction();
  // Written past the accessors: an index where the kind carries an axis.
  F.Ops[1].Attr = IndexAttr{1};
  EXPECT_EQ(verifyFunction(F),
            "@f: op 1 (reduce_sum): attribute of the wrong kind");
  F.Ops[1].Attr = std::monostate();
  EXPECT_EQ(verifyFunction(F),
            "@f: op 1 (reduce_sum): attribute of the wrong kind");
}

TEST(OpModelTest, AttributesCompareByValue) {
  Function F = makeReduction();
  Op Copy = F.Ops[1];
  EXPECT_TRUE(Copy.Attr == F.Ops[1].Attr);
  Copy.setAxis(0);
  EXPECT_FALSE(Copy.Attr == F.Ops[1].Attr);
  Op D;
  D.Kind = OpKind::DimValue;
  D.setDim(Dim::var("n") * Dim::constant(2));
  Op E = D;
  EXPECT_TRUE(D.Attr == E.Attr);
  E.setDim(Dim::var("n"));
  EXPECT_FALSE(D.Attr == E.Attr);
}

} // namespace
