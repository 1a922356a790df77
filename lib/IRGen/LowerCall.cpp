//===- LowerCall.cpp - Calls to IR ops ------------------------------------===//
//
// Lowering's calls: built-ins (reductions, losses, math, convolution and
// pooling, and issue 12's through StructuralOps.h, LowerStats.h and
// LowerState.h), and calls of functions and of layer methods, which take
// their instance's parameters and state first.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"
#include "LowerState.h"
#include "LowerStats.h"
#include "StructuralOps.h"

using namespace nnc;
using namespace nnc::irgen;
using ir::ValueId;

// Convolution and pooling (issue 12).
/// The op a window built-in lowers to, if it is one.
static std::optional<ir::OpKind> windowOpKind(ast::Builtin B) {
  switch (B) {
  case ast::Builtin::Conv2d:
    return ir::OpKind::Conv2d;
  case ast::Builtin::Conv2dGradInput:
    return ir::OpKind::Conv2dGradInput;
  case ast::Builtin::Conv2dGradWeight:
    return ir::OpKind::Conv2dGradWeight;
  case ast::Builtin::MaxPool2d:
    return ir::OpKind::MaxPool2d;
  case ast::Builtin::MaxPool2dGrad:
    return ir::OpKind::MaxPool2dGrad;
  case ast::Builtin::MaxPool2dGather:
    return ir::OpKind::MaxPool2dGather;
  case ast::Builtin::AvgPool2d:
    return ir::OpKind::AvgPool2d;
  case ast::Builtin::AvgPool2dGrad:
    return ir::OpKind::AvgPool2dGrad;
  default:
    return std::nullopt;
  }
}

/// How many leading arguments of a window built-in are tensors.
static size_t windowTensorArgs(ast::Builtin B) {
  return B == ast::Builtin::MaxPool2d || B == ast::Builtin::AvgPool2d ||
                 B == ast::Builtin::AvgPool2dGrad
             ? 1
             : 2;
}

/// The IR op of a Math1 or Math2 built-in: the op of the same name.
static ir::OpKind mathOp(ast::Builtin B) {
  switch (B) {
#define BUILTIN(Id, Spelling, Family) BUILTIN_##Family(Id)
#define BUILTIN_Math(Id)                                                       \
  case ast::Builtin::Id:                                                       \
    return ir::OpKind::Id;
#define BUILTIN_Math1(Id) BUILTIN_Math(Id)
#define BUILTIN_Math2(Id) BUILTIN_Math(Id)
#define BUILTIN_Select(Id)
#define BUILTIN_Convert(Id)
#define BUILTIN_Derive(Id)
#define BUILTIN_Tensor(Id)
#define BUILTIN_Init(Id)
#include "nnc/AST/Builtins.def"
#undef BUILTIN_Math
#undef BUILTIN_Math1
#undef BUILTIN_Math2
#undef BUILTIN_Select
#undef BUILTIN_Convert
#undef BUILTIN_Derive
#undef BUILTIN_Tensor
#undef BUILTIN_Init
  default:
    return ir::OpKind::Const;
  }
}

ValueId Lowering::lowerCall(ir::Builder &B, const ast::CallExpr &C) {
  // Issue 12's structural built-ins (StructuralOps.h).
  if (std::optional<ValueId> V = irgen::lowerStructural(
          B, C, lowerType(C.Ty, Ctx.Sub),
          [&](const ast::Expr &E) { return lower(B, E); }))
    return *V;
  ValueId V = lowerCallValue(B, C);
  // `keepdims=true` (issue 12, tensorops): the reduced axes as size 1.
  return C.KeepDims ? B.reshape(V, lowerType(C.Ty, Ctx.Sub)) : V;
}

