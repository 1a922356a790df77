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

#include "nnc/Support/DeriveKind.h"
#include "nnc/Support/ElementKind.h"
#include "nnc/Support/Optimizer.h"
#include "nnc/Support/Shape.h"
#include "nnc/Support/Window.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <memory>
#include <cassert>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace nnc::ir {

using nnc::Dim;
using nnc::Shape;

/// A scalar or tensor of some element kind, or a tuple of types. A scalar
/// is a tensor of rank 0. Dimensions refer to the dimension variables of
/// the function the type appears in.
class Type {
public:
  Type() = default;
  static Type scalar(ElementKind K) { return Type(K); }
  static Type tensor(ElementKind K, Shape S);
  static Type tuple(std::vector<Type> Elements);

  /// Not a tuple: a scalar or a tensor.
  bool isLeaf() const { return !IsTuple; }
  bool isScalar() const { return !IsTuple && Dims.empty(); }
  bool isTensor() const { return !IsTuple && !Dims.empty(); }
  bool isTuple() const { return IsTuple; }
  /// Element kind tests; true for tensors of that kind too.
  bool isFloat() const { return !IsTuple && isFloatKind(Elem); }
  bool isInt() const { return !IsTuple && isIntKind(Elem); }
  bool isBool() const { return !IsTuple && Elem == ElementKind::Bool; }
  ElementKind getElementKind() const { return Elem; }
  const Shape &getShape() const { return Dims; }
  unsigned getRank() const { return Dims.size(); }
  llvm::ArrayRef<Type> getElements() const { return Elements; }
  /// The same shape with another element kind.
  Type withElementKind(ElementKind K) const;
  /// The scalar of this type's element kind.
  Type getElementType() const { return Type(Elem); }

  bool operator==(const Type &O) const {
    return IsTuple == O.IsTuple && (IsTuple || (Elem == O.Elem && Dims == O.Dims)) &&
           Elements == O.Elements;
  }
  bool operator!=(const Type &O) const { return !(*this == O); }
  void print(llvm::raw_ostream &OS) const;
  std::string str() const;

private:
  explicit Type(ElementKind K) : Elem(K) {}
  bool IsTuple = false;
  ElementKind Elem = ElementKind::F64;
  Shape Dims;
  std::vector<Type> Elements;
};

/// Every dimension variable of \p T, in order of first appearance, added
/// to \p Out unless already there.
void collectDimVars(const Type &T, std::vector<std::string> &Out);

/// Replaces dimension variables by dimensions (used when inlining a call:
/// the callee's variables become the caller's dimensions).
using nnc::DimSubstitution;
using nnc::substitute;
Type substitute(const Type &T, const DimSubstitution &S);

/// Binds the dimension variables of \p Formal to the dimensions of
/// \p Actual (a parameter type against an argument type). Returns false when
/// they cannot match: different ranks or kinds, or conflicting bindings.
/// A formal dimension that is not a plain variable must equal the actual
/// one after substitution.
bool bindDims(const Type &Formal, const Type &Actual, DimSubstitution &S);

enum class OpKind {
#define OP(Name, Spelling, NumOperands, Class, Attr, Props) Name,
#include "nnc/IR/Ops.def"
};
enum class OpClass { Leaf, Arith, Math, Cmp, Logic, Other };

/// The attribute an op carries besides its operands and type (Ops.def's
/// Attr column); its value is the alternative of Op::Attr at the same index.
enum class AttrKind {
  None,
  Index,
  Axis,
  Stream,
  Dim,
  // Slicing and permutation (issue 12, tensorops).
  Steps,
  Perm,
  // Convolution and pooling (issue 12).
  Window,
};

/// Properties of an op kind (Ops.def's Props column).
namespace props {
enum OpProps : unsigned {
  Elementwise = 1,
  Commutative = 2,
  NoGradient = 4,
};
} // namespace props

namespace detail {
struct OpInfo {
  const char *Spelling;
  int Arity;
  OpClass Class;
  AttrKind Attr;
  unsigned Props;
};
using namespace props;
inline constexpr OpInfo OpInfos[] = {
#define OP(Name, Spelling, NumOperands, Class, Attr, Props)                    \
  {Spelling, NumOperands, OpClass::Class, AttrKind::Attr, Props},
#include "nnc/IR/Ops.def"
};
inline const OpInfo &getOpInfo(OpKind K) {
  return OpInfos[static_cast<unsigned>(K)];
}
} // namespace detail

