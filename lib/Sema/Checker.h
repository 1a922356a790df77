//===- Checker.h - Sema's state while it checks a module -------*- C++ -*-===//
#ifndef NNC_LIB_SEMA_CHECKER_H
#define NNC_LIB_SEMA_CHECKER_H

#include "nnc/AST/AST.h"
#include "nnc/Support/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nnc {
struct SemaOptions;
} // namespace nnc

namespace nnc::sema {

using namespace nnc::ast;

/// The signature of anything callable: a user function or a derived one.
struct Signature {
  std::vector<std::string> ParamNames;
  std::vector<Type> ParamTypes;
  Type Result;
  /// The dimension variables a call binds to its arguments' dimensions;
  /// other variables in the types are the caller's own (a layer's
  /// arguments seen through a sub-layer member).
  std::vector<std::string> Bindable;
};

class Checker {
public:
  Checker(Module &M, DiagnosticEngine &Diags) : M(M), Diags(Diags) {}
  bool run();

private:
  //===--- Declarations (Checker.cpp) ---===//
  enum class State { Unchecked, InProgress, Checked, Failed };
  void collectDecls();
  /// True for the name of a declaration dropped for a syntax error: its
  /// uses are not reported again (Module::FailedDecls).
  bool isFailedDecl(llvm::StringRef Name) const {
    return FailedDecls.contains(Name);
  }
  llvm::StringSet<> FailedDecls;
  /// Checks \p F if not done yet; returns false if it cannot be used.
  bool ensureChecked(FnDecl &F, llvm::SMRange UseRange);
  void checkFunction(FnDecl &F);
  void checkBackward(FnDecl &F);
  bool checkDerivedDecl(DerivedFnDecl &D);
  /// Resolves a written type. Dimension names become dimension variables;
  /// with \p Introduce false each must already be in scope.
  bool resolveTypeSyntax(const TypeSyntax &TS, Type &Out,
                         bool Introduce = false);
  /// Reports, at \p Range, a tensor type whose size in bytes overflows
  /// int64_t; returns whether \p T fits.
  bool checkByteSize(const Type &T, llvm::SMRange Range);
  /// Checks a statement list; returns the type of its `return`.
  Type checkBody(std::vector<Stmt> &Body, llvm::SMRange FnRange,
                 const Type *Expected, std::vector<Type> &LocalTypes);

  //===--- Expressions (CheckExpr.cpp; calls: CheckCall.cpp) ---===//
  /// Types \p E; literals take \p Expected when it is a numeric scalar.
  Type checkExpr(Expr &E, const Type *Expected);
  Type checkName(NameExpr &E);
  Type checkUnary(UnaryExpr &E, const Type *Expected);
  Type checkBinary(BinaryExpr &E, const Type *Expected);
  Type checkCall(CallExpr &E, const Type *Expected);
  Type checkBuiltinCall(CallExpr &E, Builtin B, const Type *Expected);
  Type checkIf(IfExpr &E, const Type *Expected);
  Type checkTuple(TupleExpr &E, const Type *Expected);
  Type checkMember(MemberExpr &E);
  /// `x.shape`, `f.foo`: names the base and says what a value of its type
  /// has instead.
  void reportNoMember(MemberExpr &E);

  //===--- Tensors (CheckTensor.cpp) ---===//
  Type checkMatMul(BinaryExpr &E);
  Type checkTensorLiteral(TensorLitExpr &E, const Type *Expected);
  Type checkTensorBuiltin(CallExpr &E, Builtin B, const Type *Expected);
  /// `max(x, axis=1)`, `min(x)`: a reduction rather than the binary max.
  Type checkReduction(CallExpr &E, Builtin B);
  /// The value of an `axis=` argument for a tensor of rank \p Rank
  /// (negative counts from the end). Reports and returns nullopt if bad.
  std::optional<unsigned> getAxis(const Arg &A, unsigned Rank,
                                  llvm::StringRef What, const Type &T);
  //===--- Element-wise ops and statistics, issue 12 (CheckStats.cpp) ---===//
  /// leaky_relu, elu, clamp, var and std.
  Type checkIssue12Builtin(CallExpr &E, Builtin B);
  /// `axis=[0, 2, 3]` of a tensor of type \p T: sorted, each once, into
  /// E.Axes; returns \p T without those axes, or an invalid type after a
  /// report.
  Type checkAxisList(CallExpr &E, const Arg &A, const Type &T,
                     llvm::StringRef What);
  /// A float tensor argument (an integer one converts to f64).
  Type checkFloatArg(ExprPtr &X, llvm::StringRef What);
  /// An optional parameter (slope, alpha, a clamp bound), named \p Name or
  /// positional at \p Pos, of \p X's element type. Its type goes to \p Out
  /// (invalid if it is absent); false after a report.
  bool checkParamArg(CallExpr &E, llvm::StringRef Name, size_t Pos,
                     const Type &X, llvm::StringRef What, Type &Out);