ValueId Lowering::lowerCallValue(ir::Builder &B, const ast::CallExpr &C) {
  ir::OpKind RandKind =
      C.B == ast::Builtin::Randn ? ir::OpKind::Randn : ir::OpKind::Rand;
  if ((C.B == ast::Builtin::Randn || C.B == ast::Builtin::Rand) &&
      !C.Args.empty()) {
    ValueId Seed = lower(B, *C.Args[0].Value);
    B.setLoc(C.getLoc());
    return B.random(RandKind, Seed, C.Axis, lowerType(C.Ty, Ctx.Sub));
  }
  if (C.B == ast::Builtin::Randn || C.B == ast::Builtin::Rand) {
    B.setLoc(C.getLoc());
    return B.random(C.B == ast::Builtin::Randn ? ir::OpKind::Randn
                                               : ir::OpKind::Rand,
                    Ctx.Seed, Ctx.Stream++, Ctx.InitType);
  }
  if (std::optional<ValueId> V = lowerIssue12(B, C))
    return *V;
  // Named arguments (`axis=`) and shapes (`[B, 10]`) are attributes that
  // Sema recorded; only values are lowered.
  bool ShapeFirst = C.B == ast::Builtin::Iota;
  bool ShapeSecond = C.B == ast::Builtin::Reshape ||
                     C.B == ast::Builtin::Broadcast ||
                     C.B == ast::Builtin::SumTo ||
                     C.B == ast::Builtin::Onehot;
  // Convolution and pooling (issue 12): tensors first, then the pools'
  // window and a shape, which are attributes.
  size_t ValueArgs = windowOpKind(C.B) ? windowTensorArgs(C.B)
                                       : C.Args.size();
  std::vector<ValueId> Args;
  for (size_t I = 0; I < C.Args.size(); ++I) {
    const ast::Arg &A = C.Args[I];
    if (!A.Name.empty() || (ShapeFirst && I == 0) ||
        (ShapeSecond && I == 1) || I >= ValueArgs)
      continue;
    Args.push_back(lower(B, *A.Value));
  }
  B.setLoc(C.getLoc());
  if (C.B == ast::Builtin::None)
    return lowerUserCall(B, C, Args);
  const ir::Function &F = B.getFunction();
  auto TypeOf = [&](unsigned I) { return F.typeOf(Args[I]); };
  ir::Type Result = lowerType(C.Ty, Ctx.Sub);
  switch (C.B) {
  case ast::Builtin::BatchNorm:
    return lowerBatchNorm(B, C, Args);
  case ast::Builtin::Dropout:
    return lowerDropout(B, C, Args[0]);
  case ast::Builtin::Max:
  case ast::Builtin::Min:
    if (C.Args.size() == 1 || !C.Args.back().Name.empty())
      return reduceAll(B,
                       C.B == ast::Builtin::Max ? ir::OpKind::ReduceMax
                                                : ir::OpKind::ReduceMin,
                       Args[0], C.Axis);
    break;
  case ast::Builtin::Sum:
    return reduceAll(B, ir::OpKind::ReduceSum, Args[0], C.Axis);
  case ast::Builtin::Mean: {
    ir::Type T = TypeOf(0);
    ValueId S = reduceAll(B, ir::OpKind::ReduceSum, Args[0], C.Axis);
    ValueId N = countOf(B, T, C.Axis, T.getElementKind());
    return elementwise(B, ir::OpKind::Div, S, N);
  }
  case ast::Builtin::Argmax:
    return B.reduce(ir::OpKind::ArgMax, Args[0], C.Axis);
  case ast::Builtin::Reshape:
    return B.reshape(Args[0], Result);
  case ast::Builtin::Broadcast:
    return B.broadcast(Args[0], Result);
  case ast::Builtin::SumTo:
    return B.sumTo(Args[0], Result);
  case ast::Builtin::Iota:
    return B.iota(Result, C.Axis);
  case ast::Builtin::Onehot:
    return B.onehot(Args[0], substitute(C.ShapeArg[0], Ctx.Sub),
                    ElementKind::F64);
  case ast::Builtin::Pick:
    return B.pick(Args[0], Args[1]);
  case ast::Builtin::Softmax:
    return B.softmax(ir::OpKind::Softmax, Args[0], C.Axis);
  case ast::Builtin::LogSoftmax:
    return B.softmax(ir::OpKind::LogSoftmax, Args[0], C.Axis);
  case ast::Builtin::Logsumexp:
    return B.reduce(ir::OpKind::LogSumExp, Args[0], C.Axis);
  case ast::Builtin::CrossEntropy: {
    // -mean over the batch of log_softmax(x)[label]: stable, since
    // log_softmax subtracts the row maximum.
    ir::Type T = TypeOf(0);
    ValueId LS = B.softmax(ir::OpKind::LogSoftmax, Args[0], 1);
    ValueId P = B.pick(LS, Args[1]);
    ValueId S = B.reduce(ir::OpKind::ReduceSum, P, 0);
    ValueId N = countOf(B, T, 0, T.getElementKind());
    return B.unary(ir::OpKind::Neg, B.binary(ir::OpKind::Div, S, N));
  }
  case ast::Builtin::SvmLoss: {
    // CS231n's multiclass hinge: the mean over rows of
    //   sum_{j != y} max(0, (1 - s_y) + s_j),
    // PyTorch's multi_margin_loss times C (it also divides by the class
    // count), with its order of rounding. The label's own column is
    // masked out rather than counted as max(0, 1) = 1 and taken off
    // afterwards: s_y - s_y is NaN for an infinite score, and 1 + m - 1
    // rounds a tiny margin m away while relu' still sees it. A margin
    // that is exactly 0 gets relu'(0) = 0, as PyTorch's `z > 0`.
    ir::Type T = TypeOf(0);
    ElementKind K = T.getElementKind();
    const Shape &S = T.getShape();
    ValueId Target = B.reshape(B.pick(Args[0], Args[1]),
                               ir::Type::tensor(K, {S[0], Dim::constant(1)}));
    ValueId Base = elementwise(B, ir::OpKind::Sub,
                               B.constant(T.getElementType(), 1), Target);
    ValueId H = B.unary(ir::OpKind::Relu,
                        elementwise(B, ir::OpKind::Add, Base, Args[0]));
    ValueId Labels = Args[1];
    if (TypeOf(1).getElementKind() != ElementKind::I64)
      Labels = B.convert(Labels, ElementKind::I64);
    Labels = B.reshape(Labels, ir::Type::tensor(ElementKind::I64,
                                                {S[0], Dim::constant(1)}));
    ValueId IsLabel =
        elementwise(B, ir::OpKind::Eq,
                    B.iota(T.withElementKind(ElementKind::I64), 1), Labels);
    ValueId Hinge =
        select(B, IsLabel, B.constant(T.getElementType(), 0), H);
    ValueId Rows = B.reduce(ir::OpKind::ReduceSum, Hinge, 1);
    ValueId Total = B.reduce(ir::OpKind::ReduceSum, Rows, 0);
    return B.binary(ir::OpKind::Div, Total, countOf(B, T, 0, K));
  }
  default:
    // Convolution and pooling (issue 12).
    if (std::optional<ir::OpKind> K = windowOpKind(C.B)) {
      bool Given = C.B == ast::Builtin::Conv2dGradInput ||
                   C.B == ast::Builtin::Conv2dGradWeight ||
                   C.B == ast::Builtin::AvgPool2dGrad;
      return B.window(*K, Args, C.Win, Given ? &Result : nullptr);
    }
    break;
  }
  switch (ast::getBuiltinFamily(C.B)) {
  case ast::BuiltinFamily::Math1: {
    const ir::Type &T = TypeOf(0);
    if (C.B == ast::Builtin::Relu && T.isInt())
      return elementwise(B, ir::OpKind::Max, Args[0],
                         B.intConstant(T.getElementType(), 0));
    return B.unary(mathOp(C.B), Args[0]);
  }
  case ast::BuiltinFamily::Math2:
    return elementwise(B, mathOp(C.B), Args[0], Args[1]);
  case ast::BuiltinFamily::Select:
    return select(B, Args[0], Args[1], Args[2]);
  case ast::BuiltinFamily::Convert:
    if (TypeOf(0) == Result)
      return Args[0];
    return B.convert(Args[0], C.Ty.Elem);
  default:
    break;
  }
  assert(false && "Sema rejects what lowering cannot handle");
  return 0;
}

