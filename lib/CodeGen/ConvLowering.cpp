//===- ConvLowering.cpp - Convolution and pooling as loops and products ---===//
//
// Convolution and pooling (issue 12), on NCHW tensors.
//
// The three convolutions run on the module's matrix kernel (Gemm.h), one
// image at a time, through a column buffer in the workspace (after the
// kernel's scratch): im2col copies image n of x into
//   cols[(c, r, s), (p, q)] = x[n, c, p*SH + r - PH, q*SW + s - PW]
// (zero outside the image; SH, SW the strides and PH, PW the paddings along
// the rows and the columns), a [C*R*S, P*Q] matrix, so that
//   conv2d:             y[n]  = w          @ cols      [K, PQ]
//   conv2d_grad_input:  cols  = w^T        @ dy[n]     then col2im adds each
//                                                      column back into dx[n]
//   conv2d_grad_weight: dw   += dy[n]      @ cols^T    [K, CRS]
// w is [K, C*R*S] row-major as it is; its transpose and cols^T are the
// kernel's operands read through swapped strides, never copied here. A
// 1x1 window with stride 1 and no padding needs no column buffer: cols is
// x[n] itself. One image at a time keeps the buffer C*R*S*P*Q elements
// (a few hundred KiB for a 3x3 layer of 32 channels on 14x14), which stays
// in cache between im2col and the product that reads it; on Fashion-MNIST
// shapes this measured faster than one product over the whole batch, whose
// result would also need a transpose to NCHW (docs/performance.md).
//
// im2col and col2im run, for each (c, r, s), over the output rows and
// columns whose input lies inside the image, ranges computed once per run,
// so their inner loops are strided copies that LLVM vectorizes; the
// padding's columns are zero-filled apart. Pools are loop nests over each
// output element's window: indices are clamped into the image and the
// element is masked. Either way no access leaves a tensor, whatever the
// sizes.
// max_pool2d takes the first maximal element of a window (as reduce_max
// does: a NaN wins once), and its gradient ops use the same element.
//
//===----------------------------------------------------------------------===//
#include "Loops.h"
#include "TensorFunction.h"
#include <array>
#include <limits>
#include <tuple>

using namespace nnc;
using namespace nnc::codegen;
using ir::OpKind;

namespace {

/// The sizes a window op works with: x is [N, C, H, W], the window's output
/// [N, K, P, Q] (K = C for pools), the window R x S, with strides SH, SW
/// and paddings PH, PW along the rows and the columns.
struct Geometry {
  llvm::Value *N, *C, *H, *W, *K, *P, *Q;
  int64_t R, S, SH, SW, PH, PW;
  /// conv2d and its gradients, against the pools.
  bool IsConv;
  /// Stride 1 and an output as wide as the input (padding that keeps the
  /// width): a column row's valid elements, read row after row, are x's
  /// elements at one offset, so im2col and col2im run over a run's rows
  /// as one flat range (ColumnRun::flat).
  bool Flat;
  /// A 1x1 window with stride 1 and no padding: the columns are x itself.
  bool pointwise() const {
    return R == 1 && S == 1 && SH == 1 && SW == 1 && !PH && !PW;
  }
};

Geometry getGeometry(const ir::Function &F, const ir::Op &O,
                     llvm::function_ref<llvm::Value *(const ir::Dim &)> Dim) {
  auto T = [&](unsigned I) -> const ir::Type & {
    return F.typeOf(O.Operands[I]);
  };
  const ir::Type *X = &T(0), *Out = &O.Ty, *Wt = nullptr;
  switch (O.Kind) {
  case OpKind::Conv2d:
    Wt = &T(1);
    break;
  case OpKind::Conv2dGradInput: // (dy, w) -> x
    X = &O.Ty, Wt = &T(1), Out = &T(0);
    break;
  case OpKind::Conv2dGradWeight: // (x, dy) -> w
    Wt = &O.Ty, Out = &T(1);
    break;
  case OpKind::MaxPool2dGrad: // (x, dy) -> x
    Out = &T(1);
    break;
  case OpKind::AvgPool2dGrad: // (dy) -> x
    X = &O.Ty, Out = &T(0);
    break;
  default:
    break;
  }
  const Window &Win = O.getWindow();
  const ir::Shape &XS = X->getShape(), &OS = Out->getShape();
  Geometry G;
  G.N = Dim(XS[0]), G.C = Dim(XS[1]), G.H = Dim(XS[2]), G.W = Dim(XS[3]);
  G.K = Dim(OS[1]), G.P = Dim(OS[2]), G.Q = Dim(OS[3]);
  G.IsConv = Wt != nullptr;
  G.R = Wt ? Wt->getShape()[2].Factor : Win.Kernel[0];
  G.S = Wt ? Wt->getShape()[3].Factor : Win.Kernel[1];
  G.SH = Win.Stride[0], G.SW = Win.Stride[1];
  G.PH = Win.Pad[0], G.PW = Win.Pad[1];
  G.Flat = G.IsConv && G.SH == 1 && G.SW == 1 && XS[3] == OS[3];
  return G;
}

int64_t elementBytes(ElementKind K) { return K == ElementKind::F32 ? 4 : 8; }

/// The kernel's operands for one image's product, for sizing its scratch.
struct ProductShape {
  llvm::Value *M, *N, *Inner;
  bool CopiesA;
};

ProductShape getProduct(OpKind K, const Geometry &G, llvm::Value *CRS,
                        llvm::Value *PQ) {
  switch (K) {
  case OpKind::Conv2d:
    return {G.K, PQ, CRS, false};
  case OpKind::Conv2dGradInput: // w read transposed: copied by the kernel
    return {CRS, PQ, G.K, true};
  default: // Conv2dGradWeight, transposed: dw^T = cols @ dy[n]^T
    return {CRS, G.K, PQ, false};
  }
}

} // namespace

