//===- AST.cpp - Builtins, types and function keys of the AST -------------===//
//
// The small out-of-line pieces of AST.h: the builtin table generated from
// Builtins.def, operator spellings, and the printable/keyed spellings of
// semantic types and function references.
//
//===----------------------------------------------------------------------===//

#include "nnc/AST/AST.h"
#include "llvm/ADT/StringSwitch.h"

using namespace nnc;
using namespace nnc::ast;

Builtin ast::lookupBuiltin(llvm::StringRef Name) {
  return llvm::StringSwitch<Builtin>(Name)
#define BUILTIN(Id, Spelling, Family) .Case(Spelling, Builtin::Id)
#include "nnc/AST/Builtins.def"
      .Default(Builtin::None);
}

llvm::StringRef ast::getBuiltinName(Builtin B) {
  switch (B) {
  case Builtin::None:
    return "";
#define BUILTIN(Id, Spelling, Family)                                          \
  case Builtin::Id:                                                            \
    return Spelling;
#include "nnc/AST/Builtins.def"
  }
  return "";
}

BuiltinFamily ast::getBuiltinFamily(Builtin B) {
  switch (B) {
  case Builtin::None:
    return BuiltinFamily::None;
#define BUILTIN(Id, Spelling, Family)                                          \
  case Builtin::Id:                                                            \
    return BuiltinFamily::Family;
#include "nnc/AST/Builtins.def"
  }
  return BuiltinFamily::None;
}

llvm::StringRef ast::getBinaryOpSpelling(BinaryOp Op) {
  switch (Op) {
  case BinaryOp::Add:
    return "+";
  case BinaryOp::Sub:
    return "-";
  case BinaryOp::Mul:
    return "*";
  case BinaryOp::Div:
    return "/";
  case BinaryOp::MatMul:
    return "@";
  case BinaryOp::Pow:
    return "^";
  case BinaryOp::Lt:
    return "<";
  case BinaryOp::Le:
    return "<=";
  case BinaryOp::Gt:
    return ">";
  case BinaryOp::Ge:
    return ">=";
  case BinaryOp::Eq:
    return "==";
  case BinaryOp::Ne:
    return "!=";
  case BinaryOp::And:
    return "&&";
  case BinaryOp::Or:
    return "||";
  }
  return "?";
}

std::string Type::str() const {
  switch (TheKind) {
  case Invalid:
    return "<invalid>";
  case Scalar:
    return getElementKindName(Elem).str();
  case Tensor:
    return getElementKindName(Elem).str() + shapeToString(Dims);
  case Tuple: {
    std::string S = "(";
    for (size_t I = 0, E = Elements.size(); I != E; ++I) {
      if (I)
        S += ", ";
      S += Elements[I].str();
    }
    return S + ")";
  }
  }
  return "<invalid>";
}

std::string FunctionRef::key() const {
  if (Fn) {
    if (Instance)
      return Instance->Name + "." + Fn->Name;
    if (ViaMember >= 0 && Fn->Owner)
      return ViaName + "." + Fn->Name;
    if (Fn->Owner)
      return Fn->Owner->Name + "." + Fn->Name;
    return Fn->Name;
  }
  if (!Derived)
    return "<invalid>";
  // Spelled as the user would write it: the parameters are named only when
  // they are not the default (every float parameter), so equal keys mean
  // equal functions.
  const std::vector<std::string> &Names = Derived->ParamNames;
  const std::vector<Type> &Types = Derived->ParamTypes;
  std::vector<unsigned> Default;
  for (unsigned I = 0; I < Derived->NumOfParams && I < Types.size(); ++I)
    if (Types[I].isFloat())
      Default.push_back(I);
  std::string S =
      getDeriveKindName(Derived->Kind).str() + "(" + Derived->Of.key();
  if (Derived->Kind == DeriveKind::TrainStep)
    return S + ", " + getOptimizerName(Derived->Opt).str() + ")";
  if (Derived->Wrt != Default)
    for (unsigned I : Derived->Wrt)
      S += ", " + (I < Names.size() ? Names[I] : "#" + std::to_string(I));
  return S + ")";
}

int LayerDecl::findMember(llvm::StringRef MemberName) const {
  for (size_t I = 0; I < Members.size(); ++I)
    if (Members[I].Name == MemberName)
      return static_cast<int>(I);
  return -1;
}

