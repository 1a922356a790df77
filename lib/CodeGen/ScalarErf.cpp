//===- ScalarErf.cpp - LLVM IR for erf and gelu ---------------------------===//
//
// The steps of lib/Support/Erf.cpp in LLVM IR, in the same order, with the
// tables of nnc/Support/Erf.h: polynomials and selects, no branches and no
// libm call but exp, so a loop over a tensor vectorizes. Both regions are
// computed and one is selected (a select does not propagate the other's
// NaN or inf). f32 is computed in f64 and rounded once.
//
//===----------------------------------------------------------------------===//
#include "ScalarOps.h"
#include "nnc/Support/Erf.h"

using namespace nnc;
using namespace nnc::codegen;
using namespace nnc::erfpoly;

namespace {
struct Parts {
  llvm::Value *Small, *Tail, *IsSmall;
};
} // namespace

/// T + T P(T^2), Exp R(T) and T < 1, as parts() in Erf.cpp. Every
/// coefficient is a select among the four pieces', so one polynomial is
/// evaluated per element.
static Parts emitParts(llvm::IRBuilder<> &B, llvm::Value *T,
                       llvm::Value *T2, llvm::Value *Exp) {
  llvm::Type *D = B.getDoubleTy();
  auto C = [&](double V) { return llvm::ConstantFP::get(D, V); };
  llvm::Value *P = C(SmallPoly[0]);
  for (unsigned I = 1; I < std::size(SmallPoly); ++I)
    P = B.CreateFAdd(B.CreateFMul(P, T2), C(SmallPoly[I]));
  llvm::Value *Small = B.CreateFAdd(T, B.CreateFMul(T, P));
  llvm::Value *In0 = B.CreateFCmpOLT(T, C(TailSplit[0]));
  llvm::Value *In1 = B.CreateFCmpOLT(T, C(TailSplit[1]));
  llvm::Value *In2 = B.CreateFCmpOLT(T, C(TailSplit[2]));
  auto Pick = [&](const double *V) {
    return B.CreateSelect(
        In0, C(V[0]),
        B.CreateSelect(In1, C(V[1]), B.CreateSelect(In2, C(V[2]), C(V[3]))));
  };
  // The last piece (t >= 6, or NaN) is a polynomial in u = 1 / t.
  llvm::Value *U = B.CreateFDiv(C(1.0), T);
  llvm::Value *X =
      B.CreateFSub(B.CreateSelect(In2, T, U), Pick(TailCenter));
  auto Coeff = [&](unsigned I) {
    double V[4] = {TailPoly[0][I], TailPoly[1][I], TailPoly[2][I],
                   TailPoly[3][I]};
    return Pick(V);
  };
  llvm::Value *R = Coeff(0);
  for (unsigned I = 1; I < std::size(TailPoly[0]); ++I)
    R = B.CreateFAdd(B.CreateFMul(R, X), Coeff(I));
  R = B.CreateSelect(In2, R, B.CreateFMul(R, U));
  return {Small, B.CreateFMul(Exp, R), B.CreateFCmpOLT(T, C(1.0))};
}

llvm::Value *ScalarOps::erfOrGelu(llvm::Value *X, bool Gelu) {
  llvm::Type *Orig = X->getType();
  llvm::Type *D = B.getDoubleTy();
  if (Orig != D)
    X = B.CreateFPExt(X, D);
  auto C = [&](double V) { return llvm::ConstantFP::get(D, V); };
  llvm::Value *Result;
  if (!Gelu) {
    llvm::Value *T = intrinsic(llvm::Intrinsic::fabs, {X});
    llvm::Value *T2 = B.CreateFMul(T, T);
    Parts P = emitParts(B, T, T2,
                        intrinsic(llvm::Intrinsic::exp, {B.CreateFNeg(T2)}));
    llvm::Value *A = B.CreateSelect(P.IsSmall, P.Small,
                                    B.CreateFSub(C(1.0), P.Tail));
    Result = intrinsic(llvm::Intrinsic::copysign, {A, X});
  } else {
    llvm::Value *Z = B.CreateFMul(X, C(InvSqrt2));
    llvm::Value *T = intrinsic(llvm::Intrinsic::fabs, {Z});
    llvm::Value *T2 = B.CreateFMul(T, T);
    // e^(-x^2 / 2) = e^(-Hi^2 / 2) e^(-Lo (x + Hi) / 2), Hi * Hi exact.
    llvm::Type *I64 = B.getInt64Ty();
    llvm::Value *Hi = B.CreateBitCast(
        B.CreateAnd(B.CreateBitCast(X, I64),
                    llvm::ConstantInt::get(I64, SplitMask)),
        D);
    llvm::Value *Lo = B.CreateFSub(X, Hi);
    llvm::Value *HA = B.CreateFMul(B.CreateFMul(Hi, Hi), C(0.5));
    llvm::Value *LS = B.CreateFMul(Lo, B.CreateFAdd(X, Hi));
    // NaN for an infinite x, where e^(-x^2 / 2) = e^(-Hi^2 / 2) = 0 already.
    llvm::Value *HB = B.CreateFMul(
        B.CreateSelect(B.CreateFCmpORD(LS, LS), LS, C(0.0)), C(0.5));
    llvm::Value *Exp =
        B.CreateFMul(intrinsic(llvm::Intrinsic::exp, {B.CreateFNeg(HA)}),
                     intrinsic(llvm::Intrinsic::exp, {B.CreateFNeg(HB)}));
    Parts P = emitParts(B, T, T2, Exp);
    llvm::Value *SmallPhi = B.CreateFAdd(
        C(0.5), B.CreateFMul(C(0.5), intrinsic(llvm::Intrinsic::copysign,
                                               {P.Small, Z})));
    llvm::Value *HalfTail = B.CreateFMul(C(0.5), P.Tail);
    llvm::Value *TailPhi =
        B.CreateSelect(B.CreateFCmpOGE(X, C(0.0)),
                       B.CreateFSub(C(1.0), HalfTail), HalfTail);
    Result = B.CreateFMul(X, B.CreateSelect(P.IsSmall, SmallPhi, TailPhi));
  }
  return Orig != D ? B.CreateFPTrunc(Result, Orig) : Result;
}
