//===- IR.cpp - Types, op tables, functions and the builder ---------------===//
#include "nnc/IR/IR.h"
#include <cassert>
#include "llvm/ADT/STLExtras.h"
#include <charconv>

using namespace nnc;
using namespace nnc::ir;

Type Type::tensor(ElementKind K, Shape S) {
  Type T(K);
  T.Dims = std::move(S);
  return T;
}

Type Type::withElementKind(ElementKind K) const {
  assert(!IsTuple && "element kind of a tuple");
  return tensor(K, Dims);
}

void ir::collectDimVars(const Type &T, std::vector<std::string> &Out) {
  if (T.isTuple()) {
    for (const Type &E : T.getElements())
      collectDimVars(E, Out);
    return;
  }
  for (const Dim &D : T.getShape())
    for (const std::string &V : D.Vars)
      if (!llvm::is_contained(Out, V))
        Out.push_back(V);
}

Type ir::substitute(const Type &T, const DimSubstitution &S) {
  if (T.isTuple()) {
    std::vector<Type> Elements;
    for (const Type &E : T.getElements())
      Elements.push_back(substitute(E, S));
    return Type::tuple(std::move(Elements));
  }
  if (S.empty() || T.isScalar())
    return T;
  Shape Dims;
  for (const Dim &D : T.getShape())
    Dims.push_back(substitute(D, S));
  return Type::tensor(T.getElementKind(), std::move(Dims));
}

bool ir::bindDims(const Type &Formal, const Type &Actual, DimSubstitution &S) {
  if (Formal.isTuple() != Actual.isTuple())
    return false;
  if (Formal.isTuple()) {
    if (Formal.getElements().size() != Actual.getElements().size())
      return false;
    for (size_t I = 0; I < Formal.getElements().size(); ++I)
      if (!bindDims(Formal.getElements()[I], Actual.getElements()[I], S))
        return false;
    return true;
  }
  if (Formal.getElementKind() != Actual.getElementKind() ||
      Formal.getRank() != Actual.getRank())
    return false;
  for (unsigned I = 0; I < Formal.getRank(); ++I) {
    const Dim &F = Formal.getShape()[I];
    const Dim &A = Actual.getShape()[I];
    if (F.Factor > 1 && F.Vars.size() == 1 && A.isConstant() &&
        A.Factor % F.Factor == 0 &&
        llvm::none_of(S, [&](const auto &P) { return P.first == F.Vars[0]; })) {
      // Seen scaled only (`2*n` given 6): bound by division, as at run time.
      S.emplace_back(F.Vars[0], Dim::constant(A.Factor / F.Factor));
      continue;
    }
    if (F.Factor != 1 || F.Vars.size() != 1)
      continue; // checked once every plain variable is bound
    auto It =
        llvm::find_if(S, [&](const auto &P) { return P.first == F.Vars[0]; });
    if (It == S.end())
      S.emplace_back(F.Vars[0], Actual.getShape()[I]);
    else if (It->second != Actual.getShape()[I])
      return false;
  }
  return true;
}

Type Type::tuple(std::vector<Type> Elements) {
  Type T;
  T.IsTuple = true;
  T.Elements = std::move(Elements);
  return T;
}

void Type::print(llvm::raw_ostream &OS) const {
  if (!IsTuple) {
    OS << getElementKindName(Elem);
    if (!Dims.empty()) {
      OS << '[';
      for (size_t I = 0; I < Dims.size(); ++I) {
        if (I)
          OS << ", ";
        Dims[I].print(OS);
      }
      OS << ']';
    }
    return;
  }
  OS << '(';
  for (size_t I = 0; I < Elements.size(); ++I) {
    if (I)
      OS << ", ";
    Elements[I].print(OS);
  }
  OS << ')';
}

std::string Type::str() const {
  std::string S;
  llvm::raw_string_ostream OS(S);
  print(OS);
  return S;
}