ValueId Lowering::lowerBatchNorm(ir::Builder &B, const ast::CallExpr &C,
                                 llvm::ArrayRef<ValueId> Args) {
  irgen::BatchNormResult R = irgen::lowerBatchNorm(B, C, Args, Ctx.Training);
  auto StateOf = [&](size_t Arg) {
    auto *Name = llvm::cast<ast::NameExpr>(C.Args[Arg].Value.get());
    return Ctx.Node->StateIndex[Name->Index];
  };
  Ctx.State[StateOf(1)] = R.NewMean;
  Ctx.State[StateOf(2)] = R.NewVar;
  return R.Y;
}

ValueId Lowering::lowerDropout(ir::Builder &B, const ast::CallExpr &C,
                               ValueId X) {
  return irgen::lowerDropout(B, C, X, Ctx.Training, Ctx.StepSeed,
                             NextDropoutStream++);
}

std::optional<ValueId> Lowering::lowerIssue12(ir::Builder &B,
                                              const ast::CallExpr &C) {
  if (!irgen::isStatsCall(C))
    return std::nullopt;
  return irgen::lowerStatsCall(
      B, C, lowerType(C.Ty, Ctx.Sub),
      [&](const ast::Expr &E) { return lower(B, E); });
}

ValueId Lowering::lowerUserCall(ir::Builder &B, const ast::CallExpr &C,
                                std::vector<ValueId> Args) {
  ir::Type Result = lowerType(C.Ty, Ctx.Sub);
  const ast::FunctionRef &Ref = C.Target;
  if (Ref.Fn && Ref.Fn->Owner && !Ref.Instance && Ctx.Node) {
    // A method of this instance, or of a sub-instance: it takes that
    // instance's parameters first.
    InstanceNode *Target = Ctx.Node;
    unsigned First = 0, FirstState = 0;
    if (Ref.ViaMember >= 0) {
      Target = Ctx.Node->Children[Ref.ViaMember].get();
      First = Ctx.Node->ChildOffset[Ref.ViaMember];
      FirstState = Ctx.Node->ChildStateOffset[Ref.ViaMember];
    }
    std::vector<ValueId> Full;
    for (unsigned I = 0; I < Target->Params.size(); ++I)
      Full.push_back(First + I);
    // The state as this method has it so far (issue 12).
    for (unsigned I = 0; I < Target->States.size(); ++I)
      Full.push_back(Ctx.State[FirstState + I]);
    Full.insert(Full.end(), Args.begin(), Args.end());
    if (Target->Layer->UsesTraining)
      Full.push_back(Ctx.Training);
    if (Target->Layer->UsesSeed)
      Full.push_back(Ctx.StepSeed);
    std::string Callee = methodFunction(*Target, *Ref.Fn);
    B.setLoc(C.getLoc());
    if (!ReturnsState.contains(Callee))
      return B.call(Callee, Result, Full);
    // It returns (value, new state): the new state replaces the old.
    // The value's type in the caller's dimensions; the state's are
    // constant.
    std::vector<ir::Type> Types = {Result};
    for (const auto &[SName, STy] : Target->States)
      Types.push_back(STy);
    ValueId R = B.call(Callee, ir::Type::tuple(std::move(Types)), Full);
    for (unsigned I = 0; I < Target->States.size(); ++I)
      Ctx.State[FirstState + I] = B.extract(R, 1 + I);
    return B.extract(R, 0);
  }
  std::string Callee = nameOf(Ref);
  B.setLoc(C.getLoc());
  if (!C.ImplicitArgs.empty() || !C.ModeArgs.empty()) {
    // nnc-repl's wrapper: the session's parameters and state, and its
    // mode after the method's own arguments.
    std::vector<ValueId> Full;
    for (unsigned I : C.ImplicitArgs) {
      auto It = SessionState.find(I);
      Full.push_back(It != SessionState.end() ? It->second
                                              : Ctx.NumStateParams + I);
    }
    size_t At = std::min<size_t>(C.ModeArgsAt, Args.size());
    Full.insert(Full.end(), Args.begin(), Args.begin() + At);
    for (unsigned I : C.ModeArgs)
      Full.push_back(Ctx.NumStateParams + I);
    Full.insert(Full.end(), Args.begin() + At, Args.end());
    if (!Ref.Instance || !ReturnsState.contains(Callee))
      return B.call(Callee, Result, Full);
    // A method that updates its instance's state returns it too (issue
    // 12): later calls see it, and the wrapper returns it to the session.
    const InstanceNode &N = *Instances.lookup(Ref.Instance);
    unsigned NP = N.Params.size();
    std::vector<ir::Type> Types = {Result};
    for (const auto &[SName, STy] : N.States)
      Types.push_back(STy);
    ValueId R = B.call(Callee, ir::Type::tuple(std::move(Types)), Full);
    for (unsigned I = 0; I < N.States.size(); ++I)
      SessionState[C.ImplicitArgs[NP + I]] = B.extract(R, 1 + I);
    return B.extract(R, 0);
  }
  return B.call(Callee, Result, Args);
}
