//===- AST.h - The syntax tree of a .nn module ------------------*- C++ -*-===//
//
// The parser builds these nodes; Sema fills in their types and resolves the
// names they use. Every node carries the source range it was parsed from.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_AST_AST_H
#define NNC_AST_AST_H

#include "nnc/Support/DeriveKind.h"
#include "nnc/Support/ElementKind.h"
#include "nnc/Support/Optimizer.h"
#include "nnc/Support/Shape.h"
#include "nnc/Support/Stack.h"
#include "nnc/Support/Window.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::ast {

enum class Builtin {
  None,
#define BUILTIN(Id, Spelling, Family) Id,
#include "nnc/AST/Builtins.def"
};
enum class BuiltinFamily { None, Math1, Math2, Select, Convert, Derive, Tensor, Init };
Builtin lookupBuiltin(llvm::StringRef Name);
llvm::StringRef getBuiltinName(Builtin B);
BuiltinFamily getBuiltinFamily(Builtin B);

//===----------------------------------------------------------------------===//
// Types as written, and types as Sema computes them.
//===----------------------------------------------------------------------===//

/// One dimension as written: an integer literal, a dimension variable, or a
/// product of them (`2*n`).
struct DimSyntax {
  struct Factor {
    std::string Name; // empty for a literal
    int64_t Size = 0;
    llvm::SMRange Range;
  };
  std::vector<Factor> Factors;
  llvm::SMRange Range;
};

/// `f64`, `f32[B, 784]` or `(f64, f64)`.
struct TypeSyntax {
  std::string Name; // element type name; empty for a tuple
  bool HasShape = false;
  std::vector<DimSyntax> Dims;
  bool IsTuple = false;
  std::vector<TypeSyntax> Elements;
  llvm::SMRange Range;
};

/// A semantic type: a scalar, a tensor (an element kind and a shape of
/// dimensions, each a constant or a product of dimension variables), or a
/// tuple of types.
struct Type {
  enum Kind { Invalid, Scalar, Tensor, Tuple } TheKind = Invalid;
  ElementKind Elem = ElementKind::F64;
  Shape Dims;
  std::vector<Type> Elements;

  static Type scalar(ElementKind K) {
    Type T;
    T.TheKind = Scalar;
    T.Elem = K;
    return T;
  }
  /// A tensor of shape \p S; a scalar when \p S is empty.
  static Type tensor(ElementKind K, Shape S) {
    Type T = scalar(K);
    if (!S.empty()) {
      T.TheKind = Tensor;
      T.Dims = std::move(S);
    }
    return T;
  }
  static Type tuple(std::vector<Type> Elts) {
    Type T;
    T.TheKind = Tuple;
    T.Elements = std::move(Elts);
    return T;
  }
  bool isValid() const { return TheKind != Invalid; }
  bool isScalar() const { return TheKind == Scalar; }
  bool isTensor() const { return TheKind == Tensor; }
  /// A scalar or a tensor.
  bool isLeaf() const { return TheKind == Scalar || TheKind == Tensor; }
  bool isTuple() const { return TheKind == Tuple; }
  bool isFloatScalar() const { return isScalar() && isFloatKind(Elem); }
  bool isIntScalar() const { return isScalar() && isIntKind(Elem); }
  bool isBool() const { return isScalar() && Elem == ElementKind::Bool; }
  /// Element kind tests of a scalar or a tensor.
  bool isFloat() const { return isLeaf() && isFloatKind(Elem); }
  bool isInt() const { return isLeaf() && isIntKind(Elem); }
  bool isBoolLeaf() const { return isLeaf() && Elem == ElementKind::Bool; }
  unsigned getRank() const { return Dims.size(); }
  Type getElementType() const { return scalar(Elem); }
  Type withElementKind(ElementKind K) const { return tensor(K, Dims); }
  bool operator==(const Type &O) const {
    return TheKind == O.TheKind &&
           (!isLeaf() || (Elem == O.Elem && Dims == O.Dims)) &&
           Elements == O.Elements;
  }
  bool operator!=(const Type &O) const { return !(*this == O); }
  std::string str() const;
};

//===----------------------------------------------------------------------===//
// Expressions.
//===----------------------------------------------------------------------===//

class FnDecl;
class LetDecl;
class LayerDecl;
struct DerivedSpec;

