//===- IRGen.cpp - AST to IR ----------------------------------------------===//
//
// Sema has made every conversion explicit, so lowering is a direct walk:
// each expression appends ops and yields the value that holds its result.
// An `if` expression becomes a select: bodies have no side effects, so both
// arms may be computed.
//
//===----------------------------------------------------------------------===//
#include "nnc/IRGen/IRGen.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"

using namespace nnc;
using ir::ValueId;

namespace {

ir::Type lowerType(const ast::Type &T) {
  if (T.isTuple()) {
    std::vector<ir::Type> Elts;
    for (const ast::Type &E : T.Elements)
      Elts.push_back(lowerType(E));
    return ir::Type::tuple(std::move(Elts));
  }
  return ir::Type::scalar(T.Elem);
}

ir::OpKind mathOp(ast::Builtin B) {
  switch (B) {
  case ast::Builtin::Exp: return ir::OpKind::Exp;
  case ast::Builtin::Log: return ir::OpKind::Log;
  case ast::Builtin::Sqrt: return ir::OpKind::Sqrt;
  case ast::Builtin::Tanh: return ir::OpKind::Tanh;
  case ast::Builtin::Sigmoid: return ir::OpKind::Sigmoid;
  case ast::Builtin::Relu: return ir::OpKind::Relu;
  case ast::Builtin::Abs: return ir::OpKind::Abs;
  case ast::Builtin::Sin: return ir::OpKind::Sin;
  case ast::Builtin::Cos: return ir::OpKind::Cos;
  case ast::Builtin::Pow: return ir::OpKind::Pow;
  case ast::Builtin::Max: return ir::OpKind::Max;
  case ast::Builtin::Min: return ir::OpKind::Min;
  default: return ir::OpKind::Const;
  }
}

ir::OpKind binaryOp(ast::BinaryOp Op) {
  switch (Op) {
  case ast::BinaryOp::Add: return ir::OpKind::Add;
  case ast::BinaryOp::Sub: return ir::OpKind::Sub;
  case ast::BinaryOp::Mul: return ir::OpKind::Mul;
  case ast::BinaryOp::Div: return ir::OpKind::Div;
  case ast::BinaryOp::Pow: return ir::OpKind::Pow;
  case ast::BinaryOp::Lt: return ir::OpKind::Lt;
  case ast::BinaryOp::Le: return ir::OpKind::Le;
  case ast::BinaryOp::Gt: return ir::OpKind::Gt;
  case ast::BinaryOp::Ge: return ir::OpKind::Ge;
  case ast::BinaryOp::Eq: return ir::OpKind::Eq;
  case ast::BinaryOp::Ne: return ir::OpKind::Ne;
  case ast::BinaryOp::And: return ir::OpKind::And;
  case ast::BinaryOp::Or: return ir::OpKind::Or;
  case ast::BinaryOp::MatMul: break;
  }
  return ir::OpKind::Const;
}

ir::DeriveKind lowerDeriveKind(ast::DeriveKind K) {
  switch (K) {
  case ast::DeriveKind::Grad: return ir::DeriveKind::Grad;
  case ast::DeriveKind::ValueAndGrad: return ir::DeriveKind::ValueAndGrad;
  case ast::DeriveKind::Vjp: return ir::DeriveKind::Vjp;
  }
  return ir::DeriveKind::Grad;
}

class Lowering {
public:
  explicit Lowering(const ast::Module &AM) : AM(AM) {}

  std::unique_ptr<ir::Module> run() {
    IRM = std::make_unique<ir::Module>();
    IRM->Name = AM.Name;
    for (const ast::DeclPtr &D : AM.Decls)
      Taken.insert(D->Name);
    // Named transforms first, so an inline use of the same transform calls
    // the function the user named.
    for (const ast::DeclPtr &D : AM.Decls)
      if (auto *DD = llvm::dyn_cast<ast::DerivedFnDecl>(D.get()))
        if (DD->Target.Derived)
          declareDerived(*DD->Target.Derived, DD->Name, DD->Range.Start);
    for (const ast::DeclPtr &D : AM.Decls)
      if (auto *F = llvm::dyn_cast<ast::FnDecl>(D.get()))
        lowerFunction(*F);
    return std::move(IRM);
  }

private:
  /// The IR name of the function \p Ref refers to, declaring it if needed.
  std::string nameOf(const ast::FunctionRef &Ref) {
    if (Ref.Fn)
      return Ref.Fn->Name;
    return declareDerived(*Ref.Derived, "", llvm::SMLoc());
  }

