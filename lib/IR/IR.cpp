//===- IR.cpp - Types, op tables, functions and the builder ---------------===//
#include "nnc/IR/IR.h"
#include <cassert>
#include <charconv>

using namespace nnc;
using namespace nnc::ir;

Type Type::tuple(std::vector<Type> Elements) {
  Type T;
  T.IsTuple = true;
  T.Elements = std::move(Elements);
  return T;
}

void Type::print(llvm::raw_ostream &OS) const {
  if (!IsTuple) {
    OS << getElementKindName(Elem);
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

llvm::StringRef ir::getOpName(OpKind K) {
  switch (K) {
#define OP(Name, Spelling, NumOperands, Class)                                 \
  case OpKind::Name:                                                           \
    return Spelling;
#include "nnc/IR/Ops.def"
  }
  return "?";
}

OpClass ir::getOpClass(OpKind K) {
  switch (K) {
#define OP(Name, Spelling, NumOperands, Class)                                 \
  case OpKind::Name:                                                           \
    return OpClass::Class;
#include "nnc/IR/Ops.def"
  }
  return OpClass::Other;
}

int ir::getOpArity(OpKind K) {
  switch (K) {
#define OP(Name, Spelling, NumOperands, Class)                                 \
  case OpKind::Name:                                                           \
    return NumOperands;
#include "nnc/IR/Ops.def"
  }
  return -1;
}

llvm::StringRef ir::getDeriveKindName(DeriveKind K) {
  switch (K) {
  case DeriveKind::Grad:
    return "grad";
  case DeriveKind::ValueAndGrad:
    return "value_and_grad";
  case DeriveKind::Vjp:
    return "vjp";
  }
  return "?";
}

double Op::getConstAsDouble() const {
  return Ty.isFloat() ? FloatValue : static_cast<double>(IntValue);
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

ValueId Builder::param(Type Ty, std::string Name) {
  assert((F.Ops.empty() || F.Ops.back().Kind == OpKind::Param) &&
         "parameters come before every other op");
  Op O;
  O.Kind = OpKind::Param;
  O.Ty = std::move(Ty);
  O.IntValue = static_cast<int64_t>(F.Ops.size());
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
  assert(getOpArity(K) == 1 && "not a unary op");
  Op O;
  O.Kind = K;
  const Type &TA = F.typeOf(A);
  switch (getOpClass(K)) {
  case OpClass::Arith:
    assert((TA.isFloat() || TA.isInt()) && "arithmetic on numbers");
    O.Ty = TA;
    break;
  case OpClass::Math:
    assert(TA.isFloat() && "math functions take floats");
    O.Ty = TA;
    break;
  case OpClass::Logic:
    assert(TA.isBool() && "logic on bools");
    O.Ty = TA;
    break;
  default:
    assert(false && "use the dedicated builder");
  }
  O.Operands = {A};
  return push(std::move(O));
}

ValueId Builder::binary(OpKind K, ValueId A, ValueId B) {
  assert(getOpArity(K) == 2 && "not a binary op");
  const Type &TA = F.typeOf(A);
  assert(TA == F.typeOf(B) && "binary operands share a type");
  Op O;
  O.Kind = K;
  switch (getOpClass(K)) {
  case OpClass::Arith:
    assert((TA.isFloat() || TA.isInt()) && "arithmetic on numbers");
    O.Ty = TA;
    break;
  case OpClass::Math:
    assert(TA.isFloat() && "math functions take floats");
    O.Ty = TA;
    break;
  case OpClass::Cmp:
    assert(TA.isScalar() && "comparison of scalars");
    O.Ty = Type::scalar(ElementKind::Bool);
    break;
  case OpClass::Logic:
    assert(TA.isBool() && "logic on bools");
    O.Ty = TA;
    break;
  default:
    assert(false && "use the dedicated builder");
  }
  O.Operands = {A, B};
  return push(std::move(O));
}

ValueId Builder::select(ValueId C, ValueId A, ValueId B) {
  assert(F.typeOf(C).isBool() && "select condition is bool");
  assert(F.typeOf(A) == F.typeOf(B) && "select arms share a type");
  Op O;
  O.Kind = OpKind::Select;
  O.Ty = F.typeOf(A);
  O.Operands = {C, A, B};
  return push(std::move(O));
}

ValueId Builder::convert(ValueId A, ElementKind To) {
  assert(F.typeOf(A).isScalar() && "convert scalars");
  Op O;
  O.Kind = OpKind::Convert;
  O.Ty = Type::scalar(To);
  O.Operands = {A};
  return push(std::move(O));
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
  std::vector<Type> Types;
  for (ValueId E : Elements)
    Types.push_back(F.typeOf(E));
  Op O;
  O.Kind = OpKind::Tuple;
  O.Ty = Type::tuple(std::move(Types));
  O.Operands.assign(Elements.begin(), Elements.end());
  return push(std::move(O));
}

ValueId Builder::extract(ValueId T, unsigned Index) {
  const Type &TT = F.typeOf(T);
  assert(TT.isTuple() && Index < TT.getElements().size() && "extract index");
  Op O;
  O.Kind = OpKind::Extract;
  O.Ty = TT.getElements()[Index];
  O.IntValue = Index;
  O.Operands = {T};
  return push(std::move(O));
}

void Builder::ret(ValueId V) {
  Op O;
  O.Kind = OpKind::Return;
  O.Ty = F.typeOf(V);
  O.Operands = {V};
  push(std::move(O));
}

ValueId ir::inlineCall(Builder &B, const Function &Callee,
                       llvm::ArrayRef<ValueId> Args) {
  std::vector<ValueId> Map(Callee.Ops.size());
  for (size_t I = 0; I < Callee.Ops.size(); ++I) {
    const Op &Src = Callee.Ops[I];
    if (Src.Kind == OpKind::Param) {
      Map[I] = Args[Src.IntValue];
      continue;
    }
    if (Src.Kind == OpKind::Return)
      return Map[Src.Operands[0]];
    Op Copy = Src;
    for (ValueId &V : Copy.Operands)
      V = Map[V];
    Map[I] = B.append(std::move(Copy));
  }
  assert(false && "function without return");
  return 0;
}

std::string ir::formatDouble(double V) {
  char Buf[64];
  auto Res = std::to_chars(Buf, Buf + sizeof(Buf), V);
  return std::string(Buf, Res.ptr);
}