Module::Instance Module::makeOptimizerState(const Instance &Net,
                                            Optimizer O) {
  Instance S;
  S.Name = Net.Name + "." + getOptimizerName(O).str();
  S.IsState = true;
  for (const std::string &Prefix : getStatePrefixes(O))
    for (unsigned I = 0; I < Net.getNumParams(); ++I)
      S.Params.emplace_back(Prefix + "." + Net.Params[I].first,
                            Net.Params[I].second);
  if (hasStepCount(O))
    S.Params.emplace_back("t", Type::scalar(ElementKind::I64));
  return S;
}

unsigned Function::getFirstInPlaceLeaf() const {
  return flattenLeaves(ResultType).size() - getNumInPlace();
}

double Op::getConstAsDouble() const {
  return Ty.isFloat() ? FloatValue : static_cast<double>(IntValue);
}

std::vector<std::string> Function::getDimVars() const {
  std::vector<std::string> Vars;
  for (unsigned I = 0, E = getNumParams(); I < E; ++I)
    collectDimVars(Ops[I].Ty, Vars);
  return Vars;
}

const Module::Instance *Module::lookupInstance(llvm::StringRef N) const {
  for (const Instance &I : Instances)
    if (I.Name == N)
      return &I;
  return nullptr;
}

unsigned Function::getNumParams() const {
  unsigned N = 0;
  while (N < Ops.size() && Ops[N].Kind == OpKind::Param)
    ++N;
  return N;
}

Function *Module::lookup(llvm::StringRef FnName) {
  for (auto &F : Functions)
    if (F->Name == FnName)
      return F.get();
  return nullptr;
}

const Function *Module::lookup(llvm::StringRef FnName) const {
  return const_cast<Module *>(this)->lookup(FnName);
}

const DerivedDecl *Module::lookupDerived(llvm::StringRef DName) const {
  for (const DerivedDecl &D : Derived)
    if (D.Name == DName)
      return &D;
  return nullptr;
}

Function &Module::addFunction(std::string FnName) {
  Functions.push_back(std::make_unique<Function>(std::move(FnName)));
  return *Functions.back();
}

//===----------------------------------------------------------------------===//
// Builder
//===----------------------------------------------------------------------===//

ValueId Builder::push(Op O) {
  O.Loc = O.Loc.isValid() ? O.Loc : Loc;
  if (O.Name.empty()) {
    O.Name = std::move(NextName);
  }
  NextName.clear();
  F.Ops.push_back(std::move(O));
  return static_cast<ValueId>(F.Ops.size() - 1);
}

ValueId Builder::append(Op O) { return push(std::move(O)); }

ValueId Builder::create(Op O) {
  llvm::SmallVector<const Type *, 3> Types;
  for (ValueId V : O.Operands)
    Types.push_back(&F.typeOf(V));
  std::string Why;
  std::optional<Type> Ty = inferType(O, Types, &Why);
#ifndef NDEBUG
  if (!Ty)
    llvm::errs() << "ir::Builder: " << getOpName(O.Kind) << ": " << Why
                 << '\n';
#endif
  assert(Ty && "the op breaks its type rule (ShapeInference.cpp)");
  if (Ty)
    O.Ty = std::move(*Ty);
  return push(std::move(O));
}

ValueId Builder::param(Type Ty, std::string Name) {
  assert((F.Ops.empty() || F.Ops.back().Kind == OpKind::Param) &&
         "parameters come before every other op");
  Op O;
  O.Kind = OpKind::Param;
  O.Ty = std::move(Ty);
  O.setIndex(static_cast<unsigned>(F.Ops.size()));
  O.Name = std::move(Name);
  return push(std::move(O));
}

ValueId Builder::constant(Type Ty, double Value) {
  assert(Ty.isScalar() && "constants are scalars");
  Op O;
  O.Kind = OpKind::Const;
  O.Ty = Ty;
  if (Ty.isFloat()) {
    O.FloatValue = Ty.getElementKind() == ElementKind::F32
                       ? static_cast<double>(static_cast<float>(Value))
                       : Value;
  } else if (Ty.isBool()) {
    O.IntValue = Value != 0;
  } else {
    assert(Value == static_cast<double>(static_cast<int64_t>(Value)) &&
           "an integer constant from a double must be exact; use intConstant");
    O.IntValue = static_cast<int64_t>(Value);
    if (Ty.getElementKind() == ElementKind::I32)
      O.IntValue = static_cast<int32_t>(O.IntValue);
  }
  return push(std::move(O));
}