void TensorFunctionEmitter::sizeWindowScratch(ShapeEnv &SE, const ir::Op &O,
                                              llvm::Value *&GemmBytes,
                                              llvm::Value *&ColumnBytes) {
  if (O.Kind != OpKind::Conv2d && O.Kind != OpKind::Conv2dGradInput &&
      O.Kind != OpKind::Conv2dGradWeight)
    return;
  Geometry G = getGeometry(F, O, [&](const ir::Dim &D) { return SE.get(D); });
  ElementKind K = O.Ty.getElementKind();
  llvm::Value *CRS = SE.mul(G.C, B.getInt64(G.R * G.S));
  llvm::Value *PQ = SE.mul(G.P, G.Q);
  // The columns of one image, and for the weight gradient one image's
  // [K, C*R*S] product before it is added to the sum.
  llvm::Value *Elements =
      G.pointwise() ? B.getInt64(0) : SE.mul(CRS, PQ);
  // The weight gradient's one image's product and the sum of the
  // products, both [C*R*S, K].
  if (O.Kind == OpKind::Conv2dGradWeight)
    Elements = SE.add(Elements, SE.mul(B.getInt64(2), SE.mul(G.K, CRS)));
  llvm::Value *Bytes =
      SE.alignTo(SE.mul(Elements, B.getInt64(elementBytes(K))), 64);
  ColumnBytes =
      B.CreateBinaryIntrinsic(llvm::Intrinsic::umax, ColumnBytes, Bytes);
  ProductShape P = getProduct(O.Kind, G, CRS, PQ);
  GemmBytes = B.CreateBinaryIntrinsic(
      llvm::Intrinsic::umax, GemmBytes,
      emitGemmScratchBytes(B, gemmConfig(K), K, P.M, P.N, P.Inner,
                           B.getInt1(P.CopiesA)));
}

void TensorFunctionEmitter::emitWindowOp(const ir::Op &O, llvm::Value *Out) {
  if (O.Kind == OpKind::Conv2d || O.Kind == OpKind::Conv2dGradInput ||
      O.Kind == OpKind::Conv2dGradWeight)
    return emitConv(O, Out);
  return emitPool(O, Out);
}