  std::string declareDerived(const ast::DerivedSpec &S,
                             llvm::StringRef Preferred, llvm::SMLoc Loc) {
    // Sema gives each distinct transform one DerivedSpec, so its address
    // identifies it.
    if (Preferred.empty()) {
      auto It = DerivedNames.find(&S);
      if (It != DerivedNames.end())
        return It->second;
    }
    std::string Of = nameOf(S.Of);
    std::string Name = Preferred.str();
    if (Name.empty()) {
      std::string Base = "__" + kindName(S.Kind) + "_" + Of;
      for (char &C : Base)
        if (C == '.')
          C = '_';
      Name = Base;
      for (unsigned I = 1; Taken.contains(Name); ++I)
        Name = Base + "_" + std::to_string(I);
      Taken.insert(Name);
    }
    ir::DerivedDecl D;
    D.Name = Name;
    D.Kind = lowerDeriveKind(S.Kind);
    D.Of = Of;
    D.Wrt = S.Wrt;
    D.Exported = !Preferred.empty();
    D.Loc = Loc;
    IRM->Derived.push_back(std::move(D));
    DerivedNames.try_emplace(&S, Name);
    return Name;
  }

  static std::string kindName(ast::DeriveKind K) {
    return ir::getDeriveKindName(lowerDeriveKind(K)).str();
  }

  void lowerFunction(const ast::FnDecl &AF) {
    ir::Function &F = IRM->addFunction(AF.Name);
    F.ResultType = lowerType(AF.Result);
    F.Loc = AF.NameRange.Start;
    ir::Builder B(F);
    for (const ast::Param &P : AF.Params)
      B.param(lowerType(P.Ty), P.Name);
    lowerBody(B, AF.Body);
    if (!AF.Backward)
      return;
    // The backward rule: the function's parameters, then the upstream
    // gradient; it returns one gradient per parameter.
    std::string BName = AF.Name + ".backward";
    ir::Function &BF = IRM->addFunction(BName);
    F.BackwardFn = BName;
    BF.Exported = false;
    BF.Loc = AF.Backward->Range.Start;
    std::vector<ast::Type> GradTypes;
    for (const ast::Param &P : AF.Params)
      GradTypes.push_back(P.Ty);
    BF.ResultType = GradTypes.size() == 1
                        ? lowerType(GradTypes[0])
                        : lowerType(ast::Type::tuple(GradTypes));
    ir::Builder BB(BF);
    for (const ast::Param &P : AF.Params)
      BB.param(lowerType(P.Ty), P.Name);
    BB.param(lowerType(AF.Result), AF.Backward->GradName);
    lowerBody(BB, AF.Backward->Body);
  }

  void lowerBody(ir::Builder &B, const std::vector<ast::Stmt> &Body) {
    Locals.clear();
    for (const ast::Stmt &S : Body) {
      ValueId V = lower(B, *S.Value);
      if (S.TheKind == ast::Stmt::Return) {
        B.setLoc(S.Range.Start);
        B.ret(V);
        return;
      }
      ir::Op &O = B.getFunction().op(V);
      if (O.Name.empty() && O.Kind != ir::OpKind::Param)
        O.Name = S.Name;
      Locals.push_back(V);
    }
  }

