//===- IR.h - nnc's typed SSA IR --------------------------------*- C++ -*-===//
//
// One IR for forward and backward code. A function is a vector of ops in
// topological order: its parameters first (one `param` op each), a single
// `return` last. Every op defines one value, named by its index, so a value
// id is an op index and operands always point backwards. Derived functions
// (grad, value_and_grad, vjp) start as DerivedDecls in the module; the AD
// stage turns each into an ordinary Function.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_IR_IR_H
#define NNC_IR_IR_H

#include "nnc/Support/ElementKind.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc::ir {

/// A scalar of some element kind, or a tuple of types.
class Type {
public:
  Type() = default;
  static Type scalar(ElementKind K) { return Type(K); }
  static Type tuple(std::vector<Type> Elements);

  bool isScalar() const { return !IsTuple; }
  bool isTuple() const { return IsTuple; }
  bool isFloat() const { return !IsTuple && isFloatKind(Elem); }
  bool isInt() const { return !IsTuple && isIntKind(Elem); }
  bool isBool() const { return !IsTuple && Elem == ElementKind::Bool; }
  ElementKind getElementKind() const { return Elem; }
  llvm::ArrayRef<Type> getElements() const { return Elements; }

  bool operator==(const Type &O) const {
    return IsTuple == O.IsTuple && (IsTuple || Elem == O.Elem) &&
           Elements == O.Elements;
  }
  bool operator!=(const Type &O) const { return !(*this == O); }
  void print(llvm::raw_ostream &OS) const;
  std::string str() const;

private:
  explicit Type(ElementKind K) : Elem(K) {}
  bool IsTuple = false;
  ElementKind Elem = ElementKind::F64;
  std::vector<Type> Elements;
};

enum class OpKind {
#define OP(Name, Spelling, NumOperands, Class) Name,
#include "nnc/IR/Ops.def"
};
enum class OpClass { Leaf, Arith, Math, Cmp, Logic, Other };

llvm::StringRef getOpName(OpKind K);
OpClass getOpClass(OpKind K);
/// Number of operands, or -1 for variadic ops.
int getOpArity(OpKind K);

using ValueId = uint32_t;

struct Op {
  OpKind Kind = OpKind::Const;
  Type Ty;
  llvm::SmallVector<ValueId, 3> Operands;
  double FloatValue = 0; // const of a float type
  int64_t IntValue = 0;  // const of an integer or bool type; param and
                         // extract index
  std::string Callee;    // call
  std::string Name;      // a readable name for printers; may be empty
  llvm::SMLoc Loc;

  bool isConst() const { return Kind == OpKind::Const; }
  /// The constant as a double, whatever its type.
  double getConstAsDouble() const;
};

class Function {
public:
  explicit Function(std::string Name) : Name(std::move(Name)) {}

  std::string Name;
  std::vector<Op> Ops;
  Type ResultType;
  /// Names of the result's components for the C ABI (one per tuple leaf);
  /// empty for a scalar result.
  std::vector<std::string> ResultNames;
  /// Exported functions get external linkage and a place in the C header.
  bool Exported = true;
  /// The function holding the user-written backward rule of this one, if
  /// any: it takes this function's parameters and the upstream gradient.
  std::string BackwardFn;
  llvm::SMLoc Loc;

  unsigned getNumParams() const;
  const Op &getParam(unsigned I) const { return Ops[I]; }
  Type getParamType(unsigned I) const { return Ops[I].Ty; }
  llvm::StringRef getParamName(unsigned I) const { return Ops[I].Name; }
  ValueId getReturnedValue() const { return Ops.back().Operands[0]; }
  const Op &op(ValueId V) const { return Ops[V]; }
  Op &op(ValueId V) { return Ops[V]; }
  const Type &typeOf(ValueId V) const { return Ops[V].Ty; }
};

enum class DeriveKind { Grad, ValueAndGrad, Vjp };
llvm::StringRef getDeriveKindName(DeriveKind K);

/// A function to be derived by AD: `Name = Kind(Of) wrt Wrt`.
struct DerivedDecl {
  std::string Name;
  DeriveKind Kind = DeriveKind::Grad;
  std::string Of;
  std::vector<unsigned> Wrt;
  bool Exported = true;
  llvm::SMLoc Loc;
};

class Module {
public:
  std::string Name;
  std::vector<std::unique_ptr<Function>> Functions;
  /// Derived functions not yet materialized; AD builds each after those it
  /// needs, whatever their order here.
  std::vector<DerivedDecl> Derived;

  Function *lookup(llvm::StringRef Name);
  const Function *lookup(llvm::StringRef Name) const;
  const DerivedDecl *lookupDerived(llvm::StringRef Name) const;
  Function &addFunction(std::string Name);
};

/// Appends ops to a function, asserting the IR's type invariants. The
/// create* helpers compute the result type from the operands.
class Builder {
public:
  explicit Builder(Function &F) : F(F) {}
  Function &getFunction() { return F; }

  ValueId param(Type Ty, std::string Name);
  ValueId constant(Type Ty, double Value);
  /// An integer or bool constant, exactly (a double cannot hold every i64).
  ValueId intConstant(Type Ty, int64_t Value);
  ValueId unary(OpKind K, ValueId A);
  ValueId binary(OpKind K, ValueId A, ValueId B);
  ValueId select(ValueId C, ValueId A, ValueId B);
  ValueId convert(ValueId A, ElementKind To);
  ValueId call(const Function &Callee, llvm::ArrayRef<ValueId> Args);
  ValueId call(llvm::StringRef Callee, Type Result,
               llvm::ArrayRef<ValueId> Args);
  ValueId tuple(llvm::ArrayRef<ValueId> Elements);
  ValueId extract(ValueId Tuple, unsigned Index);
  void ret(ValueId V);
  /// Appends \p O as it is (used by cloners and passes).
  ValueId append(Op O);

  /// Location and name given to the next ops created.
  void setLoc(llvm::SMLoc L) { Loc = L; }
  void setNextName(std::string N) { NextName = std::move(N); }

private:
  ValueId push(Op O);
  Function &F;
  llvm::SMLoc Loc;
  std::string NextName;
};

/// Prints the textual IR; the form tests FileCheck against.
void printFunction(const Function &F, llvm::raw_ostream &OS);
void printModule(const Module &M, llvm::raw_ostream &OS);

/// Prints functions as .nn source that nnc compiles again.
void printModuleAsNN(const Module &M, llvm::raw_ostream &OS);

/// Checks the invariants; returns a description of the first broken one.
/// A failure is a compiler bug, never a user error.
std::string verifyFunction(const Function &F, const Module *M = nullptr);
std::string verifyModule(const Module &M);

/// Copies the ops of \p Callee into the function \p B builds, mapping its
/// parameters to \p Args. Returns the value the callee returns.
ValueId inlineCall(Builder &B, const Function &Callee,
                   llvm::ArrayRef<ValueId> Args);

/// Formats a double with the fewest digits that read back exactly.
std::string formatDouble(double V);

} // namespace nnc::ir

#endif // NNC_IR_IR_H