inline llvm::StringRef getOpName(OpKind K) {
  return detail::getOpInfo(K).Spelling;
}
inline OpClass getOpClass(OpKind K) { return detail::getOpInfo(K).Class; }
/// Number of operands, or -1 for variadic ops.
inline int getOpArity(OpKind K) { return detail::getOpInfo(K).Arity; }
inline AttrKind getAttrKind(OpKind K) { return detail::getOpInfo(K).Attr; }
/// Whether ops of kind \p K carry an `axis=` attribute (Op::getAxis).
inline bool hasAxis(OpKind K) { return getAttrKind(K) == AttrKind::Axis; }
/// Whether each result element is computed from the same element of each
/// operand (arithmetic, math, comparisons, logic, select, convert).
inline bool isElementwise(OpKind K) {
  return detail::getOpInfo(K).Props & props::Elementwise;
}
/// Whether swapping the two operands gives the same value bit for bit.
inline bool isCommutative(OpKind K) {
  return detail::getOpInfo(K).Props & props::Commutative;
}
/// Whether a gradient can flow through the op to an operand.
inline bool hasGradient(OpKind K) {
  return !(detail::getOpInfo(K).Props & props::NoGradient);
}

/// The typed attributes, one struct per AttrKind. A new kind (conv2d's
/// stride and padding, a list of axes) is one more struct, one more
/// AttrKind, and its text in Printer.cpp and IRParser.cpp.
struct IndexAttr {
  unsigned Index = 0; // param: position; extract: tuple element
  bool operator==(const IndexAttr &) const = default;
};
struct AxisAttr {
  unsigned Axis = 0; // reductions, softmax, log_softmax, iota
  bool operator==(const AxisAttr &) const = default;
};
struct StreamAttr {
  unsigned Stream = 0; // rand, randn: which sequence of numbers
  bool operator==(const StreamAttr &) const = default;
};
struct DimAttr {
  Dim D; // dim: the dimension whose runtime value it reads
  bool operator==(const DimAttr &O) const { return D == O.D; }
};
// Slicing and permutation (issue 12, tensorops).
struct StepsAttr {
  // slice, unslice: the stride along each axis, >= 1.
  llvm::SmallVector<int64_t, 4> Steps;
  bool operator==(const StepsAttr &) const = default;
};
struct PermAttr {
  // permute: result axis i is operand axis Perm[i].
  llvm::SmallVector<unsigned, 4> Perm;
  bool operator==(const PermAttr &) const = default;
};
// Convolution and pooling (issue 12).
struct WindowAttr {
  Window W; // conv2d, the pools and their gradients
  bool operator==(const WindowAttr &) const = default;
};
using OpAttr = std::variant<std::monostate, IndexAttr, AxisAttr, StreamAttr,
                            DimAttr, StepsAttr, PermAttr, WindowAttr>;
static_assert(std::variant_size_v<OpAttr> ==
                  static_cast<size_t>(AttrKind::Window) + 1,
              "one alternative per AttrKind, in order");

using ValueId = uint32_t;

struct Op {
  OpKind Kind = OpKind::Const;
  Type Ty;
  llvm::SmallVector<ValueId, 3> Operands;
  /// The value of a scalar `const`: FloatValue for a float type, IntValue
  /// for an integer or bool type (exact for every i64).
  double FloatValue = 0;
  int64_t IntValue = 0;
  std::string Callee;    // call
  /// The elements of a tensor constant, row-major (integers held exactly
  /// up to 2^53); empty for a scalar constant.
  std::vector<double> Data;
  /// The attribute of kind getAttrKind(Kind); set and read through the
  /// accessors, which assert that the op has it.
  OpAttr Attr;
  std::string Name;      // a readable name for printers; may be empty
  llvm::SMLoc Loc;

  bool isConst() const { return Kind == OpKind::Const; }
  /// The constant as a double, whatever its type.
  double getConstAsDouble() const;

