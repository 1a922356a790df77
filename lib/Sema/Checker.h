//===- Checker.h - Sema's state while it checks a module -------*- C++ -*-===//
#ifndef NNC_LIB_SEMA_CHECKER_H
#define NNC_LIB_SEMA_CHECKER_H

#include "nnc/AST/AST.h"
#include "nnc/Support/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include <map>
#include <string>
#include <vector>

namespace nnc::sema {

using namespace nnc::ast;

/// The signature of anything callable: a user function or a derived one.
struct Signature {
  std::vector<std::string> ParamNames;
  std::vector<Type> ParamTypes;
  Type Result;
};

class Checker {
public:
  Checker(Module &M, DiagnosticEngine &Diags) : M(M), Diags(Diags) {}
  bool run();

private:
  //===--- Declarations (Checker.cpp) ---===//
  enum class State { Unchecked, InProgress, Checked, Failed };
  void collectDecls();
  /// Checks \p F if not done yet; returns false if it cannot be used.
  bool ensureChecked(FnDecl &F, llvm::SMRange UseRange);
  void checkFunction(FnDecl &F);
  void checkBackward(FnDecl &F);
  bool checkDerivedDecl(DerivedFnDecl &D);
  bool resolveTypeSyntax(const TypeSyntax &TS, Type &Out);
  /// Checks a statement list; returns the type of its `return`.
  Type checkBody(std::vector<Stmt> &Body, llvm::SMRange FnRange,
                 const Type *Expected, std::vector<Type> &LocalTypes);

  //===--- Expressions (CheckExpr.cpp) ---===//
  /// Types \p E; literals take \p Expected when it is a numeric scalar.
  Type checkExpr(Expr &E, const Type *Expected);
  Type checkName(NameExpr &E);
  Type checkUnary(UnaryExpr &E, const Type *Expected);
  Type checkBinary(BinaryExpr &E, const Type *Expected);
  Type checkCall(CallExpr &E, const Type *Expected);
  Type checkBuiltinCall(CallExpr &E, Builtin B, const Type *Expected);
  Type checkIf(IfExpr &E, const Type *Expected);
  Type checkTuple(TupleExpr &E, const Type *Expected);
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
  Decl *lookupDecl(llvm::StringRef Name) const;

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
  llvm::DenseMap<const FnDecl *, std::vector<CallSite>> BodyCalls, RuleCalls;
  /// A backward rule of F must not reach a function derived from F: AD
  /// would need F's derivative while building it.
  void checkRuleDoesNotUseOwnDerivative(const FnDecl &F);
  bool reachesDerivativeOf(const FunctionRef &Ref, const FnDecl &F,
                           llvm::StringSet<> &Seen);
  llvm::StringMap<std::shared_ptr<const DerivedSpec>> Specs;
};

bool isUntypedLiteral(const Expr &E);

} // namespace nnc::sema

#endif // NNC_LIB_SEMA_CHECKER_H