  /// `[B, 2 * n]` as a shape; reports and returns nullopt if it is not one.
  std::optional<Shape> getShapeArg(Expr &E);
  std::optional<Dim> getDimExpr(Expr &E);
  /// Whether \p Name is a dimension in scope (a dimension variable of the
  /// function or an argument of the layer being checked).
  bool isDimInScope(llvm::StringRef Name) const;
  /// Checks keyword arguments against \p Allowed and positional count.
  bool checkArgNames(CallExpr &E, llvm::ArrayRef<llvm::StringRef> Allowed,
                     size_t MinPositional, size_t MaxPositional);
  const Arg *findArg(CallExpr &E, llvm::StringRef Name);
  //===--- Convolution and pooling (CheckConv.cpp, issue 12) ---===//
  Type checkWindowBuiltin(CallExpr &E, Builtin B);
  /// A window's \p Name (its kernel, stride or padding): an integer
  /// literal of at least \p Min for both axes, or a list of two, [rows,
  /// columns].
  std::optional<std::array<unsigned, 2>> getWindowPair(const Arg &A,
                                                       llvm::StringRef What,
                                                       llvm::StringRef Name,
                                                       int64_t Min);

  //===--- Indexing and structural ops (CheckIndex.cpp, issue 12) ---===//
  /// `x[i, 1:3, ..., -1]`: fills E.Axes with each axis's window.
  Type checkIndex(IndexExpr &E);
  /// concat, stack, zeros, ones, full, permute, flatten, slice, unslice,
  /// and transpose with a permutation or of rank > 2.
  Type checkStructural(CallExpr &E, Builtin B, const Type *Expected);
  /// Applies a `keepdims=` argument to the reduction \p E of \p In along
  /// E.Axis (-1: every axis) whose result is \p Reduced.
  /// The type of \p T reduced along the call's `axis=` argument (one
  /// axis, a list of them, or every axis when it is absent), with
  /// `keepdims=` applied; sets E.Axis or E.Axes. \p What names the call.
  Type checkReducedType(CallExpr &E, const Type &T, const std::string &What);
  Type applyKeepDims(CallExpr &E, const Type &In, const Type &Reduced);

  //===--- Layers (CheckLayer.cpp) ---===//
  void checkLayer(LayerDecl &L);
  void checkInstance(LetDecl &D);
  void checkInstanceDecl(LetDecl &D);
  llvm::SmallPtrSet<const LetDecl *, 4> CheckedInstances;
  /// The members of kind \p Kind (Param or State) of an instance of \p L
  /// with arguments \p Args, flattened depth first through its sub-layers:
  /// names such as `fc1.W` and their types.
  void collectInstanceMembers(const LayerDecl &L, const DimSubstitution &Args,
                              const std::string &Prefix,
                              LayerMember::Kind Kind,
                              std::vector<std::string> &Names,
                              std::vector<Type> &Types);
  /// The parameters of an instance.
  void collectInstanceParams(const LayerDecl &L, const DimSubstitution &Args,
                             const std::string &Prefix,
                             std::vector<std::string> &Names,
                             std::vector<Type> &Types) {
    collectInstanceMembers(L, Args, Prefix, LayerMember::Param, Names, Types);
  }
  /// Its `state` members (issue 12).
  void collectInstanceState(const LayerDecl &L, const DimSubstitution &Args,
                            const std::string &Prefix,
                            std::vector<std::string> &Names,
                            std::vector<Type> &Types) {
    collectInstanceMembers(L, Args, Prefix, LayerMember::State, Names, Types);
  }
  /// The fields of an instance's struct: every parameter, then every state
  /// member, each depth first.
  void collectInstanceFields(const LayerDecl &L, const DimSubstitution &Args,
                             std::vector<std::string> &Names,
                             std::vector<Type> &Types) {
    collectInstanceParams(L, Args, "", Names, Types);
    collectInstanceState(L, Args, "", Names, Types);
  }
  /// batch_norm(x, running_mean, running_var, gamma, beta) (issue 12).
  Type checkBatchNorm(CallExpr &E);
  /// The same for an instance made with the layer arguments \p LayerArgs.
  void collectInstanceParams(const LayerDecl &L, llvm::ArrayRef<Dim> LayerArgs,
                             std::vector<std::string> &Names,
                             std::vector<Type> &Types) {
    collectInstanceParams(L, getLayerSubstitution(L, LayerArgs), "", Names,
                          Types);
  }
  DimSubstitution getLayerSubstitution(const LayerDecl &L,
                                       llvm::ArrayRef<Dim> Args) const;
  /// Resolves `fc1`, `forward`, `net.loss`, `fc1.predict` as functions.
  FunctionRef resolveLayerFunction(Expr &E, bool &Handled);
  /// For a method of an instance, or a transform of one, called from a
  /// top-level function that has a parameter named `<inst>.<param>` for
  /// every parameter of the instance (the REPL builds such wrappers; the
  /// parser cannot spell the names): the indices of those parameters,
  /// which the call passes first (its `state` members' too, after the
  /// parameters, issue 12), and when its layers read `training`, the
  /// indices of the parameters `.training` and `.seed` in \p Mode, which
  /// follow the method's own arguments. Nothing otherwise.
  std::optional<std::vector<unsigned>>
  getSessionParams(const FunctionRef &Ref, std::vector<unsigned> &Mode);

