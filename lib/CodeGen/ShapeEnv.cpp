//===- ShapeEnv.cpp - Run-time values of symbolic dimensions --------------===//
#include "ShapeEnv.h"
#include "ScalarOps.h"

using namespace nnc;
using namespace nnc::codegen;

llvm::Value *ShapeEnv::mul(llvm::Value *X, llvm::Value *Y) {
  llvm::Value *R = B.CreateIntrinsic(llvm::Intrinsic::smul_with_overflow,
                                     {B.getInt64Ty()}, {X, Y});
  Overflow = B.CreateOr(Overflow, B.CreateExtractValue(R, 1));
  return B.CreateExtractValue(R, 0);
}

llvm::Value *ShapeEnv::add(llvm::Value *X, llvm::Value *Y) {
  llvm::Value *R = B.CreateIntrinsic(llvm::Intrinsic::sadd_with_overflow,
                                     {B.getInt64Ty()}, {X, Y});
  Overflow = B.CreateOr(Overflow, B.CreateExtractValue(R, 1));
  return B.CreateExtractValue(R, 0);
}

llvm::Value *ShapeEnv::alignTo(llvm::Value *V, uint64_t Align) {
  return B.CreateAnd(add(V, B.getInt64(Align - 1)), B.getInt64(~(Align - 1)));
}

llvm::Value *ShapeEnv::get(const ir::Dim &D) {
  std::string Key = D.str();
  if (llvm::Value *V = Cache.lookup(Key))
    return V;
  if (!D.isValid()) {
    // A size that already overflowed int64_t at compile time (a tensor of
    // constant shape that Sema could not see, such as a derivative's f64
    // mask of an f32 value): the call can only fail, before any access.
    Overflow = B.getTrue();
    return B.getInt64(0);
  }
  llvm::Value *R =
      D.Factor == 1 && !D.Vars.empty() ? nullptr : B.getInt64(D.Factor);
  for (const std::string &Var : D.Vars) {
    llvm::Value *X = Vars.lookup(Var);
    assert(X && "dimension variables are bound before use");
    // Once sealed, every product needed was checked by prepare().
    R = !R ? X : Sealed ? B.CreateMul(R, X) : mul(R, X);
  }
  if (!Sealed)
    Cache[Key] = R;
  return R;
}

ir::Dim codegen::getExtent(const ir::Shape &S, unsigned Begin, unsigned End) {
  ir::Dim R = ir::Dim::constant(1);
  for (unsigned I = Begin; I < End; ++I)
    R = R * S[I];
  return R;
}

void ShapeEnv::prepare(const ir::Type &T) {
  if (T.isTuple()) {
    for (const ir::Type &E : T.getElements())
      prepare(E);
    return;
  }
  const ir::Shape &S = T.getShape();
  for (unsigned Begin = 0; Begin <= S.size(); ++Begin)
    for (unsigned End = Begin; End <= S.size(); ++End)
      get(getExtent(S, Begin, End));
  get(getByteSize(T.getElementKind(), S));
}
