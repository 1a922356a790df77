//===- TrainStep.cpp - The optimizer update of train_step -----------------===//
//
// `fn step = train_step(net.loss, adam)` is value_and_grad(net.loss, params)
// followed by the optimizer's update of every parameter, as ordinary IR ops,
// so the passes, the printers and the backend serve it like any function.
// The update follows torch.optim (dampening 0, no Nesterov, no AMSGrad):
//
//   sgd       g = grad + wd p;  p -= lr g
//   momentum  g = grad + wd p;  buf = mu buf + g;  p -= lr buf
//   adam      g = grad + wd p;  t += 1;  m = b1 m + (1 - b1) g;
//             v = b2 v + (1 - b2) g g;  mhat = m / (1 - b1^t);
//             vhat = v / (1 - b2^t);  p -= lr mhat / (sqrt(vhat) + eps)
//   adamw     p *= 1 - lr wd (decoupled, first), then adam without wd
//
// The hyper-parameters are scalars of the loss's type; the bias corrections
// 1 - b^t are computed in f64, as PyTorch computes them with Python floats.
//
//===----------------------------------------------------------------------===//
#include "Adjoints.h"

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ad;

namespace {

/// Builds the update of one parameter at a time, with the scalar
/// hyper-parameters converted to its element type and broadcast to its shape.
class UpdateEmitter {
public:
  UpdateEmitter(Builder &B, llvm::ArrayRef<ValueId> Hyper)
      : B(B), Hyper(Hyper) {}

  /// Hyper-parameter \p I (or a scalar value) as a tensor of \p T.
  ValueId splatOf(ValueId Scalar, const Type &T) {
    Function &F = B.getFunction();
    if (F.typeOf(Scalar).getElementKind() != T.getElementKind())
      Scalar = B.convert(Scalar, T.getElementKind());
    return B.broadcast(Scalar, T);
  }
  ValueId hyper(unsigned I, const Type &T) { return splatOf(Hyper[I], T); }
  ValueId mul(ValueId A, ValueId C) { return B.binary(OpKind::Mul, A, C); }
  ValueId add(ValueId A, ValueId C) { return B.binary(OpKind::Add, A, C); }
  ValueId sub(ValueId A, ValueId C) { return B.binary(OpKind::Sub, A, C); }
  ValueId div(ValueId A, ValueId C) { return B.binary(OpKind::Div, A, C); }
  /// 1 - X for a scalar X.
  ValueId oneMinus(ValueId X) {
    return sub(B.constant(B.getFunction().typeOf(X), 1), X);
  }

  Builder &B;
  llvm::ArrayRef<ValueId> Hyper;
};

} // namespace

std::vector<ValueId> ad::emitOptimizerUpdate(Builder &B, Optimizer O,
                                             llvm::ArrayRef<ValueId> Params,
                                             llvm::ArrayRef<ValueId> Grads,
                                             llvm::ArrayRef<ValueId> State,
                                             llvm::ArrayRef<ValueId> Hyper) {
  Function &F = B.getFunction();
  UpdateEmitter U(B, Hyper);
  size_t N = Params.size();
  std::vector<ValueId> NewParams(N), NewState;
  auto Named = [&](ValueId V, const std::string &Name) {
    if (F.op(V).Name.empty())
      F.op(V).Name = Name;
    return V;
  };
  auto ParamName = [&](size_t I) { return F.op(Params[I]).Name; };
  // Hyper-parameter indices (ir::getHyperParameterNames).
  const unsigned LR = 0;
  switch (O) {
  case Optimizer::SGD:
  case Optimizer::Momentum: {
    const unsigned Mu = 1, WD = O == Optimizer::SGD ? 1 : 2;
    for (size_t I = 0; I < N; ++I) {
      const Type T = F.typeOf(Params[I]); // a copy: ops grow
      ValueId G = U.add(Grads[I], U.mul(U.hyper(WD, T), Params[I]));
      if (O == Optimizer::Momentum) {
        G = U.add(U.mul(U.hyper(Mu, T), State[I]), G);
        NewState.push_back(Named(G, "buf." + ParamName(I)));
      }
      NewParams[I] = U.sub(Params[I], U.mul(U.hyper(LR, T), G));
    }
    break;
  }
  case Optimizer::Adam:
  case Optimizer::AdamW: {
    const unsigned B1 = 1, B2 = 2, Eps = 3, WD = 4;
    ValueId T0 = State[2 * N];
    ValueId T1 = Named(
        U.add(T0, B.intConstant(Type::scalar(ElementKind::I64), 1)), "t");
    // Bias corrections, in f64 from the betas given.
    auto F64 = [&](ValueId V) {
      return F.typeOf(V).getElementKind() == ElementKind::F64
                 ? V
                 : B.convert(V, ElementKind::F64);
    };
    ValueId TF = B.convert(T1, ElementKind::F64);
    ValueId BC1 = Named(U.oneMinus(B.binary(OpKind::Pow, F64(Hyper[B1]), TF)),
                        "bias_correction1");
    ValueId BC2 = Named(U.oneMinus(B.binary(OpKind::Pow, F64(Hyper[B2]), TF)),
                        "bias_correction2");
    std::vector<ValueId> NewM(N), NewV(N);
    for (size_t I = 0; I < N; ++I) {
      const Type T = F.typeOf(Params[I]); // a copy: ops grow
      ValueId P = Params[I], G = Grads[I];
      if (O == Optimizer::AdamW) {
        // torch.optim.AdamW: param.mul_(1 - lr * weight_decay).
        ValueId Decay = U.oneMinus(U.mul(Hyper[LR], Hyper[WD]));
        P = U.mul(P, U.splatOf(Decay, T));
      } else {
        G = U.add(G, U.mul(U.hyper(WD, T), P));
      }
      ValueId B1T = U.hyper(B1, T), B2T = U.hyper(B2, T);
      ValueId One = B.splat(T, 1);
      ValueId M = U.add(U.mul(B1T, State[I]), U.mul(U.sub(One, B1T), G));
      ValueId V = U.add(U.mul(B2T, State[N + I]),
                        U.mul(U.sub(One, B2T), U.mul(G, G)));
      NewM[I] = Named(M, "m." + ParamName(I));
      NewV[I] = Named(V, "v." + ParamName(I));
      ValueId MHat = U.div(M, U.splatOf(BC1, T));
      ValueId VHat = U.div(V, U.splatOf(BC2, T));
      ValueId Denom =
          U.add(B.unary(OpKind::Sqrt, VHat), U.hyper(Eps, T));
      NewParams[I] = U.sub(P, U.div(U.mul(U.hyper(LR, T), MHat), Denom));
    }
    NewState = NewM;
    NewState.insert(NewState.end(), NewV.begin(), NewV.end());
    NewState.push_back(T1);
    break;
  }
  }
  for (size_t I = 0; I < N; ++I)
    Named(NewParams[I], ParamName(I));
  std::vector<ValueId> Out = NewParams;
  Out.insert(Out.end(), NewState.begin(), NewState.end());
  return Out;
}