  /// Types two operands that must agree, converting an integer side to the
  /// other's float type. Returns the common type (Invalid on error).
  Type unifyOperands(ExprPtr &L, ExprPtr &R, const Type *Expected,
                     llvm::StringRef What, llvm::SMRange Where);
  /// Makes \p E have type \p To, wrapping it in a conversion when the
  /// language converts implicitly. Reports and returns false otherwise.
  bool coerce(ExprPtr &E, const Type &To, llvm::StringRef What);
  bool checkArgs(CallExpr &E, llvm::StringRef Name, const Signature &Sig);

  //===--- Derived functions (CheckDerive.cpp) ---===//
  /// Resolves `grad(f, x)` and friends to the function they derive.
  FunctionRef resolveDerive(CallExpr &E);
  /// `train_step(net.loss, adam)`, at the top of a derived declaration.
  FunctionRef resolveTrainStep(CallExpr &E);
  /// Set while checkDerivedDecl resolves its own transform: train_step is
  /// valid there only, not nested or called inline.
  bool AtDerivedDecl = false;
  /// Resolves an expression naming a function: `f`, `df`, `grad(f)`.
  FunctionRef resolveFunction(Expr &E);
  bool getSignature(const FunctionRef &Ref, Signature &Sig,
                    llvm::SMRange UseRange);

  //===--- Scopes ---===//
  struct Local {
    std::string Name;
    Type Ty;
    bool IsParam;
    unsigned Index;
  };
  /// The names a body sees: its parameters and the lets so far; a later
  /// binding of a name hides an earlier one. Lookups are hashed, so a body
  /// of n lets is checked in O(n).
  class Scope {
  public:
    void clear() {
      Locals.clear();
      Latest.clear();
    }
    void push_back(Local L) {
      Latest[L.Name] = Locals.size();
      Locals.push_back(std::move(L));
    }
    const Local *lookup(llvm::StringRef Name) const {
      auto It = Latest.find(Name);
      return It == Latest.end() ? nullptr : &Locals[It->second];
    }

  private:
    std::vector<Local> Locals;
    llvm::StringMap<unsigned> Latest;
  };
  /// The same for a parameter read as `net.fc1.W` (getSessionParams):
  /// the parameter that \p E's dotted path names, or null.
  const Local *getSessionParam(const MemberExpr &E) const;
  Decl *lookupDecl(llvm::StringRef Name) const;
  /// Notes the declared or built-in function whose name is closest to
  /// \p Name at \p Range, if one is close enough to be a typo.
  void suggestFunction(llvm::StringRef Name, llvm::SMRange Range);
  /// The dimension variables bound by the current function's parameters.
  std::vector<std::string> DimVars;
  /// The layer whose method or member is being checked.
  const LayerDecl *CurLayer = nullptr;
  /// The dimension bindings of the call checkArgs checked last.
  DimSubstitution LastCallDims;
  llvm::DenseMap<const LayerDecl *, State> LayerStates;

  Module &M;
  DiagnosticEngine &Diags;
  llvm::StringMap<Decl *> Decls;
  llvm::DenseMap<const Decl *, State> States;
  Scope Names; // params then lets of the body being checked
  std::vector<Type> *CurLocals = nullptr;

  //===--- Calls of bodies and backward rules ---===//
  struct CallSite {
    FunctionRef Target;
    llvm::SMRange Range;
  };
  const FnDecl *CurFn = nullptr;
  bool InRule = false;
  /// Checking a `param` initializer: randn() and rand() are allowed.
  bool InInitializer = false;
  llvm::DenseMap<const FnDecl *, std::vector<CallSite>> BodyCalls, RuleCalls;
  /// A backward rule of F must not reach a function derived from F: AD
  /// would need F's derivative while building it.
  void checkRuleDoesNotUseOwnDerivative(const FnDecl &F);
  bool reachesDerivativeOf(const FunctionRef &Ref, const FnDecl &F,
                           llvm::StringSet<> &Seen);
  llvm::StringMap<std::shared_ptr<const DerivedSpec>> Specs;
};

bool isUntypedLiteral(const Expr &E);
/// The value of an integer literal, possibly negated (`3`, `-1`): how axes,
/// slice bounds and steps are written.
std::optional<int64_t> getIntLiteral(const Expr &E);
/// A number or a tensor of numbers.
inline bool isNumeric(const Type &T) { return T.isFloat() || T.isInt(); }
/// The conversion a "cannot mix f32 and f64" error suggests for \p L and
/// \p R, both typed: towards the side that is not made of literals.
llvm::StringRef getMixConversion(const Expr &L, const Expr &R);
Type substituteType(const Type &T, const DimSubstitution &S);
void collectTypeDims(const Type &T, std::vector<std::string> &Out);

/// The C ABI's rules on names and parameter dimensions (CheckSymbols.cpp).
void checkExportedSymbols(const Module &M, DiagnosticEngine &Diags,
                          const SemaOptions &Opts);

} // namespace nnc::sema

#endif // NNC_LIB_SEMA_CHECKER_H