  unsigned getIndex() const { return get<IndexAttr>().Index; }
  unsigned getAxis() const { return get<AxisAttr>().Axis; }
  unsigned getStream() const { return get<StreamAttr>().Stream; }
  const Dim &getDim() const { return get<DimAttr>().D; }
  void setIndex(unsigned I) { set(IndexAttr{I}); }
  void setAxis(unsigned A) { set(AxisAttr{A}); }
  void setStream(unsigned S) { set(StreamAttr{S}); }
  void setDim(Dim D) { set(DimAttr{std::move(D)}); }
  llvm::ArrayRef<int64_t> getSteps() const { return get<StepsAttr>().Steps; }
  llvm::ArrayRef<unsigned> getPerm() const { return get<PermAttr>().Perm; }
  void setSteps(llvm::ArrayRef<int64_t> S) { set(StepsAttr{{S.begin(), S.end()}}); }
  void setPerm(llvm::ArrayRef<unsigned> P) { set(PermAttr{{P.begin(), P.end()}}); }
  const Window &getWindow() const { return get<WindowAttr>().W; }
  void setWindow(const Window &W) { set(WindowAttr{W}); }

private:
  template <typename A> const A &get() const {
    assert(Attr.index() == static_cast<size_t>(getAttrKind(Kind)) &&
           std::holds_alternative<A>(Attr) && "op has no such attribute");
    return *std::get_if<A>(&Attr);
  }
  template <typename A> void set(A Value) {
    assert(OpAttr(A()).index() == static_cast<size_t>(getAttrKind(Kind)) &&
           "op kind does not carry this attribute");
    Attr = std::move(Value);
  }
};

/// The result type of an op of kind \p O.Kind with attribute \p O.Attr over
/// operands of types \p Operands: the shape inference that both the
/// builder and the verifier use. Ops whose result type is an input rather
/// than a function of the operands (param, const, call, convert,
/// broadcast, sum_to, reshape, onehot, iota, dim, rand, randn; the element
/// kind of convert and onehot, the classes of onehot) take it from
/// \p O.Ty and check it. Returns std::nullopt and sets \p Why when a rule
/// is broken. Function-level rules (a param's position, return's type, a
/// callee's signature) are the verifier's.
std::optional<Type> inferType(const Op &O,
                              llvm::ArrayRef<const Type *> Operands,
                              std::string *Why = nullptr);
/// The verifier's check of one op against inferType (and its arity and
/// attribute kind): "" or what is wrong.
std::string checkOpType(const Op &O, llvm::ArrayRef<const Type *> Operands);

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
  /// A run of parameters (or of flattened result leaves) that the C ABI
  /// passes as one struct: a layer instance's parameters or their
  /// gradients. Count 0: none.
  struct ABIStruct {
    unsigned First = 0, Count = 0;
    std::string Instance;
    bool IsGrads = false;
  };
  ABIStruct ParamStruct, ResultStruct;
  /// A train step (train_step): the run of parameters holding the
  /// optimizer's state, passed as the state struct of Module::Instances
  /// entry StateStruct.Instance. Count 0: none.
  ABIStruct StateStruct;
  /// A train step updates its structs in place: result leaf 0 is the loss,
  /// and the leaves after it are the new values of the ParamStruct run,
  /// then of the StateStruct run, written back through the same pointers.
  /// A method that assigns layer state (issue 12) returns (value, new
  /// state): its last leaves are the new values of the ParamStruct run's
  /// fields from InPlaceField on (the instance's state members).
  bool InPlace = false;
  unsigned InPlaceField = 0;
  /// Set with InPlace for such a method (`in_place(K)`), whose InPlaceField
  /// is 0 when the instance has state but no parameters: not a train step.
  bool UpdatesLayerState = false;
  llvm::SMLoc Loc;

  /// A method that returns (value, new layer state), issue 12.
  bool returnsLayerState() const { return InPlace && UpdatesLayerState; }
  /// A train step (result leaf 0 the loss, then the new structs).
  bool isTrainStep() const { return InPlace && !UpdatesLayerState; }

  /// The number of result leaves written back into the input structs.
  unsigned getNumInPlace() const {
    return InPlace ? ParamStruct.Count - InPlaceField + StateStruct.Count : 0;
  }
  /// The first of them (1 for a train step).
  unsigned getFirstInPlaceLeaf() const;
  /// Whether result leaf \p Leaf is written back into an input struct.
  bool isUpdatedInPlace(unsigned Leaf) const {
    if (!InPlace)
      return false;
    unsigned First = getFirstInPlaceLeaf();
    return Leaf >= First && Leaf < First + getNumInPlace();
  }
  /// The parameter the in-place result leaf \p Leaf is written back over.
  unsigned getUpdatedParam(unsigned Leaf) const {
    unsigned J = Leaf - getFirstInPlaceLeaf();
    unsigned NP = ParamStruct.Count - InPlaceField;
    return J < NP ? ParamStruct.First + InPlaceField + J
                  : StateStruct.First + (J - NP);
  }

  unsigned getNumParams() const;
  /// The dimension variables of the parameters, in order of appearance:
  /// the `int64_t` sizes an entry point is called with.
  std::vector<std::string> getDimVars() const;
  const Op &getParam(unsigned I) const { return Ops[I]; }
  Type getParamType(unsigned I) const { return Ops[I].Ty; }
  llvm::StringRef getParamName(unsigned I) const { return Ops[I].Name; }
  ValueId getReturnedValue() const { return Ops.back().Operands[0]; }
  const Op &op(ValueId V) const { return Ops[V]; }
  Op &op(ValueId V) { return Ops[V]; }
  const Type &typeOf(ValueId V) const { return Ops[V].Ty; }
  /// Whether op \p V has a tensor result or operand: one that becomes a
  /// loop nest in code generation, not straight-line scalar code.
  bool touchesTensor(ValueId V) const {
    if (Ops[V].Ty.isTensor())
      return true;
    for (ValueId A : Ops[V].Operands)
      if (Ops[A].Ty.isTensor())
        return true;
    return false;
  }
};