  ValueId lower(ir::Builder &B, const ast::Expr &E) {
    switch (E.getKind()) {
    case ast::Expr::EK_Number: {
      B.setLoc(E.getLoc());
      auto &N = llvm::cast<ast::NumberExpr>(E);
      if (E.Ty.isIntScalar())
        return B.intConstant(lowerType(E.Ty), N.IntValue);
      return B.constant(lowerType(E.Ty), N.Value);
    }
    case ast::Expr::EK_Bool:
      B.setLoc(E.getLoc());
      return B.constant(lowerType(E.Ty), llvm::cast<ast::BoolExpr>(E).Value);
    case ast::Expr::EK_Name: {
      auto &N = llvm::cast<ast::NameExpr>(E);
      return N.Ref == ast::NameExpr::Param ? N.Index : Locals[N.Index];
    }
    case ast::Expr::EK_Unary: {
      auto &U = llvm::cast<ast::UnaryExpr>(E);
      ValueId A = lower(B, *U.Operand);
      B.setLoc(E.getLoc());
      return B.unary(U.Op == ast::UnaryOp::Neg ? ir::OpKind::Neg
                                               : ir::OpKind::Not,
                     A);
    }
    case ast::Expr::EK_Binary: {
      auto &Bin = llvm::cast<ast::BinaryExpr>(E);
      ValueId L = lower(B, *Bin.LHS);
      ValueId R = lower(B, *Bin.RHS);
      B.setLoc(Bin.OpLoc);
      return B.binary(binaryOp(Bin.Op), L, R);
    }
    case ast::Expr::EK_If: {
      auto &I = llvm::cast<ast::IfExpr>(E);
      ValueId C = lower(B, *I.Cond);
      ValueId T = lower(B, *I.Then);
      ValueId F = lower(B, *I.Else);
      B.setLoc(E.getLoc());
      return B.select(C, T, F);
    }
    case ast::Expr::EK_Tuple: {
      std::vector<ValueId> Elts;
      for (const ast::ExprPtr &Elt : llvm::cast<ast::TupleExpr>(E).Elements)
        Elts.push_back(lower(B, *Elt));
      B.setLoc(E.getLoc());
      return B.tuple(Elts);
    }
    case ast::Expr::EK_Call:
      return lowerCall(B, llvm::cast<ast::CallExpr>(E));
    case ast::Expr::EK_Member:
    case ast::Expr::EK_TensorLit:
      break;
    }
    assert(false && "Sema rejects what lowering cannot handle");
    return 0;
  }

  ValueId lowerCall(ir::Builder &B, const ast::CallExpr &C) {
    std::vector<ValueId> Args;
    for (const ast::Arg &A : C.Args)
      Args.push_back(lower(B, *A.Value));
    B.setLoc(C.getLoc());
    if (C.B == ast::Builtin::None) {
      std::string Callee = nameOf(C.Target);
      return B.call(Callee, lowerType(C.Ty), Args);
    }
    switch (ast::getBuiltinFamily(C.B)) {
    case ast::BuiltinFamily::Math1: {
      const ir::Type &T = B.getFunction().typeOf(Args[0]);
      if (C.B == ast::Builtin::Relu && T.isInt()) {
        ValueId Zero = B.constant(T, 0);
        return B.binary(ir::OpKind::Max, Args[0], Zero);
      }
      return B.unary(mathOp(C.B), Args[0]);
    }
    case ast::BuiltinFamily::Math2:
      return B.binary(mathOp(C.B), Args[0], Args[1]);
    case ast::BuiltinFamily::Select:
      return B.select(Args[0], Args[1], Args[2]);
    case ast::BuiltinFamily::Convert:
      if (B.getFunction().typeOf(Args[0]) == lowerType(C.Ty))
        return Args[0];
      return B.convert(Args[0], C.Ty.Elem);
    default:
      break;
    }
    assert(false && "Sema rejects what lowering cannot handle");
    return 0;
  }

  const ast::Module &AM;
  std::unique_ptr<ir::Module> IRM;
  std::vector<ValueId> Locals;
  llvm::DenseMap<const ast::DerivedSpec *, std::string> DerivedNames;
  llvm::StringSet<> Taken;
};

} // namespace

std::unique_ptr<ir::Module> nnc::lowerModule(const ast::Module &M) {
  return Lowering(M).run();
}
