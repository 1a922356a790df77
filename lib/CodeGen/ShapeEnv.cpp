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
  if (ScopeAt && D.isValid() && !D.Vars.empty())
    return getInScope(D, Key);
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

void ShapeEnv::seal() {
  Sealed = true;
  llvm::Function *F = B.GetInsertBlock()->getParent();
  llvm::IRBuilder<> Entry(&F->getEntryBlock(), F->getEntryBlock().begin());
  auto Spill = [&](llvm::StringRef Key, llvm::Value *V) {
    if (llvm::isa<llvm::Constant>(V))
      return;
    llvm::AllocaInst *Slot = Entry.CreateAlloca(B.getInt64Ty(), nullptr, "dim");
    B.CreateStore(V, Slot);
    Slots[Key] = Slot;
  };
  for (const auto &E : Cache)
    Spill(E.getKey(), E.getValue());
  for (const auto &E : Vars)
    Spill(("$" + E.getKey()).str(), E.getValue());
}

void ShapeEnv::beginScope(llvm::Instruction *At) {
  assert(Sealed && "scopes copy the values seal() stored");
  ScopeAt = At;
  ScopeCache.clear();
}

void ShapeEnv::setRowCount(llvm::StringRef Var, llvm::Value *Count,
                           llvm::Instruction *At) {
  assert(ScopeAt && "row counts are set within a scope");
  RowVar = Var.str();
  RowCount = Count;
  RowAt = At;
  // Products of the variable remembered so far were of its full extent.
  for (auto It = ScopeCache.begin(); It != ScopeCache.end();) {
    auto Cur = It++;
    if (llvm::StringRef(Cur->getKey()).contains(RowVar))
      ScopeCache.erase(Cur);
  }
}

llvm::Value *ShapeEnv::getInScope(const ir::Dim &D, const std::string &Key) {
  if (llvm::Value *V = ScopeCache.lookup(Key))
    return V;
  if (RowCount && llvm::is_contained(D.Vars, RowVar)) {
    // A product of the slice's row count, in the slice's code; the other
    // variables are the scope's copies.
    llvm::IRBuilder<> At(RowAt);
    llvm::Value *R = D.Factor == 1 ? nullptr : At.getInt64(D.Factor);
    for (const std::string &Var : D.Vars) {
      llvm::Value *X = Var == RowVar ? RowCount : get(ir::Dim::var(Var));
      R = R ? At.CreateMul(R, X) : X;
    }
    ScopeCache[Key] = R;
    return R;
  }
  llvm::IRBuilder<> At(ScopeAt);
  auto Load = [&](llvm::AllocaInst *Slot) {
    return At.CreateAlignedLoad(At.getInt64Ty(), Slot, llvm::Align(8),
                                /*isVolatile=*/true, "dim.copy");
  };
  llvm::Value *R = nullptr;
  if (llvm::AllocaInst *Slot = Slots.lookup(Key)) {
    R = Load(Slot);
  } else if (llvm::Value *V = Cache.lookup(Key)) {
    R = V; // a constant
  } else {
    // A product prepare() checked but did not keep: of copies of its
    // variables.
    R = D.Factor == 1 ? nullptr : At.getInt64(D.Factor);
    for (const std::string &Var : D.Vars) {
      std::string VarKey = "$" + Var;
      llvm::Value *X = ScopeCache.lookup(VarKey);
      if (!X) {
        llvm::AllocaInst *Slot = Slots.lookup(VarKey);
        X = Slot ? Load(Slot) : Vars.lookup(Var);
        assert(X && "dimension variables are bound before use");
        ScopeCache[VarKey] = X;
      }
      R = R ? At.CreateMul(R, X) : X;
    }
  }
  ScopeCache[Key] = R;
  return R;
}

llvm::Value *ShapeEnv::copyPointer(llvm::Value *P) {
  if (!ScopeAt || llvm::isa<llvm::Constant>(P) || llvm::isa<llvm::AllocaInst>(P))
    return P;
  llvm::Value *&Copy = PointerCopies[P];
  if (!Copy)
    Copy = llvm::IRBuilder<>(ScopeAt).CreateLaunderInvariantGroup(P);
  return Copy;
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