using nnc::DeriveKind;
using nnc::Optimizer;

/// A function to be derived by AD: `Name = Kind(Of) wrt Wrt`.
struct DerivedDecl {
  std::string Name;
  DeriveKind Kind = DeriveKind::Grad;
  std::string Of;
  std::vector<unsigned> Wrt;
  bool Exported = true;
  /// For a method of a layer instance: its parameters arrive as the
  /// instance's parameter struct, and the gradients with respect to all of
  /// them leave as its gradient struct. AD copies both to the function.
  Function::ABIStruct ParamStruct, ResultStruct;
  /// TrainStep: the optimizer, and its state struct (First is filled in by
  /// AD, which places the state after the loss's own parameters).
  Optimizer Opt = Optimizer::SGD;
  Function::ABIStruct StateStruct;
  llvm::SMLoc Loc;
};

class Module {
public:
  std::string Name;
  std::vector<std::unique_ptr<Function>> Functions;
  /// Derived functions not yet materialized; AD builds each after those it
  /// needs, whatever their order here.
  std::vector<DerivedDecl> Derived;
  /// Layer instances: the parameters each holds, in declaration order
  /// (the fields of its C parameter and gradient structs).
  struct Instance {
    std::string Name;
    std::vector<std::pair<std::string, Type>> Params;
    /// An optimizer's state for a train step (`net.adam`: `m.fc1.W`, ...,
    /// `t`), declared in C as `net_adam_state_t`; not a layer instance.
    bool IsState = false;
    /// A layer instance: the last NumState fields are its `state` members
    /// (issue 12), which carry no gradient and no optimizer state.
    unsigned NumState = 0;
    unsigned getNumParams() const { return Params.size() - NumState; }
  };
  std::vector<Instance> Instances;
  const Instance *lookupInstance(llvm::StringRef Name) const;
  /// The state struct of optimizer \p O for instance \p Net: per parameter
  /// `buf.P` (momentum) or `m.P` and `v.P` (Adam, AdamW) of its type, then
  /// `t: i64` (Adam, AdamW); none for SGD. Named `<net>.<optimizer>`.
  static Instance makeOptimizerState(const Instance &Net, Optimizer O);

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