/// What a call or a function-valued expression refers to, once resolved.
struct FunctionRef {
  const FnDecl *Fn = nullptr;                  // a user function or method
  std::shared_ptr<const DerivedSpec> Derived;  // or a derived one
  /// A method of a layer instance: `net.loss`. Its signature starts with
  /// the instance's parameters.
  const LetDecl *Instance = nullptr;
  /// A method called through a sub-layer member (`fc1(x)`,
  /// `fc1.forward(x)`): the member's index in its layer.
  int ViaMember = -1;
  std::string ViaName;
  bool isValid() const { return Fn || Derived; }
  /// A stable spelling such as `grad(grad(sigmoid))`, used as a key.
  std::string key() const;
};

using nnc::DeriveKind;

/// A function derived by a transform: grad(f, x), value_and_grad(f), ...
struct DerivedSpec {
  DeriveKind Kind = DeriveKind::Grad;
  FunctionRef Of;
  std::vector<unsigned> Wrt; // parameter indices of Of, in order
  // The signature Sema computed for the derived function.
  std::vector<std::string> ParamNames;
  std::vector<Type> ParamTypes;
  Type Result;
  /// How many of the parameters are those of Of (vjp appends upstream
  /// gradients after them).
  unsigned NumOfParams = 0;
  /// TrainStep: the optimizer; its state and hyper-parameters follow the
  /// parameters of Of.
  Optimizer Opt = Optimizer::SGD;
  /// Where the transform is first written (`grad(` ...), for diagnostics
  /// about the function it derives.
  llvm::SMLoc Loc;
};

class Expr {
public:
  enum ExprKind {
    EK_Number, EK_Bool, EK_Name, EK_Unary, EK_Binary, EK_Call, EK_Member,
    EK_If, EK_Tuple, EK_TensorLit,
    EK_Index // issue 12, tensorops
  };
  Expr(ExprKind K, llvm::SMRange R) : Kind(K), Range(R) {}
  virtual ~Expr() = default;
  ExprKind getKind() const { return Kind; }
  llvm::SMRange getRange() const { return Range; }
  llvm::SMLoc getLoc() const { return Range.Start; }

  /// Set by Sema.
  Type Ty;

private:
  const ExprKind Kind;
  llvm::SMRange Range;
};
/// Deletes an expression tree, continuing on a fresh stack when this
/// thread's is nearly exhausted: a tree 20,000 levels deep is destroyed
/// recursively, as it was built (nnc/Support/Stack.h).
struct ExprDeleter {
  ExprDeleter() = default;
  template <typename T> ExprDeleter(std::default_delete<T>) {}
  void operator()(Expr *E) const {
    if (isStackNearlyExhausted())
      runOnNewStack([E] { delete E; });
    else
      delete E;
  }
};
using ExprPtr = std::unique_ptr<Expr, ExprDeleter>;

/// `3`, `2.5`, `1e-3`. Integer-looking literals adapt to the type their
/// context needs; see docs/language.md.
class NumberExpr : public Expr {
public:
  NumberExpr(llvm::SMRange R, std::string Spelling, double Value, bool IsInt,
             int64_t IntValue = 0)
      : Expr(EK_Number, R), Spelling(std::move(Spelling)), Value(Value),
        IsInteger(IsInt), IntValue(IntValue) {}
  std::string Spelling;
  double Value;
  bool IsInteger;
  int64_t IntValue; // exact, for an integer literal (at most INT64_MAX)
  static bool classof(const Expr *E) { return E->getKind() == EK_Number; }
};

class BoolExpr : public Expr {
public:
  BoolExpr(llvm::SMRange R, bool V) : Expr(EK_Bool, R), Value(V) {}
  bool Value;
  static bool classof(const Expr *E) { return E->getKind() == EK_Bool; }
};

/// A use of a name. Sema records what it refers to.
class NameExpr : public Expr {
public:
  NameExpr(llvm::SMRange R, std::string Name)
      : Expr(EK_Name, R), Name(std::move(Name)) {}
  std::string Name;
  enum RefKind {
    Unresolved, Param, Local, Function, BuiltinFn,
    DimVar,     // a dimension variable or layer argument, an i64 value
    LayerParam, // a `param` of the enclosing layer
    LayerState, // a `state` of the enclosing layer (issue 12)
    Training    // the built-in `training` of a layer method (issue 12)
  } Ref = Unresolved;
  unsigned Index = 0;          // parameter, local (let) or member index
  const FnDecl *Fn = nullptr;  // for Function
  Builtin B = Builtin::None;   // for BuiltinFn
  static bool classof(const Expr *E) { return E->getKind() == EK_Name; }
};