namespace {

/// The output positions p whose input row p*Stride + Off lies in [0, N):
/// [Lo, Hi) with Lo a constant (Off is one: the window row or column less
/// the padding), Hi at run time, Lo <= Hi <= P.
std::pair<llvm::Value *, llvm::Value *>
insideRange(llvm::IRBuilder<> &B, int64_t Off, int64_t Stride, llvm::Value *N,
            llvm::Value *P) {
  // p*Stride + Off >= 0  <=>  p >= ceil(-Off / Stride).
  int64_t Lo = Off >= 0 ? 0 : (-Off + Stride - 1) / Stride;
  // p*Stride + Off <= N - 1  <=>  p <= floor((N - 1 - Off) / Stride).
  llvm::Value *Num = B.CreateSub(N, B.getInt64(1 + Off));
  llvm::Value *Hi = B.CreateSelect(
      B.CreateICmpSLT(Num, B.getInt64(0)), B.getInt64(0),
      B.CreateAdd(B.CreateSDiv(Num, B.getInt64(Stride)), B.getInt64(1)));
  Hi = B.CreateBinaryIntrinsic(llvm::Intrinsic::smin, Hi, P);
  llvm::Value *LoV =
      B.CreateBinaryIntrinsic(llvm::Intrinsic::smin, B.getInt64(Lo), Hi);
  return {LoV, Hi};
}

/// For each channel c < \p C and window position (r, s) (unrolled: the
/// window is a constant), calls \p Body with the row (c*R + r)*S + s of the
/// column matrix, the offsets r - PH and s - PW, and the ranges of output
/// rows [PLo, PHi) and columns [QLo, QHi) whose input lies inside the
/// image: outside them, the window reads padding. No index is clamped or
/// masked, so the loops over q are plain strided copies.
struct ColumnRun {
  llvm::Value *Ch, *Row;
  int64_t DH, DW; // r - PH, s - PW
  llvm::Value *PLo, *PHi, *QLo, *QHi;
  /// With Geometry::Flat: the flat positions p*Q + q of the run from its
  /// first valid element to its last, [Begin, End) (empty when none is),
  /// and the offset from a flat position to x's element in the channel:
  /// within the range the positions in the padding (q outside [QLo,
  /// QHi)) fall on other elements of the channel, never outside it, since
  /// the map is increasing and both ends are valid.
  std::array<llvm::Value *, 3> flat(llvm::IRBuilder<> &B,
                                    const Geometry &G) const {
    llvm::Value *Begin = B.CreateNSWAdd(B.CreateNSWMul(PLo, G.Q), QLo);
    llvm::Value *Last = B.CreateNSWAdd(
        B.CreateNSWMul(B.CreateNSWSub(PHi, B.getInt64(1)), G.Q), QHi);
    llvm::Value *Any =
        B.CreateAnd(B.CreateICmpSLT(PLo, PHi), B.CreateICmpSLT(QLo, QHi));
    llvm::Value *Off =
        B.CreateNSWAdd(B.CreateNSWMul(B.getInt64(DH), G.W), B.getInt64(DW));
    return {Begin, B.CreateSelect(Any, Last, Begin), Off};
  }
};

void forEachColumn(llvm::IRBuilder<> &B, const Geometry &G, llvm::Value *C,
                   llvm::function_ref<void(const ColumnRun &)> Body) {
  emitLoop(
      B, C,
      [&](llvm::Value *Ch) {
        for (int64_t R = 0; R < G.R; ++R)
          for (int64_t S = 0; S < G.S; ++S) {
            ColumnRun Run;
            Run.Ch = Ch;
            Run.Row = B.CreateNSWAdd(B.CreateNSWMul(Ch, B.getInt64(G.R * G.S)),
                                     B.getInt64(R * G.S + S));
            Run.DH = R - G.PH, Run.DW = S - G.PW;
            std::tie(Run.PLo, Run.PHi) = insideRange(B, Run.DH, G.SH, G.H, G.P);
            std::tie(Run.QLo, Run.QHi) = insideRange(B, Run.DW, G.SW, G.W, G.Q);
            Body(Run);
          }
      },
      "c");
}

} // namespace