ValueId Builder::intConstant(Type Ty, int64_t Value) {
  assert((Ty.isInt() || Ty.isBool()) && "integer constants are integers");
  Op O;
  O.Kind = OpKind::Const;
  O.Ty = Ty;
  O.IntValue = Ty.isBool() ? Value != 0
               : Ty.getElementKind() == ElementKind::I32
                   ? static_cast<int32_t>(Value)
                   : Value;
  return push(std::move(O));
}

ValueId Builder::unary(OpKind K, ValueId A) {
  assert(getOpArity(K) == 1 && getOpClass(K) != OpClass::Other &&
         "not a unary op; use the dedicated builder");
  Op O;
  O.Kind = K;
  O.Operands = {A};
  return create(std::move(O));
}

ValueId Builder::binary(OpKind K, ValueId A, ValueId B) {
  assert(getOpArity(K) == 2 && getOpClass(K) != OpClass::Other &&
         "not a binary op; use the dedicated builder");
  Op O;
  O.Kind = K;
  O.Operands = {A, B};
  return create(std::move(O));
}

ValueId Builder::select(ValueId C, ValueId A, ValueId B) {
  Op O;
  O.Kind = OpKind::Select;
  O.Operands = {C, A, B};
  return create(std::move(O));
}

ValueId Builder::convert(ValueId A, ElementKind To) {
  assert(F.typeOf(A).isLeaf() && "convert scalars or tensors");
  Op O;
  O.Kind = OpKind::Convert;
  O.Ty = F.typeOf(A).withElementKind(To);
  O.Operands = {A};
  return create(std::move(O));
}

ValueId Builder::call(const Function &Callee, llvm::ArrayRef<ValueId> Args) {
  assert(Args.size() == Callee.getNumParams() && "call arity");
  return call(Callee.Name, Callee.ResultType, Args);
}

ValueId Builder::call(llvm::StringRef Callee, Type Result,
                      llvm::ArrayRef<ValueId> Args) {
  Op O;
  O.Kind = OpKind::Call;
  O.Ty = std::move(Result);
  O.Callee = Callee.str();
  O.Operands.assign(Args.begin(), Args.end());
  return push(std::move(O));
}

ValueId Builder::tuple(llvm::ArrayRef<ValueId> Elements) {
  Op O;
  O.Kind = OpKind::Tuple;
  O.Operands.assign(Elements.begin(), Elements.end());
  return create(std::move(O));
}

ValueId Builder::extract(ValueId T, unsigned Index) {
  Op O;
  O.Kind = OpKind::Extract;
  O.setIndex(Index);
  O.Operands = {T};
  return create(std::move(O));
}

void Builder::ret(ValueId V) {
  Op O;
  O.Kind = OpKind::Return;
  O.Ty = F.typeOf(V);
  O.Operands = {V};
  push(std::move(O));
}

ValueId ir::inlineCall(Builder &B, const Function &Callee,
                       llvm::ArrayRef<ValueId> Args, ExpandFn Expand) {
  DimSubstitution Dims;
  for (size_t I = 0; I < Args.size(); ++I) {
    [[maybe_unused]] bool Bound = bindDims(
        Callee.getParamType(I), B.getFunction().typeOf(Args[I]), Dims);
    assert(Bound && "call argument does not fit its parameter");
  }
  // A callee's own dimension variable may also name a different caller
  // dimension; substitution is simultaneous, so that is fine.
  std::vector<ValueId> Map(Callee.Ops.size());
  for (size_t I = 0; I < Callee.Ops.size(); ++I) {
    const Op &Src = Callee.Ops[I];
    if (Src.Kind == OpKind::Param) {
      Map[I] = Args[Src.getIndex()];
      continue;
    }
    if (Src.Kind == OpKind::Return)
      return Map[Src.Operands[0]];
    llvm::SmallVector<ValueId, 3> Operands;
    for (ValueId V : Src.Operands)
      Operands.push_back(Map[V]);
    if (Src.Kind == OpKind::Call && Expand) {
      if (const Function *Target = Expand(Src)) {
        Map[I] = inlineCall(B, *Target, Operands, Expand);
        continue;
      }
    }
    Op Copy = Src;
    Copy.Operands = std::move(Operands);
    if (!Dims.empty()) {
      Copy.Ty = substitute(Copy.Ty, Dims);
      if (Copy.Kind == OpKind::DimValue)
        Copy.setDim(substitute(Copy.getDim(), Dims));
    }
    Map[I] = B.append(std::move(Copy));
  }
  assert(false && "function without return");
  return 0;
}