enum class UnaryOp { Neg, Not };
class UnaryExpr : public Expr {
public:
  UnaryExpr(llvm::SMRange R, UnaryOp Op, ExprPtr Operand)
      : Expr(EK_Unary, R), Op(Op), Operand(std::move(Operand)) {}
  UnaryOp Op;
  ExprPtr Operand;
  static bool classof(const Expr *E) { return E->getKind() == EK_Unary; }
};

enum class BinaryOp {
  Add, Sub, Mul, Div, MatMul, Pow, Lt, Le, Gt, Ge, Eq, Ne, And, Or
};
llvm::StringRef getBinaryOpSpelling(BinaryOp Op);

class BinaryExpr : public Expr {
public:
  BinaryExpr(llvm::SMRange R, BinaryOp Op, llvm::SMLoc OpLoc, ExprPtr L,
             ExprPtr Rhs)
      : Expr(EK_Binary, R), Op(Op), OpLoc(OpLoc), LHS(std::move(L)),
        RHS(std::move(Rhs)) {}
  BinaryOp Op;
  llvm::SMLoc OpLoc;
  ExprPtr LHS, RHS;
  static bool classof(const Expr *E) { return E->getKind() == EK_Binary; }
};

/// One argument of a call; `axis=1` has a name.
struct Arg {
  std::string Name;
  llvm::SMRange NameRange;
  ExprPtr Value;
};

class CallExpr : public Expr {
public:
  CallExpr(llvm::SMRange R, ExprPtr Callee, std::vector<Arg> Args)
      : Expr(EK_Call, R), Callee(std::move(Callee)), Args(std::move(Args)) {}
  ExprPtr Callee;
  std::vector<Arg> Args;
  // Set by Sema: either a builtin, or a user/derived function, or (for a
  // call of grad/value_and_grad/vjp itself) the function it derives.
  Builtin B = Builtin::None;
  FunctionRef Target;
  /// For tensor built-ins: the axis, counted from 0 (-1: every axis), and
  /// the shape a `[dims]` argument or onehot's class count spells.
  int Axis = -1;
  Shape ShapeArg;
  /// Issue 12, tensorops: `keepdims=true` on a reduction; permute's
  /// permutation, or slice's and unslice's steps.
  bool KeepDims = false;
  std::vector<int64_t> Ints;
  /// A reduction along several axes (`axis=[0, 2, 3]`, issue 12): the
  /// axes in increasing order, each once; empty otherwise.
  std::vector<unsigned> Axes;
  /// Convolution and pooling (issue 12): the stride, padding and pooling
  /// window of conv2d, the pools and their gradients.
  Window Win;
  /// A call of an instance's method (or a transform of one) in the REPL's
  /// wrapper: the indices of the caller's parameters that hold the
  /// instance's parameters, passed before Args (Sema's getSessionParams).
  std::vector<unsigned> ImplicitArgs;
  /// The same for the mode of an instance whose layers read `training`
  /// (issue 12): the caller's parameters holding the session's `training`
  /// and `seed`, passed before the call's argument ModeArgsAt (after the
  /// method's own arguments).
  std::vector<unsigned> ModeArgs;
  unsigned ModeArgsAt = 0;
  static bool classof(const Expr *E) { return E->getKind() == EK_Call; }
};

/// `net.loss`, `x.T`, `fc1.forward`.
class MemberExpr : public Expr {
public:
  MemberExpr(llvm::SMRange R, ExprPtr Base, std::string Member,
             llvm::SMRange MemberRange)
      : Expr(EK_Member, R), Base(std::move(Base)), Member(std::move(Member)),
        MemberRange(MemberRange) {}
  ExprPtr Base;
  std::string Member;
  llvm::SMRange MemberRange;
  /// Set by Sema when the path (`net.fc1.W`) names a parameter of the
  /// REPL's wrapper that holds an instance's parameter: its index.
  int ParamIndex = -1;
  static bool classof(const Expr *E) { return E->getKind() == EK_Member; }
};