void TensorFunctionEmitter::emitConv(const ir::Op &O, llvm::Value *Out) {
  Geometry G = getGeometry(F, O, [&](const ir::Dim &D) { return dim(D); });
  ElementKind K = O.Ty.getElementKind();
  llvm::Type *ET = S.storageType(K);
  auto Mul = [&](llvm::Value *X, llvm::Value *Y) {
    return B.CreateNSWMul(X, Y);
  };
  auto At = [&](llvm::Value *P, llvm::Value *Off) {
    return B.CreateInBoundsGEP(ET, P, Off);
  };
  llvm::Value *One = B.getInt64(1);
  llvm::Value *CRS = Mul(G.C, B.getInt64(G.R * G.S)), *PQ = Mul(G.P, G.Q);
  llvm::Value *XImage = Mul(G.C, Mul(G.H, G.W)), *YImage = Mul(G.K, PQ);
  llvm::Value *Cols = Shapes.copyPointer(WindowScratch);
  llvm::Value *Scratch = Shapes.copyPointer(GemmScratch);
  llvm::Function *Gemm = getGemmFunction(LM, K, gemmConfig(K), Contract);
  auto Product = [&](llvm::Value *M, llvm::Value *N, llvm::Value *Inner,
                     llvm::Value *A, llvm::Value *RsA, llvm::Value *CsA,
                     llvm::Value *Bm, llvm::Value *RsB, llvm::Value *CsB,
                     llvm::Value *C, llvm::Value *Ldc) {
    B.CreateCall(Gemm, {M, N, Inner, A, RsA, CsA, Bm, RsB, CsB, C, Ldc,
                        Scratch});
  };
  // cols = im2col(x[n]), or x[n] itself for a pointwise window.
  // The input element of output position (P, Q) in a run: x[c, P*SH + DH,
  // Q*SW + DW] of image XN, and the column element.
  auto XIndex = [&](const ColumnRun &Run, llvm::Value *P, llvm::Value *Q) {
    llvm::Value *H =
        B.CreateNSWAdd(Mul(P, B.getInt64(G.SH)), B.getInt64(Run.DH));
    llvm::Value *Wd =
        B.CreateNSWAdd(Mul(Q, B.getInt64(G.SW)), B.getInt64(Run.DW));
    return B.CreateNSWAdd(Mul(B.CreateNSWAdd(Mul(Run.Ch, G.H), H), G.W), Wd);
  };
  auto ColIndex = [&](const ColumnRun &Run, llvm::Value *P, llvm::Value *Q) {
    return B.CreateNSWAdd(Mul(Run.Row, PQ), B.CreateNSWAdd(Mul(P, G.Q), Q));
  };
  // cols = im2col(x[n]), or x[n] itself for a pointwise window: rows and
  // columns in the padding are zeros, the rest strided copies.
  auto Im2Col = [&](llvm::Value *XN) -> llvm::Value * {
    if (G.pointwise())
      return XN;
    llvm::Value *Zero0 = elemConst(K, 0), *Z = B.getInt64(0);
    forEachColumn(B, G, G.C, [&](const ColumnRun &Run) {
      auto ZeroRows = [&](llvm::Value *From, llvm::Value *To) {
        emitLoop(B, Mul(From, G.Q), Mul(To, G.Q), 1, [&](llvm::Value *I) {
          S.store(K, Zero0, Cols, B.CreateNSWAdd(Mul(Run.Row, PQ), I));
        });
      };
      ZeroRows(Z, Run.PLo);
      if (G.Flat) {
        // One copy over the run's rows; the padding's columns are
        // overwritten with zeros below.
        auto [Begin, End, Off] = Run.flat(B, G);
        llvm::Value *XC = Mul(Run.Ch, Mul(G.H, G.W)), *CR = Mul(Run.Row, PQ);
        emitLoop(
            B, Begin, End, 1,
            [&](llvm::Value *I) {
              S.store(K,
                      S.load(K, XN, B.CreateNSWAdd(XC, B.CreateNSWAdd(I, Off))),
                      Cols, B.CreateNSWAdd(CR, I));
            },
            "i");
      }
      emitLoop(
          B, Run.PLo, Run.PHi, 1,
          [&](llvm::Value *P) {
            auto ZeroCols = [&](llvm::Value *From, llvm::Value *To) {
              emitLoop(B, From, To, 1, [&](llvm::Value *Q) {
                S.store(K, Zero0, Cols, ColIndex(Run, P, Q));
              });
            };
            ZeroCols(Z, Run.QLo);
            if (G.Flat) {
              ZeroCols(Run.QHi, G.Q);
              return;
            }
            emitLoop(
                B, Run.QLo, Run.QHi, 1,
                [&](llvm::Value *Q) {
                  S.store(K, S.load(K, XN, XIndex(Run, P, Q)), Cols,
                          ColIndex(Run, P, Q));
                },
                "q");
            ZeroCols(Run.QHi, G.Q);
          },
          "p");
      ZeroRows(Run.PHi, G.P);
    });
    return Cols;
  };
  auto Zero = [&](llvm::Value *P, llvm::Value *Elements) {
    B.CreateMemSet(P, B.getInt8(0), Mul(Elements, B.getInt64(elementBytes(K))),
                   llvm::MaybeAlign(elementBytes(K)));
  };

  switch (O.Kind) {
  case OpKind::Conv2d: {
    llvm::Value *X = pointerTo(O.Operands[0]), *Wt = pointerTo(O.Operands[1]);
    emitLoop(
        B, G.N,
        [&](llvm::Value *N) {
          llvm::Value *C = Im2Col(At(X, Mul(N, XImage)));
          llvm::Value *YN = At(Out, Mul(N, YImage));
          // y[n] = w [K, CRS] @ cols [CRS, PQ]
          Product(G.K, PQ, CRS, Wt, CRS, One, C, PQ, One, YN, PQ);
        },
        "n");
    return;
  }
  case OpKind::Conv2dGradInput: {
    llvm::Value *DY = pointerTo(O.Operands[0]), *Wt = pointerTo(O.Operands[1]);
    emitLoop(
        B, G.N,
        [&](llvm::Value *N) {
          llvm::Value *DX = At(Out, Mul(N, XImage));
          llvm::Value *DYN = At(DY, Mul(N, YImage));
          // cols = w^T [CRS, K] @ dy[n] [K, PQ], w read with swapped
          // strides; pointwise, cols is dx[n] itself.
          llvm::Value *C = G.pointwise() ? DX : Cols;
          Product(CRS, PQ, G.K, Wt, One, CRS, DYN, PQ, One, C, PQ);
          if (G.pointwise())
            return;
          // col2im: every column element adds into the input element it
          // was copied from; padding receives nothing.
          Zero(DX, XImage);
          forEachColumn(B, G, G.C, [&](const ColumnRun &Run) {
            if (G.Flat) {
              // The padding's columns of the run's rows hold products
              // that belong nowhere: zeroed, the flat range adds them as
              // zeros to other elements of the channel (exact, but for
              // the sign of a zero).
              emitLoop(B, Run.PLo, Run.PHi, 1, [&](llvm::Value *P) {
                for (auto [From, To] : {std::pair<llvm::Value *, llvm::Value *>(
                                            B.getInt64(0), Run.QLo),
                                        std::pair(Run.QHi, G.Q)})
                  emitLoop(B, From, To, 1, [&](llvm::Value *Q) {
                    S.store(K, elemConst(K, 0), Cols, ColIndex(Run, P, Q));
                  });
              });
              auto [Begin, End, Off] = Run.flat(B, G);
              llvm::Value *XC = Mul(Run.Ch, Mul(G.H, G.W));
              llvm::Value *CR = Mul(Run.Row, PQ);
              emitLoop(
                  B, Begin, End, 1,
                  [&](llvm::Value *I) {
                    llvm::Value *At =
                        B.CreateNSWAdd(XC, B.CreateNSWAdd(I, Off));
                    S.store(K,
                            B.CreateFAdd(S.load(K, DX, At),
                                         S.load(K, Cols,
                                                B.CreateNSWAdd(CR, I))),
                            DX, At);
                  },
                  "i");
              return;
            }
            emitLoop(
                B, Run.PLo, Run.PHi, 1,
                [&](llvm::Value *P) {
                  emitLoop(
                      B, Run.QLo, Run.QHi, 1,
                      [&](llvm::Value *Q) {
                        llvm::Value *At = XIndex(Run, P, Q);
                        S.store(K,
                                B.CreateFAdd(S.load(K, DX, At),
                                             S.load(K, Cols,
                                                    ColIndex(Run, P, Q))),
                                DX, At);
                      },
                      "q");
                },
                "p");
          });
        },
        "n");
    return;
  }
  case OpKind::Conv2dGradWeight: {
    llvm::Value *X = pointerTo(O.Operands[0]), *DY = pointerTo(O.Operands[1]);
    // One image's product dw_n^T = cols [CRS, PQ] @ dy[n]^T [PQ, K] goes
    // after its columns, then adds into their sum, dw^T, transposed into
    // dw at the end: the kernel writes C rather than adding to it. In
    // this order the columns are A, read in place, and the kernel copies
    // dy[n] (K x PQ) rather than the columns (CRS x PQ) into its panels;
    // and CRS rows fill its row tiles better than K (288 rows in tiles
    // of 14: 98 %; 64: 91 %).
    llvm::Value *Tmp = G.pointwise() ? Cols : At(Cols, Mul(CRS, PQ));
    llvm::Value *WSize = Mul(G.K, CRS), *Sum = At(Tmp, WSize);
    Zero(Sum, WSize);
    emitLoop(
        B, G.N,
        [&](llvm::Value *N) {
          llvm::Value *C = Im2Col(At(X, Mul(N, XImage)));
          Product(CRS, G.K, PQ, C, PQ, One, At(DY, Mul(N, YImage)), One, PQ,
                  Tmp, G.K);
          emitLoop(B, WSize, [&](llvm::Value *I) {
            S.store(K, B.CreateFAdd(S.load(K, Sum, I), S.load(K, Tmp, I)),
                    Sum, I);
          });
        },
        "n");
    // dw[k, crs] = dw^T[crs, k].
    emitLoop(B, G.K, [&](llvm::Value *Kk) {
      emitLoop(B, CRS, [&](llvm::Value *J) {
        S.store(K, S.load(K, Sum, B.CreateNSWAdd(Mul(J, G.K), Kk)), Out,
                B.CreateNSWAdd(Mul(Kk, CRS), J));
      });
    });
    return;
  }
  default:
    llvm_unreachable("not a convolution");
  }
}