bool ir::inlineCallsInto(Function &F, ExpandFn Expand) {
  bool Any = false;
  for (const Op &O : F.Ops)
    Any |= O.Kind == OpKind::Call && Expand(O);
  if (!Any)
    return false;
  // Rebuilt into a fresh op vector, which keeps the ops in topological
  // order with each copied body before the call's uses.
  Function NF(F.Name);
  Builder B(NF);
  NF.Ops.reserve(F.Ops.size());
  std::vector<ValueId> Map(F.Ops.size());
  for (size_t I = 0; I < F.Ops.size(); ++I) {
    Op O = F.Ops[I];
    for (ValueId &V : O.Operands)
      V = Map[V];
    const Function *G = O.Kind == OpKind::Call ? Expand(O) : nullptr;
    if (!G) {
      Map[I] = B.append(std::move(O));
      continue;
    }
    size_t FirstNew = NF.Ops.size();
    ValueId R = inlineCall(B, *G, O.Operands);
    if (R >= FirstNew && NF.Ops[R].Name.empty())
      NF.Ops[R].Name = O.Name;
    Map[I] = R;
  }
  F.Ops = std::move(NF.Ops);
  return true;
}

//===----------------------------------------------------------------------===//
// Tensor builders
//===----------------------------------------------------------------------===//

ValueId Builder::tensorConstant(Type Ty, std::vector<double> Data) {
  assert(Ty.isTensor() && getNumElements(Ty.getShape()).isConstant() &&
         static_cast<int64_t>(Data.size()) ==
             getNumElements(Ty.getShape()).Factor &&
         "tensor constant of a constant shape");
  if (Ty.getElementKind() == ElementKind::F32)
    for (double &V : Data)
      V = static_cast<float>(V);
  Op O;
  O.Kind = OpKind::Const;
  O.Ty = std::move(Ty);
  O.Data = std::move(Data);
  return push(std::move(O));
}

ValueId Builder::splat(Type Ty, double Value) {
  Type Elem = Ty.getElementType();
  ValueId C = Elem.isFloat() ? constant(Elem, Value)
                             : intConstant(Elem, static_cast<int64_t>(Value));
  return broadcast(C, Ty);
}

ValueId Builder::broadcast(ValueId A, const Type &Ty) {
  if (F.typeOf(A) == Ty)
    return A;
  Op O;
  O.Kind = OpKind::Broadcast;
  O.Ty = Ty;
  O.Operands = {A};
  return create(std::move(O));
}

ValueId Builder::sumTo(ValueId A, const Type &Ty) {
  if (F.typeOf(A) == Ty)
    return A;
  Op O;
  O.Kind = OpKind::SumTo;
  O.Ty = Ty;
  O.Operands = {A};
  return create(std::move(O));
}

ValueId Builder::reshape(ValueId A, const Type &Ty) {
  if (F.typeOf(A) == Ty)
    return A;
  Op O;
  O.Kind = OpKind::Reshape;
  O.Ty = Ty;
  O.Operands = {A};
  return create(std::move(O));
}

ValueId Builder::reduce(OpKind K, ValueId A, unsigned Axis) {
  assert(hasAxis(K) && getOpArity(K) == 1 && "a reduction");
  Op O;
  O.Kind = K;
  O.setAxis(Axis);
  O.Operands = {A};
  return create(std::move(O));
}

ValueId Builder::softmax(OpKind K, ValueId A, unsigned Axis) {
  assert((K == OpKind::Softmax || K == OpKind::LogSoftmax) && "softmax");
  return reduce(K, A, Axis);
}