/// `if c { a } else { b }`: both arms are expressions.
class IfExpr : public Expr {
public:
  IfExpr(llvm::SMRange R, ExprPtr C, ExprPtr T, ExprPtr E)
      : Expr(EK_If, R), Cond(std::move(C)), Then(std::move(T)),
        Else(std::move(E)) {}
  ExprPtr Cond, Then, Else;
  static bool classof(const Expr *E) { return E->getKind() == EK_If; }
};

/// `(a, b)`.
class TupleExpr : public Expr {
public:
  TupleExpr(llvm::SMRange R, std::vector<ExprPtr> Elts)
      : Expr(EK_Tuple, R), Elements(std::move(Elts)) {}
  std::vector<ExprPtr> Elements;
  static bool classof(const Expr *E) { return E->getKind() == EK_Tuple; }
};

/// `[1.0, 2.0]`, `[[1, 2], [3, 4]]`.
class TensorLitExpr : public Expr {
public:
  TensorLitExpr(llvm::SMRange R, std::vector<ExprPtr> Elts)
      : Expr(EK_TensorLit, R), Elements(std::move(Elts)) {}
  std::vector<ExprPtr> Elements;
  static bool classof(const Expr *E) { return E->getKind() == EK_TensorLit; }
};

/// One item of an index (issue 12, tensorops): `i`, `a:b:c` (each part
/// optional) or `...`.
struct IndexItem {
  enum Kind { Single, Slice, Ellipsis } TheKind = Single;
  ExprPtr Start, Stop, Step; // Single: Start; Slice: each may be null
  llvm::SMRange Range;
};

/// `x[i, 1:3, ...]`, NumPy's basic indexing (issue 12, tensorops).
class IndexExpr : public Expr {
public:
  IndexExpr(llvm::SMRange R, ExprPtr Base, std::vector<IndexItem> Items)
      : Expr(EK_Index, R), Base(std::move(Base)), Items(std::move(Items)) {}
  ExprPtr Base;
  std::vector<IndexItem> Items;
  /// Set by Sema, one per axis of Base: the window lowering reads.
  struct AxisWindow {
    /// The item whose (run-time, i64) value is the start, or -1 when the
    /// start is the constant Start.
    int Item = -1;
    /// A constant start; a negative one counts from the end (n + Start)
    /// when StartTerms is empty.
    int64_t Start = 0;
    /// With terms, the start is Start + the sum of Coefficient * Dim: a
    /// bound in dimension variables (`x[:, n-3:n]`, `x[-k:]`).
    std::vector<std::pair<int64_t, Dim>> StartTerms;
    int64_t Step = 1;
    Dim Size = Dim::constant(1);
    /// An integer index: the axis is removed from the result.
    bool Drop = false;
  };
  std::vector<AxisWindow> Axes;
  static bool classof(const Expr *E) { return E->getKind() == EK_Index; }
};

//===----------------------------------------------------------------------===//
// Statements and declarations.
//===----------------------------------------------------------------------===//

/// `let name (: type)? = value;`, `return value;`, or `name = value;` (the
/// assignment of a layer's `state` member, issue 12).
struct Stmt {
  enum Kind { Let, Return, Assign } TheKind = Let;
  std::string Name;
  llvm::SMRange NameRange;
  std::optional<TypeSyntax> DeclaredType;
  ExprPtr Value;
  llvm::SMRange Range;
  int Member = -1; // Assign: the index of the state member (set by Sema)
};

struct Param {
  std::string Name;
  llvm::SMRange Range;
  std::optional<TypeSyntax> DeclaredType;
  Type Ty; // set by Sema
};

/// `backward(dy) = expr;` or `backward(dy) { ... }` after a function body.
struct BackwardRule {
  std::string GradName;
  llvm::SMRange GradNameRange;
  std::vector<Stmt> Body;
  bool IsExprBody = true;
  llvm::SMRange Range;
};

class Decl {
public:
  enum DeclKind { DK_Fn, DK_Derived, DK_Layer, DK_Let };
  Decl(DeclKind K, std::string Name, llvm::SMRange NameRange)
      : Name(std::move(Name)), NameRange(NameRange), Kind(K) {}
  virtual ~Decl() = default;
  DeclKind getKind() const { return Kind; }
  std::string Name;
  llvm::SMRange NameRange;
  llvm::SMRange Range;

private:
  const DeclKind Kind;
};
using DeclPtr = std::unique_ptr<Decl>;