void TensorFunctionEmitter::emitPool(const ir::Op &O, llvm::Value *Out) {
  Geometry G = getGeometry(F, O, [&](const ir::Dim &D) { return dim(D); });
  ElementKind K = O.Ty.getElementKind();
  auto Mul = [&](llvm::Value *X, llvm::Value *Y) {
    return B.CreateNSWMul(X, Y);
  };
  auto Add = [&](llvm::Value *X, llvm::Value *Y) {
    return B.CreateNSWAdd(X, Y);
  };
  llvm::Value *HW = Mul(G.H, G.W), *PQ = Mul(G.P, G.Q);
  llvm::Value *Planes = Mul(G.N, G.C);
  llvm::Value *Area = elemConst(K, double(G.R * G.S));
  bool IsMax = O.Kind == OpKind::MaxPool2d || O.Kind == OpKind::MaxPool2dGrad ||
               O.Kind == OpKind::MaxPool2dGather;
  bool ToInput =
      O.Kind == OpKind::MaxPool2dGrad || O.Kind == OpKind::AvgPool2dGrad;
  // x (read for its maxima or averaged), and the values routed: g for
  // gather, dy for the gradients.
  llvm::Value *X = O.Kind == OpKind::AvgPool2dGrad ? nullptr
                                                   : pointerTo(O.Operands[0]);
  llvm::Value *Routed = O.Kind == OpKind::MaxPool2dGrad ||
                                O.Kind == OpKind::MaxPool2dGather
                            ? pointerTo(O.Operands[1])
                        : O.Kind == OpKind::AvgPool2dGrad
                            ? pointerTo(O.Operands[0])
                            : nullptr;
  // Windows that do not overlap (no padding, stride at least the window):
  // max_pool2d_grad writes each window's positions once, dy where the
  // maximum is and 0 elsewhere, instead of adding into a zeroed gradient,
  // whose loads and stores through the same pointer did not vectorize
  // (4.2 ms for the first layer of examples/fashion_cnn.nn; see
  // docs/performance.md). Only the positions no window covers are zeroed.
  bool Disjoint = O.Kind == OpKind::MaxPool2dGrad && !G.PH && !G.PW &&
                  G.SH >= G.R && G.SW >= G.S;
  if (ToInput) {
    llvm::Value *Bytes = Mul(Mul(Planes, HW), B.getInt64(elementBytes(K)));
    auto Zero = [&] {
      B.CreateMemSet(Out, B.getInt8(0), Bytes,
                     llvm::MaybeAlign(elementBytes(K)));
    };
    if (!Disjoint || G.SH != G.R || G.SW != G.S) {
      Zero();
    } else {
      // The windows tile the image unless its extents are not multiples
      // of the stride.
      llvm::Value *Tiled =
          B.CreateAnd(B.CreateICmpEQ(Mul(G.P, B.getInt64(G.SH)), G.H),
                      B.CreateICmpEQ(Mul(G.Q, B.getInt64(G.SW)), G.W));
      llvm::Function *Fn = B.GetInsertBlock()->getParent();
      auto *Fill = llvm::BasicBlock::Create(B.getContext(), "pool.zero", Fn);
      auto *Join = llvm::BasicBlock::Create(B.getContext(), "pool.body", Fn);
      B.CreateCondBr(Tiled, Join, Fill);
      B.SetInsertPoint(Fill);
      Zero();
      B.CreateBr(Join);
      B.SetInsertPoint(Join);
    }
  }
  // The window is a constant: its positions are unrolled, the running
  // maximum or sum kept in registers. Without padding every position of
  // every window is inside the image (the output extents round down), so
  // only padded pools clamp and mask.
  bool Masked = G.PH || G.PW;
  // 2x2 windows of stride 2 without padding, by far the most common pool:
  // a row of windows at a time in vectors (emitMaxPoolPairs), as the loop
  // over single windows did not vectorize (its loads are strided).
  bool PairsVectorized =
      (O.Kind == OpKind::MaxPool2d || O.Kind == OpKind::MaxPool2dGrad) &&
      G.R == 2 && G.S == 2 && G.SH == 2 && G.SW == 2 && !G.PH && !G.PW;
  int64_t Lanes = std::max<int64_t>(
      2, Vectors.Bits / (16 * int64_t(getElementSize(K))));
  emitLoop(
      B, Planes,
      [&](llvm::Value *Plane) {
        llvm::Value *XBase = Mul(Plane, HW), *OBase = Mul(Plane, PQ);
        emitLoop(
            B, G.P,
            [&](llvm::Value *P) {
              if (PairsVectorized) {
                emitLoop(
                    B, B.getInt64(0), G.Q, Lanes,
                    [&](llvm::Value *Q) {
                      emitMaxPoolPairs(O, X, Routed, Out, Lanes,
                                       Add(XBase, Mul(Mul(P, B.getInt64(2)),
                                                      G.W)),
                                       G.W, Add(OBase, Mul(P, G.Q)), Q, G.Q);
                    },
                    "q");
                return;
              }
              emitLoop(
                  B, G.Q,
                  [&](llvm::Value *Q) {
                    llvm::Value *OI = Add(OBase, Add(Mul(P, G.Q), Q));
                    // avg_pool2d_grad: each position gets dy / area.
                    llvm::Value *Share =
                        O.Kind == OpKind::AvgPool2dGrad
                            ? B.CreateFDiv(S.load(K, Routed, OI), Area)
                            : nullptr;
                    // Each position of the window: its input offset, its
                    // value and whether it lies inside the image (null:
                    // always).
                    struct Position {
                      llvm::Value *At, *V, *Valid;
                    };
                    llvm::SmallVector<Position, 16> Window;
                    for (int64_t R = 0; R < G.R; ++R) {
                      llvm::Value *H = B.CreateAdd(Mul(P, B.getInt64(G.SH)),
                                                   B.getInt64(R - G.PH));
                      llvm::Value *HIn = nullptr;
                      if (Masked) {
                        HIn = B.CreateICmpULT(H, G.H);
                        H = B.CreateSelect(HIn, H, B.getInt64(0));
                      }
                      llvm::Value *XRow = Add(XBase, Mul(H, G.W));
                      for (int64_t Sx = 0; Sx < G.S; ++Sx) {
                        llvm::Value *Wd = B.CreateAdd(Mul(Q, B.getInt64(G.SW)),
                                                      B.getInt64(Sx - G.PW));
                        llvm::Value *Valid = nullptr;
                        if (Masked) {
                          Valid = B.CreateAnd(HIn, B.CreateICmpULT(Wd, G.W));
                          Wd = B.CreateSelect(Valid, Wd, B.getInt64(0));
                        }
                        llvm::Value *At = Add(XRow, Wd);
                        Window.push_back(
                            {At, X ? S.load(K, X, At) : nullptr, Valid});
                      }
                    }
                    auto IfValid = [&](const Position &Pos, llvm::Value *Then,
                                       llvm::Value *Else) {
                      return Pos.Valid ? B.CreateSelect(Pos.Valid, Then, Else)
                                       : Then;
                    };
                    if (O.Kind == OpKind::AvgPool2dGrad) {
                      for (const Position &Pos : Window) {
                        llvm::Value *Old = S.load(K, Out, Pos.At);
                        S.store(K, IfValid(Pos, B.CreateFAdd(Old, Share), Old),
                                Out, Pos.At);
                      }
                      return;
                    }
                    if (!IsMax) {
                      llvm::Value *Sum = elemConst(K, 0);
                      for (const Position &Pos : Window)
                        Sum = IfValid(Pos, B.CreateFAdd(Sum, Pos.V), Sum);
                      S.store(K, B.CreateFDiv(Sum, Area), Out, OI);
                      return;
                    }
                    // The maximum, as reduce_max finds it: strictly better
                    // values replace it, a NaN wins once. Every window
                    // holds a position of the image (padding is at most
                    // half the window), which starts it.
                    llvm::Value *Best = nullptr, *Started = B.getFalse();
                    for (const Position &Pos : Window) {
                      if (!Best) {
                        Best = Pos.V;
                        Started = Pos.Valid ? Pos.Valid : B.getTrue();
                        continue;
                      }
                      llvm::Value *Take = isBetter(B, K, Pos.V, Best, true);
                      if (Pos.Valid)
                        Take = B.CreateAnd(Pos.Valid,
                                           B.CreateOr(B.CreateNot(Started),
                                                      Take));
                      Best = B.CreateSelect(Take, Pos.V, Best);
                      Started = Pos.Valid ? B.CreateOr(Started, Pos.Valid)
                                          : B.getTrue();
                    }
                    if (O.Kind == OpKind::MaxPool2d) {
                      S.store(K, Best, Out, OI);
                      return;
                    }
                    // The routing ops: the first position holding the
                    // maximum (the first NaN when it is NaN) is the one
                    // isBetter kept. Found by comparing values, with
                    // selects of floats only: selecting its offset became
                    // unpredictable branches, twelve times slower.
                    llvm::Value *BestNaN = B.CreateFCmpUNO(Best, Best);
                    llvm::Value *Found = B.getFalse();
                    llvm::Value *Picked = elemConst(K, 0);
                    llvm::Value *Dy = O.Kind == OpKind::MaxPool2dGrad
                                          ? S.load(K, Routed, OI)
                                          : nullptr;
                    for (const Position &Pos : Window) {
                      llvm::Value *Same = B.CreateOr(
                          B.CreateFCmpOEQ(Pos.V, Best),
                          B.CreateAnd(BestNaN, B.CreateFCmpUNO(Pos.V, Pos.V)));
                      llvm::Value *Hit = B.CreateAnd(Same, B.CreateNot(Found));
                      if (Pos.Valid)
                        Hit = B.CreateAnd(Hit, Pos.Valid);
                      Found = B.CreateOr(Found, Hit);
                      if (Dy && Disjoint) {
                        // 0 + dy, as adding into the zeroed gradient gave
                        // (-0 becomes +0).
                        llvm::Value *Zero = elemConst(K, 0);
                        S.store(K,
                                B.CreateSelect(Hit, B.CreateFAdd(Zero, Dy),
                                               Zero),
                                Out, Pos.At);
                      } else if (Dy) {
                        llvm::Value *Old = S.load(K, Out, Pos.At);
                        S.store(K, B.CreateSelect(Hit, B.CreateFAdd(Old, Dy),
                                                  Old),
                                Out, Pos.At);
                      } else {
                        Picked = B.CreateSelect(
                            Hit, S.load(K, Routed, Pos.At), Picked);
                      }
                    }
                    if (!Dy)
                      S.store(K, Picked, Out, OI);
                  },
                  "q");
            },
            "p");
      },
      "plane");
}