  // Tensors. Element-wise ops (unary, binary, select, convert) take
  // operands of one shape; broadcasting is explicit.
  /// A dense tensor constant of a constant shape.
  ValueId tensorConstant(Type Ty, std::vector<double> Data);
  /// A constant scalar broadcast to \p Ty (0 for zeros of a tensor type).
  ValueId splat(Type Ty, double Value);
  /// NumPy broadcasting of \p A to \p Ty (trailing dimensions align, a
  /// dimension 1 stretches); the identity when the types are equal.
  ValueId broadcast(ValueId A, const Type &Ty);
  /// The adjoint of broadcast: sums \p A down to the shape of \p Ty.
  ValueId sumTo(ValueId A, const Type &Ty);
  ValueId reshape(ValueId A, const Type &Ty);
  /// Reductions that remove \p Axis (ReduceSum, ReduceMax, ReduceMin,
  /// ArgMax, LogSumExp).
  ValueId reduce(OpKind K, ValueId A, unsigned Axis);
  /// Softmax and LogSoftmax along \p Axis (the shape is kept).
  ValueId softmax(OpKind K, ValueId A, unsigned Axis);
  ValueId matmul(ValueId A, ValueId B);
  ValueId transpose(ValueId A);
  ValueId onehot(ValueId Labels, Dim Classes, ElementKind K);
  ValueId pick(ValueId X, ValueId Labels);
  /// Indices along \p Axis of a tensor of shape \p Ty (i64).
  ValueId iota(const Type &Ty, unsigned Axis);
  /// The runtime value of a dimension, an i64.
  ValueId dim(Dim D);
  /// Reproducible random numbers (Rand: uniform [0, 1); Randn: standard
  /// normal) of type \p Ty: element i of stream \p Stream is a pure
  /// function of (seed, stream, i).
  ValueId random(OpKind K, ValueId Seed, unsigned Stream, const Type &Ty);
  // Indexing and structural ops (issue 12, tensorops).
  /// The elements of \p X at Starts[k] + i * Steps[k] along each axis k, of
  /// type \p Ty (a sub-tensor of the same rank); \p Starts are i64 scalars.
  ValueId slice(ValueId X, llvm::ArrayRef<ValueId> Starts,
                llvm::ArrayRef<int64_t> Steps, const Type &Ty);
  /// The adjoint of slice: a tensor of type \p Ty, zero except where
  /// slice(result, Starts, Steps) reads, which holds \p G.
  ValueId unslice(ValueId G, llvm::ArrayRef<ValueId> Starts,
                  llvm::ArrayRef<int64_t> Steps, const Type &Ty);
  /// \p Parts one after another along \p Axis.
  ValueId concat(llvm::ArrayRef<ValueId> Parts, unsigned Axis);
  /// Result axis i is axis Perm[i] of \p X.
  ValueId permute(ValueId X, llvm::ArrayRef<unsigned> Perm);
  /// Convolution and pooling (issue 12): an op of kind \p K over
  /// \p Operands with window \p W. \p Given is the result type of the ops
  /// whose result is an input's type (conv2d_grad_input, conv2d_grad_weight,
  /// avg_pool2d_grad); the others compute theirs.
  ValueId window(OpKind K, llvm::ArrayRef<ValueId> Operands, const Window &W,
                 const Type *Given = nullptr);
  void ret(ValueId V);
  /// Appends \p O as it is (used by cloners and passes), type included.
  ValueId append(Op O);

  /// Location and name given to the next ops created.
  void setLoc(llvm::SMLoc L) { Loc = L; }
  void setNextName(std::string N) { NextName = std::move(N); }

private:
  ValueId push(Op O);
  /// Appends \p O with its type from inferType (asserting the rule holds).
  ValueId create(Op O);
  Function &F;
  llvm::SMLoc Loc;
  std::string NextName;
};

/// Prints the textual IR; the form tests FileCheck against. \p Note, when
/// given, may add a `; comment` to each op's line (as code generation's
/// plan does, `nnc --emit=plan`); the IR parser skips comments.
void printFunction(
    const Function &F, llvm::raw_ostream &OS,
    llvm::function_ref<std::string(ValueId)> Note = nullptr);
void printModule(const Module &M, llvm::raw_ostream &OS);

/// Prints functions as .nn source that nnc compiles again.
void printModuleAsNN(const Module &M, llvm::raw_ostream &OS);

/// The scalar and tensor leaves of \p T, depth first (a leaf is itself):
/// the order in which the C ABI passes a tuple's parts.
std::vector<Type> flattenLeaves(const Type &T);

/// Checks the invariants; returns a description of the first broken one.
/// A failure is a compiler bug, never a user error.
std::string verifyFunction(const Function &F, const Module *M = nullptr);
/// The parameter and result struct runs of \p F against their instances
/// of \p M, field by field (part of verifyFunction given a module).
std::string verifyABIStructs(const Function &F, const Module &M);
std::string verifyModule(const Module &M);

/// Chooses, for a call in a body being copied, the function to expand in
/// its place, or nullptr to keep the call.
using ExpandFn = llvm::function_ref<const Function *(const Op &Call)>;

/// Copies the ops of \p Callee into the function \p B builds, mapping its
/// parameters to \p Args and its dimension variables to the dimensions of
/// the arguments. Calls in the body for which \p Expand returns a function
/// are expanded the same way, recursively. Returns the value the callee
/// returns. The one copier of function bodies: the inliner, AD's forward
/// sweep and code generation's tensor-call inlining all use it.
ValueId inlineCall(Builder &B, const Function &Callee,
                   llvm::ArrayRef<ValueId> Args, ExpandFn Expand = nullptr);

/// Rebuilds \p F with each call for which \p Expand returns a function
/// replaced by a copy of that function's body (inlineCall, without
/// recursion: callees are expected to be processed first). The call's name
/// hint goes to the copied result when that has none. Returns whether any
/// call was replaced.
bool inlineCallsInto(Function &F, ExpandFn Expand);

/// Formats a double with the fewest digits that read back exactly.
std::string formatDouble(double V);

} // namespace nnc::ir

#endif // NNC_IR_IR_H