/// `fn f(x, y) = expr;` or `fn f(x: f32) -> f32 { ... }`, optionally
/// followed by a user backward rule.
class FnDecl : public Decl {
public:
  FnDecl(std::string Name, llvm::SMRange NameRange)
      : Decl(DK_Fn, std::move(Name), NameRange) {}
  std::vector<Param> Params;
  std::optional<TypeSyntax> DeclaredResult;
  std::vector<Stmt> Body; // an expression body is one Return statement
  bool IsExprBody = false;
  std::optional<BackwardRule> Backward;
  // Set by Sema.
  const LayerDecl *Owner = nullptr; // for a method: its layer
  Type Result;
  std::vector<Type> LocalTypes; // type of each `let`, by local index
  /// Set by IRGen for nnc-repl's wrapper (issue 12): the parameters holding
  /// layer state that its calls of methods update. Its IR then returns
  /// (value, their new values).
  mutable std::vector<unsigned> UpdatedSessionState;
  static bool classof(const Decl *D) { return D->getKind() == DK_Fn; }
};

/// `fn df = grad(f, x);`
class DerivedFnDecl : public Decl {
public:
  DerivedFnDecl(std::string Name, llvm::SMRange NameRange, ExprPtr Value)
      : Decl(DK_Derived, std::move(Name), NameRange), Value(std::move(Value)) {}
  ExprPtr Value;
  FunctionRef Target; // set by Sema: the derived function this names
  static bool classof(const Decl *D) { return D->getKind() == DK_Derived; }
};

/// A member of a layer: a parameter, a sub-layer or a method.
struct LayerMember {
  enum Kind { Param, SubLayer, Method, State } TheKind = Param;
  std::string Name;
  llvm::SMRange NameRange;
  std::optional<TypeSyntax> ParamType;   // Param, State
  ExprPtr Init;                          // Param, State initializer, may be null
  std::string LayerName;                 // SubLayer: the layer it instantiates
  llvm::SMRange LayerNameRange;          // SubLayer: where LayerName is
  std::vector<Arg> LayerArgs;            // SubLayer arguments
  std::unique_ptr<FnDecl> MethodDecl;    // Method
  llvm::SMRange Range;
};

/// `layer Affine(n_in, n_out) { ... }`
class LayerDecl : public Decl {
public:
  LayerDecl(std::string Name, llvm::SMRange NameRange)
      : Decl(DK_Layer, std::move(Name), NameRange) {}
  std::vector<Param> Params;
  std::vector<LayerMember> Members;
  // Set by Sema: the layer each sub-layer member instantiates (by member
  // index; null for other members), and the dimensions it passes.
  std::vector<const LayerDecl *> SubLayers;
  std::vector<std::vector<Dim>> SubLayerArgs;
  /// Resolved types of the `param` and `state` members (by member index).
  std::vector<Type> ParamTypes;
  /// Whether a method of this layer or of a sub-layer reads `training`
  /// (directly, or through batch_norm or dropout) or draws dropout masks:
  /// every method of an instance then takes `training`, and `seed` (issue 12).
  mutable bool UsesTraining = false, UsesSeed = false;
  /// Finds a member by name; -1 if none.
  int findMember(llvm::StringRef Name) const;
  static bool classof(const Decl *D) { return D->getKind() == DK_Layer; }
};

/// A top-level `let name = expr;` (a layer instance or a constant).
class LetDecl : public Decl {
public:
  LetDecl(std::string Name, llvm::SMRange NameRange, ExprPtr Value)
      : Decl(DK_Let, std::move(Name), NameRange), Value(std::move(Value)) {}
  ExprPtr Value;
  // Set by Sema for a layer instance.
  const LayerDecl *Layer = nullptr;
  std::vector<Dim> LayerArgs;
  static bool classof(const Decl *D) { return D->getKind() == DK_Let; }
};

struct Module {
  std::string Name;
  std::vector<DeclPtr> Decls;
  /// Names of top-level declarations dropped for a syntax error. Sema
  /// checks the rest and says nothing about uses of these: the syntax error
  /// was the message, "undeclared 'f'" would be noise.
  std::vector<std::string> FailedDecls;
};

/// Prints the tree as indented S-expressions (`nnc --emit=ast`).
void printModule(const Module &M, llvm::raw_ostream &OS);

} // namespace nnc::ast

#endif // NNC_AST_AST_H
