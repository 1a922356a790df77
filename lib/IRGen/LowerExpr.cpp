//===- LowerExpr.cpp - Expressions to IR ops ------------------------------===//
//
// Lowering's expressions: names, operators, `if`, tuples, tensor literals,
// members and indexing, and the reductions and broadcasts that calls share
// (LowerCall.cpp lowers the calls themselves).
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"
#include "LowerState.h"
#include "StructuralOps.h"

using namespace nnc;
using namespace nnc::irgen;
using ir::ValueId;

static ir::OpKind binaryOp(ast::BinaryOp Op) {
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

ValueId Lowering::lower(ir::Builder &B, const ast::Expr &E) {
  if (isStackNearlyExhausted())
    return continueOnNewStack([&] { return lower(B, E); });
  switch (E.getKind()) {
  case ast::Expr::EK_Number: {
    B.setLoc(E.getLoc());
    auto &N = llvm::cast<ast::NumberExpr>(E);
    if (E.Ty.isIntScalar())
      return B.intConstant(lowerType(E.Ty), N.IntValue);
    return B.constant(lowerType(E.Ty), N.Value);
  }
  case ast::Expr::EK_TensorLit:
    return lowerTensorLiteral(B, llvm::cast<ast::TensorLitExpr>(E));
  case ast::Expr::EK_Bool:
    B.setLoc(E.getLoc());
    return B.constant(lowerType(E.Ty), llvm::cast<ast::BoolExpr>(E).Value);
  case ast::Expr::EK_Name: {
    auto &N = llvm::cast<ast::NameExpr>(E);
    switch (N.Ref) {
    case ast::NameExpr::Param:
      return Ctx.NumStateParams + N.Index;
    case ast::NameExpr::LayerParam:
      return Ctx.Node->ParamIndex[N.Index];
    case ast::NameExpr::LayerState:
      return Ctx.State[Ctx.Node->StateIndex[N.Index]];
    case ast::NameExpr::Training:
      return Ctx.Training;
    case ast::NameExpr::DimVar:
      B.setLoc(E.getLoc());
      return B.dim(substitute(Dim::var(N.Name), Ctx.Sub));
    default:
      return Locals[N.Index];
    }
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
    if (Bin.Op == ast::BinaryOp::MatMul)
      return B.matmul(L, R);
    return elementwise(B, binaryOp(Bin.Op), L, R);
  }
  case ast::Expr::EK_If: {
    auto &I = llvm::cast<ast::IfExpr>(E);
    ValueId C = lower(B, *I.Cond);
    ValueId T = lower(B, *I.Then);
    ValueId F = lower(B, *I.Else);
    B.setLoc(E.getLoc());
    return select(B, C, T, F);
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
  case ast::Expr::EK_Member: {
    // Sema accepts `x.T`, and a parameter the REPL passes (`net.fc1.W`).
    auto &M = llvm::cast<ast::MemberExpr>(E);
    if (M.ParamIndex >= 0)
      return Ctx.NumStateParams + M.ParamIndex;
    ValueId X = lower(B, *M.Base);
    B.setLoc(M.MemberRange.Start);
    return irgen::lowerTranspose(B, X);
  }
  case ast::Expr::EK_Index: { // issue 12, tensorops
    auto &X = llvm::cast<ast::IndexExpr>(E);
    ValueId Base = lower(B, *X.Base);
    std::vector<std::optional<ValueId>> Dynamic;
    for (const ast::IndexExpr::AxisWindow &W : X.Axes)
      Dynamic.push_back(W.Item >= 0 ? std::optional(lower(
                                          B, *X.Items[W.Item].Start))
                                    : std::nullopt);
    B.setLoc(E.getLoc());
    return irgen::lowerWindow(B, Base, X.Axes, Dynamic, Ctx.Sub,
                              lowerType(E.Ty, Ctx.Sub));
  }
  }
  assert(false && "Sema rejects what lowering cannot handle");
  return 0;
}

ValueId Lowering::elementwise(ir::Builder &B, ir::OpKind K, ValueId L,
                              ValueId R) {
  const ir::Function &F = B.getFunction();
  std::optional<Shape> S =
      getBroadcastShape(F.typeOf(L).getShape(), F.typeOf(R).getShape());
  assert(S && "Sema checked the shapes");
  L = B.broadcast(L, F.typeOf(L).isTuple() ? F.typeOf(L)
                                           : ir::Type::tensor(
                                                 F.typeOf(L).getElementKind(), *S));
  R = B.broadcast(R, F.typeOf(R).isTuple() ? F.typeOf(R)
                                           : ir::Type::tensor(
                                                 F.typeOf(R).getElementKind(), *S));
  return B.binary(K, L, R);
}

ValueId Lowering::select(ir::Builder &B, ValueId C, ValueId T, ValueId E) {
  return irgen::broadcastSelect(B, C, T, E);
}

ValueId Lowering::lowerTensorLiteral(ir::Builder &B,
                                     const ast::TensorLitExpr &E) {
  std::vector<double> Data;
  std::vector<const ast::Expr *> Work{&E};
  // Depth first, left to right: row-major order.
  while (!Work.empty()) {
    const ast::Expr *X = Work.back();
    Work.pop_back();
    if (auto *L = llvm::dyn_cast<ast::TensorLitExpr>(X)) {
      for (auto It = L->Elements.rbegin(); It != L->Elements.rend(); ++It)
        Work.push_back(It->get());
      continue;
    }
    bool Neg = false;
    if (auto *U = llvm::dyn_cast<ast::UnaryExpr>(X)) {
      Neg = true;
      X = U->Operand.get();
    }
    auto *N = llvm::cast<ast::NumberExpr>(X);
    double V = N->IsInteger ? static_cast<double>(N->IntValue) : N->Value;
    Data.push_back(Neg ? -V : V);
  }
  B.setLoc(E.getLoc());
  return B.tensorConstant(lowerType(E.Ty, Ctx.Sub), std::move(Data));
}

ValueId Lowering::reduceAll(ir::Builder &B, ir::OpKind K, ValueId X, int Axis) {
  ir::Type T = B.getFunction().typeOf(X);
  if (Axis >= 0)
    return B.reduce(K, X, Axis);
  if (T.isScalar())
    return X;
  if (T.getRank() > 1)
    X = B.reshape(X, ir::Type::tensor(T.getElementKind(),
                                      {getNumElements(T.getShape())}));
  return B.reduce(K, X, 0);
}

ValueId Lowering::countOf(ir::Builder &B, const ir::Type &T, int Axis,
                          ElementKind K) {
  Dim N = Axis >= 0 ? T.getShape()[Axis] : getNumElements(T.getShape());
  return B.convert(B.dim(N), K);
}