ValueId Builder::matmul(ValueId A, ValueId B) {
  Op O;
  O.Kind = OpKind::MatMul;
  O.Operands = {A, B};
  return create(std::move(O));
}

ValueId Builder::transpose(ValueId A) {
  Op O;
  O.Kind = OpKind::Transpose;
  O.Operands = {A};
  return create(std::move(O));
}

ValueId Builder::onehot(ValueId Labels, Dim Classes, ElementKind K) {
  Shape S = F.typeOf(Labels).getShape();
  S.push_back(std::move(Classes));
  Op O;
  O.Kind = OpKind::OneHot;
  O.Ty = Type::tensor(K, std::move(S));
  O.Operands = {Labels};
  return create(std::move(O));
}

ValueId Builder::pick(ValueId X, ValueId Labels) {
  Op O;
  O.Kind = OpKind::Pick;
  O.Operands = {X, Labels};
  return create(std::move(O));
}

ValueId Builder::iota(const Type &Ty, unsigned Axis) {
  Op O;
  O.Kind = OpKind::Iota;
  O.Ty = Ty;
  O.setAxis(Axis);
  return create(std::move(O));
}

ValueId Builder::dim(Dim D) {
  Op O;
  O.Kind = OpKind::DimValue;
  O.setDim(std::move(D));
  return create(std::move(O));
}

ValueId Builder::random(OpKind K, ValueId Seed, unsigned Stream,
                        const Type &Ty) {
  assert((K == OpKind::Rand || K == OpKind::Randn) && "random op");
  Op O;
  O.Kind = K;
  O.Ty = Ty;
  O.setStream(Stream);
  O.Operands = {Seed};
  return create(std::move(O));
}

// Indexing and structural ops (issue 12, tensorops).
ValueId Builder::slice(ValueId X, llvm::ArrayRef<ValueId> Starts,
                       llvm::ArrayRef<int64_t> Steps, const Type &Ty) {
  Op O;
  O.Kind = OpKind::Slice;
  O.Ty = Ty;
  O.setSteps(Steps);
  O.Operands = {X};
  O.Operands.append(Starts.begin(), Starts.end());
  return create(std::move(O));
}

ValueId Builder::unslice(ValueId G, llvm::ArrayRef<ValueId> Starts,
                         llvm::ArrayRef<int64_t> Steps, const Type &Ty) {
  Op O;
  O.Kind = OpKind::Unslice;
  O.Ty = Ty;
  O.setSteps(Steps);
  O.Operands = {G};
  O.Operands.append(Starts.begin(), Starts.end());
  return create(std::move(O));
}

ValueId Builder::concat(llvm::ArrayRef<ValueId> Parts, unsigned Axis) {
  Op O;
  O.Kind = OpKind::Concat;
  O.setAxis(Axis);
  O.Operands.append(Parts.begin(), Parts.end());
  return create(std::move(O));
}

ValueId Builder::permute(ValueId X, llvm::ArrayRef<unsigned> Perm) {
  Op O;
  O.Kind = OpKind::Permute;
  O.setPerm(Perm);
  O.Operands = {X};
  return create(std::move(O));
}

// Convolution and pooling (issue 12).
ValueId Builder::window(OpKind K, llvm::ArrayRef<ValueId> Operands,
                        const Window &W, const Type *Given) {
  assert(getAttrKind(K) == AttrKind::Window && "a window op");
  Op O;
  O.Kind = K;
  if (Given)
    O.Ty = *Given;
  O.setWindow(W);
  O.Operands.assign(Operands.begin(), Operands.end());
  return create(std::move(O));
}

std::string ir::formatDouble(double V) {
  char Buf[64];
  auto Res = std::to_chars(Buf, Buf + sizeof(Buf), V);
  return std::string(Buf, Res.ptr);
}

static void flattenInto(const ir::Type &T, std::vector<ir::Type> &Out) {
  if (T.isLeaf()) {
    Out.push_back(T);
    return;
  }
  for (const ir::Type &E : T.getElements())
    flattenInto(E, Out);
}

std::vector<ir::Type> ir::flattenLeaves(const Type &T) {
  std::vector<Type> Out;
  flattenInto(T, Out);
  return Out;
}
