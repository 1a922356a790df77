//===- LowerState.cpp - batch_norm and dropout ----------------------------===//
//
// The built-ins that depend on the training mode (issue 12), lowered to
// existing ops so that AD differentiates them like any other code.
//
//===----------------------------------------------------------------------===//
#include "LowerState.h"
#include "llvm/Support/Casting.h"

using namespace nnc;
using namespace nnc::ir;

/// The value of the number literal of the named argument \p Name, or
/// \p Default.
static double literalArg(const ast::CallExpr &C, llvm::StringRef Name,
                         double Default, size_t Position = ~size_t(0)) {
  for (size_t I = 0; I < C.Args.size(); ++I)
    if (C.Args[I].Name == Name || (Name.empty() && I == Position))
      if (auto *N = llvm::dyn_cast<ast::NumberExpr>(C.Args[I].Value.get()))
        return N->IsInteger ? static_cast<double>(N->IntValue) : N->Value;
  return Default;
}

ValueId irgen::broadcastSelect(ir::Builder &B, ValueId C, ValueId T,
                               ValueId E) {
  const ir::Function &F = B.getFunction();
  if (F.typeOf(T).isTuple())
    return B.select(C, T, E);
  Shape S = *getBroadcastShape(F.typeOf(T).getShape(), F.typeOf(E).getShape());
  S = *getBroadcastShape(F.typeOf(C).getShape(), S);
  ElementKind K = F.typeOf(T).getElementKind();
  C = B.broadcast(C, ir::Type::tensor(ElementKind::Bool, S));
  T = B.broadcast(T, ir::Type::tensor(K, S));
  E = B.broadcast(E, ir::Type::tensor(K, S));
  return B.select(C, T, E);
}

/// batch_norm(x, running_mean, running_var, gamma, beta) as
/// torch.nn.functional.batch_norm (issue 12), from existing ops, so AD
/// differentiates it: statistics per channel (axis 1) over every other
/// axis; in training the batch's (biased variance), and the running
/// statistics move by `momentum` towards them (unbiased variance); in
/// evaluation the running ones, unchanged. Returns the new running
/// statistics with the result; the caller assigns them.
irgen::BatchNormResult irgen::lowerBatchNorm(ir::Builder &B,
                                             const ast::CallExpr &C,
                                             llvm::ArrayRef<ValueId> Args,
                                             ValueId Training) {
  ir::Function &F = B.getFunction();
  ValueId X = Args[0], RMean = Args[1], RVar = Args[2], Gamma = Args[3],
          Beta = Args[4];
  const ir::Type XT = F.typeOf(X);
  ElementKind K = XT.getElementKind();
  const Shape &S = XT.getShape();
  double Momentum = literalArg(C, "momentum", 0.1);
  double Eps = literalArg(C, "eps", 1e-5);
  ir::Type CT = ir::Type::tensor(K, {S[1]});
  // Per-channel sums: [B, C, H, W] as [B, C, H*W], summed along axis 0
  // first, then along the image. The batch axis first makes the big sum
  // element-wise adds of whole [C, H*W] rows, which vectorize; summing
  // each channel's H*W run first would be one long chain of dependent
  // adds per channel (in order, as every sum is): 3.5x slower for the
  // same sums along [0, 2, 3] of [64, 32, 28, 28] (docs/performance.md).
  auto ChannelSum = [&](ValueId V) {
    if (S.size() == 4)
      V = B.reshape(V, ir::Type::tensor(K, {S[0], S[1], S[2] * S[3]}));
    V = B.reduce(ir::OpKind::ReduceSum, V, 0);
    if (S.size() == 4)
      V = B.reduce(ir::OpKind::ReduceSum, V, 1);
    return V;
  };
  Shape BShape(S.size(), Dim::constant(1));
  BShape[1] = S[1];
  auto Spread = [&](ValueId V) {
    return B.broadcast(B.reshape(V, ir::Type::tensor(K, BShape)), XT);
  };
  Dim Count = S[0];
  if (S.size() == 4)
    Count = S[0] * S[2] * S[3];
  ValueId N = B.broadcast(B.convert(B.dim(Count), K), CT);
  ValueId BMean = B.binary(ir::OpKind::Div, ChannelSum(X), N);
  F.op(BMean).Name = "batch_mean";
  ValueId D = B.binary(ir::OpKind::Sub, X, Spread(BMean));
  ValueId BVar =
      B.binary(ir::OpKind::Div, ChannelSum(B.binary(ir::OpKind::Mul, D, D)), N);
  F.op(BVar).Name = "batch_var";
  ValueId Mean = broadcastSelect(B, Training, BMean, RMean);
  ValueId Var = broadcastSelect(B, Training, BVar, RVar);
  auto Splat = [&](double V) { return B.splat(CT, V); };
  // y = x * scale + shift, scale = gamma / sqrt(var + eps),
  // shift = beta - mean * scale: one pass over x.
  ValueId Scale = B.binary(
      ir::OpKind::Div, Gamma,
      B.unary(ir::OpKind::Sqrt, B.binary(ir::OpKind::Add, Var, Splat(Eps))));
  ValueId Shift =
      B.binary(ir::OpKind::Sub, Beta, B.binary(ir::OpKind::Mul, Mean, Scale));
  ValueId Y = B.binary(ir::OpKind::Add,
                       B.binary(ir::OpKind::Mul, X, Spread(Scale)),
                       Spread(Shift));
  // The running statistics (PyTorch: unbiased variance, n / (n - 1)).
  ValueId Unbias = B.binary(ir::OpKind::Div, N,
                            B.binary(ir::OpKind::Sub, N, Splat(1)));
  auto Move = [&](ValueId Old, ValueId New) {
    ValueId V = B.binary(
        ir::OpKind::Add, B.binary(ir::OpKind::Mul, Splat(1 - Momentum), Old),
        B.binary(ir::OpKind::Mul, Splat(Momentum), New));
    return broadcastSelect(B, Training, V, Old);
  };
  ValueId NewMean = Move(RMean, BMean);
  ValueId NewVar = Move(RVar, B.binary(ir::OpKind::Mul, BVar, Unbias));
  return {Y, NewMean, NewVar};
}

/// dropout(x, p): inverted dropout (issue 12). In training each element
/// is kept where a uniform number of the step's seed is >= p, and scaled
/// by 1 / (1 - p); in evaluation x is multiplied by 1, exactly.
ValueId irgen::lowerDropout(ir::Builder &B, const ast::CallExpr &C, ValueId X,
                           ValueId Training, ValueId Seed, unsigned Stream) {
  ir::Function &F = B.getFunction();
  const ir::Type T = F.typeOf(X);
  double P = literalArg(C, "", 0.5, 1);
  ValueId U = B.random(ir::OpKind::Rand, Seed, Stream, T);
  ValueId Keep =
      B.binary(ir::OpKind::Ge, U, B.splat(T, P));
  ValueId Mask = B.select(Keep, B.splat(T, 1 / (1 - P)), B.splat(T, 0));
  F.op(Mask).Name = "dropout_mask";
  ValueId Y = B.binary(ir::OpKind::Mul, X, Mask);
  ValueId R = B.extract(
      B.select(Training, B.tuple({Y}), B.tuple({X})), 0);
  return R;
}