void TensorFunctionEmitter::emitMaxPoolPairs(const ir::Op &O, llvm::Value *X,
                                             llvm::Value *Dy, llvm::Value *Out,
                                             int64_t Lanes, llvm::Value *XRow,
                                             llvm::Value *W, llvm::Value *ORow,
                                             llvm::Value *Q0,
                                             llvm::Value *Q) {
  ElementKind K = O.Ty.getElementKind();
  llvm::Type *Elem = S.type(K);
  auto *Half = llvm::FixedVectorType::get(Elem, Lanes);
  auto *Full = llvm::FixedVectorType::get(Elem, 2 * Lanes);
  llvm::Align Al(getElementSize(K));
  // The windows Q0 .. min(Q0 + Lanes, Q) - 1: masked lanes past the end of
  // the row, so no access leaves the tensor and no scalar tail is needed.
  llvm::Value *Left = B.CreateSub(Q, Q0);
  auto LaneMask = [&](unsigned N, llvm::Value *Limit) {
    llvm::SmallVector<llvm::Constant *, 32> Iota;
    for (unsigned I = 0; I < N; ++I)
      Iota.push_back(B.getInt64(I));
    return B.CreateICmpSLT(llvm::ConstantVector::get(Iota),
                           B.CreateVectorSplat(N, Limit));
  };
  llvm::Value *HalfMask = LaneMask(Lanes, Left);
  llvm::Value *FullMask = LaneMask(2 * Lanes, B.CreateShl(Left, 1));
  llvm::SmallVector<int, 32> Even, Odd, Zip;
  for (int I = 0; I < Lanes; ++I) {
    Even.push_back(2 * I);
    Odd.push_back(2 * I + 1);
    Zip.push_back(I);
    Zip.push_back(I + Lanes);
  }
  auto At = [&](llvm::Value *Base, llvm::Value *Offset) {
    return B.CreateInBoundsGEP(Elem, Base, Offset);
  };
  // Rows 2p and 2p + 1 of the input, each split into the windows' left and
  // right columns: the positions (0, 0), (0, 1), (1, 0), (1, 1) in the
  // scalar loop's order.
  llvm::Value *Start = B.CreateShl(Q0, 1);
  llvm::Value *RowAt[2] = {B.CreateNSWAdd(XRow, Start),
                           B.CreateNSWAdd(B.CreateNSWAdd(XRow, Start), W)};
  llvm::Value *Win[4];
  llvm::Value *Zero = llvm::Constant::getNullValue(Full);
  for (int R = 0; R < 2; ++R) {
    llvm::Value *V = B.CreateMaskedLoad(Full, At(X, RowAt[R]), Al, FullMask,
                                        Zero);
    Win[2 * R] = B.CreateShuffleVector(V, Even);
    Win[2 * R + 1] = B.CreateShuffleVector(V, Odd);
  }
  // The maximum as the scalar loop finds it (isBetter: strictly greater,
  // or the first NaN).
  llvm::Value *Best = Win[0];
  for (int I = 1; I < 4; ++I)
    Best = B.CreateSelect(isBetter(B, K, Win[I], Best, true), Win[I], Best);
  llvm::Value *OutAt = B.CreateNSWAdd(ORow, Q0);
  if (O.Kind == OpKind::MaxPool2d) {
    B.CreateMaskedStore(Best, At(Out, OutAt), Al, HalfMask);
    return;
  }
  // max_pool2d_grad: dy at the first position holding the maximum (the
  // first NaN when it is NaN), 0 + dy as adding into zeros gave; 0 at the
  // others.
  llvm::Value *G = B.CreateMaskedLoad(Half, At(Dy, OutAt), Al, HalfMask,
                                      llvm::Constant::getNullValue(Half));
  llvm::Value *ZeroHalf = llvm::Constant::getNullValue(Half);
  llvm::Value *Routed = B.CreateFAdd(ZeroHalf, G);
  llvm::Value *BestNaN = B.CreateFCmpUNO(Best, Best);
  llvm::Value *Found = llvm::Constant::getNullValue(
      llvm::FixedVectorType::get(B.getInt1Ty(), Lanes));
  llvm::Value *Val[4];
  for (int I = 0; I < 4; ++I) {
    llvm::Value *Same =
        B.CreateOr(B.CreateFCmpOEQ(Win[I], Best),
                   B.CreateAnd(BestNaN, B.CreateFCmpUNO(Win[I], Win[I])));
    llvm::Value *Hit = B.CreateAnd(Same, B.CreateNot(Found));
    Found = B.CreateOr(Found, Hit);
    Val[I] = B.CreateSelect(Hit, Routed, ZeroHalf);
  }
  for (int R = 0; R < 2; ++R)
    B.CreateMaskedStore(B.CreateShuffleVector(Val[2 * R], Val[2 * R + 1], Zip),
                        At(Out, RowAt[R]), Al, FullMask);
}
