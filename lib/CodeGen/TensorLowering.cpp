//===- TensorLowering.cpp - Tensor ops as loop nests ----------------------===//
//
// Each tensor op writes its result into memory the workspace plan gave it.
// Inner loops run over contiguous memory where the op allows, so LLVM's
// vectorizer can use them (element-wise ops are one flat loop; an integer
// matmul is a blocked i-k-j nest whose inner loop is a row of B and of C,
// a floating-point one calls the module's kernel, Gemm.h). Sums add in
// a fixed order (index order along one axis; sum_to, SumToLowering.cpp, as
// a chain of those), so results do not depend on the machine (with
// --fp-model=strict). Ops along an axis view their operand as (outer,
// axis, inner).
//
//===----------------------------------------------------------------------===//
#include "Loops.h"
#include "TensorFunction.h"
#include "llvm/ADT/DenseMap.h"
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>

using namespace nnc;
using namespace nnc::codegen;
using ir::OpKind;
using ir::ValueId;

/// Block sizes of the matmul nest: a block of B (KBlock rows of NBlock
/// elements) is reused by every row of A while it is in cache.
static constexpr int64_t NBlock = 256, KBlock = 128;

llvm::Value *TensorFunctionEmitter::pointerTo(ValueId V) {
  const ir::Type &T = F.typeOf(V);
  if (T.isTensor())
    return Shapes.copyPointer(Vals[V][0]);
  llvm::AllocaInst *A = entryAlloca(S.storageType(T.getElementKind()));
  S.store(T.getElementKind(), Vals[V][0], A, B.getInt64(0));
  return A;
}

std::array<llvm::Value *, 3>
TensorFunctionEmitter::aroundAxis(const ir::Type &T, unsigned Axis) {
  const ir::Shape &Sh = T.getShape();
  return {dim(getExtent(Sh, 0, Axis)), dim(Sh[Axis]),
          dim(getExtent(Sh, Axis + 1, Sh.size()))};
}

llvm::SmallVector<llvm::Value *, 4>
TensorFunctionEmitter::strides(const ir::Type &T) {
  llvm::SmallVector<llvm::Value *, 4> R;
  for (unsigned K = 0; K < T.getRank(); ++K)
    R.push_back(dim(getExtent(T.getShape(), K + 1, T.getRank())));
  return R;
}

/// An integer element held in a double (tensor data holds integers exactly
/// up to 2^53), saturated: 2^63 does not fit an int64_t.
static int64_t toInt64(double V) {
  if (!(V > -9223372036854775808.0))
    return V != V ? 0 : INT64_MIN;
  if (V >= 9223372036854775808.0)
    return INT64_MAX;
  return static_cast<int64_t>(V);
}

llvm::Value *TensorFunctionEmitter::elemConst(ElementKind K, double V) {
  // The integer value only for integer kinds: a float (-inf, say) need
  // not fit an int64_t.
  return S.constant(K, V, isFloatKind(K) ? 0 : toInt64(V));
}

static llvm::Value *addElems(llvm::IRBuilder<> &B, ElementKind K,
                             llvm::Value *X, llvm::Value *Y) {
  if (isFloatKind(K))
    return B.CreateFAdd(X, Y);
  return K == ElementKind::Bool ? B.CreateOr(X, Y) : B.CreateAdd(X, Y);
}

static llvm::Value *mulElems(llvm::IRBuilder<> &B, ElementKind K,
                             llvm::Value *X, llvm::Value *Y) {
  return isFloatKind(K) ? B.CreateFMul(X, Y) : B.CreateMul(X, Y);
}

/// The identity of max (Lowest) or min: -inf/+inf, or the integer bounds.
static double extremeOf(ElementKind K, bool Lowest) {
  double Inf = std::numeric_limits<double>::infinity();
  if (isFloatKind(K))
    return Lowest ? -Inf : Inf;
  return 0; // integers use intExtremeOf
}

static int64_t intExtremeOf(ElementKind K, bool Lowest) {
  if (K == ElementKind::I32)
    return Lowest ? INT32_MIN : INT32_MAX;
  return Lowest ? INT64_MIN : INT64_MAX;
}

/// Whether \p X replaces the running maximum (Greater) or minimum \p Best:
/// strictly better, so ties keep the first index; a NaN wins once, so it
/// propagates and argmax finds the first one, as NumPy does.
llvm::Value *codegen::isBetter(llvm::IRBuilder<> &B, ElementKind K,
                               llvm::Value *X, llvm::Value *Best,
                               bool Greater) {
  if (!isFloatKind(K))
    return Greater ? B.CreateICmpSGT(X, Best) : B.CreateICmpSLT(X, Best);
  llvm::Value *Strict =
      Greater ? B.CreateFCmpOGT(X, Best) : B.CreateFCmpOLT(X, Best);
  llvm::Value *FirstNaN =
      B.CreateAnd(B.CreateFCmpUNO(X, X), B.CreateFCmpORD(Best, Best));
  return B.CreateOr(Strict, FirstNaN);
}

void TensorFunctionEmitter::emitOp(ValueId I) {
  const ir::Op &O = F.Ops[I];
  ElementKind K = O.Ty.isLeaf() ? O.Ty.getElementKind() : ElementKind::F64;
  if (Fusion.View[I]) {
    // Its users read the operand (FusionPlan.h).
    Vals[I] = {Vals[O.Operands[0]][0]};
    return;
  }
  if (Fusion.Fused[I]) {
    // Computed in its user's loop (emitElementwise), which also writes it
    // to its storage when it is Stored.
    if (Fusion.Stored[I])
      Vals[I] = {Storage[I]};
    return;
  }
  switch (O.Kind) {
  case OpKind::Param:
    return;
  case OpKind::Const:
    Vals[I] = {O.Ty.isTensor() ? emitTensorConstant(O)
                               : S.constant(K, O.FloatValue, O.IntValue)};
    return;
  case OpKind::Tuple:
    for (ValueId E : O.Operands)
      Vals[I].append(Vals[E].begin(), Vals[E].end());
    return;
  case OpKind::Extract: {
    const ir::Type &T = F.typeOf(O.Operands[0]);
    unsigned Start = 0;
    for (unsigned J = 0; J < O.getIndex(); ++J)
      Start += flattenLeaves(T.getElements()[J]).size();
    const Leaves &Src = Vals[O.Operands[0]];
    Vals[I] = Leaves(Src.begin() + Start,
                     Src.begin() + Start + flattenLeaves(O.Ty).size());
    return;
  }
  case OpKind::Call: {
    std::vector<llvm::Value *> Args;
    for (ValueId A : O.Operands)
      Args.push_back(Vals[A][0]);
    Vals[I] = S.call(Functions.lookup(O.Callee), Args, O.Ty);
    return;
  }
  case OpKind::Reshape: {
    // Same elements in the same order: an alias, never a copy (and not the
    // pointer private to this op, which later ops must not use).
    ValueId X = O.Operands[0];
    llvm::Value *P = F.typeOf(X).isTensor() ? Vals[X][0] : pointerTo(X);
    Vals[I] = {O.Ty.isTensor() ? P : S.load(K, P, B.getInt64(0))};
    return;
  }
  case OpKind::DimValue:
    Vals[I] = {dim(O.getDim())};
    return;
  case OpKind::Select:
    if (O.Ty.isTuple()) {
      // One condition picks whole values: pointers for tensor leaves.
      const Leaves &X = Vals[O.Operands[1]], &Y = Vals[O.Operands[2]];
      for (size_t J = 0; J < X.size(); ++J)
        Vals[I].push_back(B.CreateSelect(Vals[O.Operands[0]][0], X[J], Y[J]));
      return;
    }
    break;
  default:
    break;
  }
  bool AllScalar = O.Ty.isScalar();
  for (ValueId V : O.Operands)
    AllScalar &= F.typeOf(V).isScalar();
  if (AllScalar && ScalarOps::isElementwise(O.Kind)) {
    std::vector<llvm::Value *> Args;
    for (ValueId V : O.Operands)
      Args.push_back(Vals[V][0]);
    Vals[I] = {S.elementwise(O.Kind, F.typeOf(O.Operands[0]).getElementKind(),
                             K, Args)};
    return;
  }
  // A tensor op with a scalar result (a full reduction, a dot product)
  // writes it to the stack.
  llvm::Value *Out = O.Ty.isTensor() ? Shapes.copyPointer(Storage[I])
                                     : entryAlloca(S.storageType(K));
  emitTensorOp(O, Out);
  Vals[I] = {O.Ty.isTensor() ? Storage[I] : S.load(K, Out, B.getInt64(0))};
}

void TensorFunctionEmitter::emitTensorOp(const ir::Op &O, llvm::Value *Out) {
  if (ScalarOps::isElementwise(O.Kind))
    return emitElementwise(O, Out);
  switch (O.Kind) {
  case OpKind::Broadcast:
    return emitBroadcast(O, Out);
  case OpKind::SumTo:
    return emitSumTo(O, Out);
  case OpKind::Transpose:
    return emitTranspose(O, Out);
  case OpKind::MatMul:
    return emitMatMul(O, Out);
  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return emitReduce(O, Out);
  case OpKind::ArgMax:
    return emitArgMax(O, Out);
  case OpKind::LogSumExp:
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
    return emitSoftmaxFamily(O, Out);
  case OpKind::OneHot:
    return emitOneHot(O, Out);
  case OpKind::Pick:
    return emitPick(O, Out);
  case OpKind::Iota:
    return emitIota(O, Out);
  case OpKind::Rand:
  case OpKind::Randn:
    return emitRandom(O, Out);
  // Indexing and structural ops (issue 12, tensorops): IndexLowering.cpp.
  case OpKind::Slice:
  case OpKind::Unslice:
    return emitSlice(O, Out);
  case OpKind::Concat:
    return emitConcat(O, Out);
  case OpKind::Permute:
    return emitPermute(O, Out);
  // Convolution and pooling (issue 12).
  case OpKind::Conv2d:
  case OpKind::Conv2dGradInput:
  case OpKind::Conv2dGradWeight:
  case OpKind::MaxPool2d:
  case OpKind::MaxPool2dGrad:
  case OpKind::MaxPool2dGather:
  case OpKind::AvgPool2d:
  case OpKind::AvgPool2dGrad:
    return emitWindowOp(O, Out);
  default:
    llvm_unreachable("not a tensor op");
  }
}

llvm::SmallVector<llvm::Value *, 4>
TensorFunctionEmitter::broadcastStrides(const ir::Type &In,
                                        const ir::Type &Out) {
  unsigned R = Out.getRank(), Lead = R - In.getRank();
  llvm::SmallVector<llvm::Value *, 4> Strides, Natural = strides(In);
  for (unsigned K = 0; K < R; ++K) {
    // Trailing axes align; a missing or size-1 axis repeats its element.
    bool Stretched = K < Lead || In.getShape()[K - Lead].isOne();
    Strides.push_back(Stretched ? B.getInt64(0) : Natural[K - Lead]);
  }
  return Strides;
}

void TensorFunctionEmitter::emitElementwise(const ir::Op &O, llvm::Value *Out) {
  // The op and the element-wise ops fused into it form a tree
  // (FusionPlan.h); its leaves are the values it reads from memory (or a
  // scalar, or a broadcast view read with stride zero).
  // Fused ops that are also stored (a train step's new state) are written
  // by this loop too, at the element it writes.
  std::vector<ValueId> Leaves;
  llvm::DenseMap<ValueId, llvm::Value *> StoredAt;
  std::function<void(const ir::Op &)> Collect = [&](const ir::Op &X) {
    for (ValueId V : X.Operands) {
      if (Fusion.Fused[V]) {
        if (Fusion.Stored[V])
          StoredAt[V] = Shapes.copyPointer(Storage[V]);
        Collect(F.op(V));
      } else if (!llvm::is_contained(Leaves, V)) {
        Leaves.push_back(V);
      }
    }
  };
  Collect(O);
  bool ReadsView = false;
  for (ValueId V : Leaves)
    ReadsView |= Fusion.View[V];
  std::vector<ValueId> Reads;
  std::vector<llvm::Value *> Ptrs, Scalars;
  std::vector<llvm::SmallVector<llvm::Value *, 4>> Strides;
  if (ReadsView)
    Strides.push_back(strides(O.Ty));
  for (ValueId V : Leaves) {
    ValueId From = Fusion.View[V] ? F.op(V).Operands[0] : V;
    const ir::Type &T = F.typeOf(From);
    Reads.push_back(From);
    Scalars.push_back(T.isScalar() ? Vals[From][0] : nullptr);
    Ptrs.push_back(T.isScalar() ? nullptr : pointerTo(From));
    if (ReadsView)
      Strides.push_back(T.isScalar() ? strides(O.Ty)
                                     : broadcastStrides(T, O.Ty));
  }
  ElementKind K = O.Ty.getElementKind();
  // One element: the leaves loaded once each, the tree computed on them.
  auto Element = [&](llvm::Value *OutOffset,
                     llvm::function_ref<llvm::Value *(size_t)> Offset) {
    llvm::DenseMap<ValueId, llvm::Value *> Loaded;
    for (size_t J = 0; J < Leaves.size(); ++J)
      Loaded[Leaves[J]] =
          Scalars[J] ? Scalars[J]
                     : S.load(F.typeOf(Reads[J]).getElementKind(), Ptrs[J],
                              Offset(J));
    std::function<llvm::Value *(const ir::Op &)> Eval =
        [&](const ir::Op &X) -> llvm::Value * {
      std::vector<llvm::Value *> Args;
      for (ValueId V : X.Operands) {
        if (!Fusion.Fused[V]) {
          Args.push_back(Loaded[V]);
          continue;
        }
        Args.push_back(Eval(F.op(V)));
        // Every leaf was loaded before this store, so a value written back
        // over one of them (in place) is read first.
        if (Fusion.Stored[V])
          S.store(F.typeOf(V).getElementKind(), Args.back(), StoredAt[V],
                  OutOffset);
      }
      return S.elementwise(X.Kind, F.typeOf(X.Operands[0]).getElementKind(),
                           X.Ty.getElementKind(), Args);
    };
    S.store(K, Eval(O), Out, OutOffset);
  };
  if (!ReadsView) {
    // Every leaf has the op's shape: one flat loop.
    emitLoop(B, numElements(O.Ty), [&](llvm::Value *I) {
      Element(I, [&](size_t) { return I; });
    });
    return;
  }
  llvm::SmallVector<llvm::Value *, 4> Dims;
  for (const ir::Dim &D : O.Ty.getShape())
    Dims.push_back(dim(D));
  emitLoopNest(
      B, Dims, Strides,
      [&](llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *> Off) {
        Element(Off[0], [&](size_t J) { return Off[J + 1]; });
      });
}

void TensorFunctionEmitter::emitBroadcast(const ir::Op &O, llvm::Value *Out) {
  const ir::Type &In = F.typeOf(O.Operands[0]);
  llvm::Value *P = pointerTo(O.Operands[0]);
  llvm::SmallVector<llvm::Value *, 4> Dims,
      InStrides = broadcastStrides(In, O.Ty);
  for (const ir::Dim &D : O.Ty.getShape())
    Dims.push_back(dim(D));
  ElementKind K = O.Ty.getElementKind();
  emitLoopNest(
      B, Dims, {strides(O.Ty), InStrides},
      [&](llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *> Off) {
        S.store(K, S.load(K, P, Off[1]), Out, Off[0]);
      });
}

void TensorFunctionEmitter::emitTranspose(const ir::Op &O, llvm::Value *Out) {
  llvm::Value *P = pointerTo(O.Operands[0]);
  llvm::Value *Rows = dim(O.Ty.getShape()[0]), *Cols = dim(O.Ty.getShape()[1]);
  ElementKind K = O.Ty.getElementKind();
  // out[j][i] = in[i][j]: the output is written contiguously.
  llvm::SmallVector<llvm::Value *, 4> OutStrides{Cols, B.getInt64(1)},
      InStrides{B.getInt64(1), Rows};
  emitLoopNest(
      B, {Rows, Cols}, {OutStrides, InStrides},
      [&](llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *> Off) {
        S.store(K, S.load(K, P, Off[1]), Out, Off[0]);
      });
}

void TensorFunctionEmitter::emitMatMul(const ir::Op &O, llvm::Value *Out) {
  const ir::Type &TA = F.typeOf(O.Operands[0]), &TB = F.typeOf(O.Operands[1]);
  llvm::Value *A = pointerTo(O.Operands[0]), *Bm = pointerTo(O.Operands[1]);
  ElementKind K = O.Ty.getElementKind();
  llvm::Value *M = TA.getRank() == 2 ? dim(TA.getShape()[0]) : B.getInt64(1);
  llvm::Value *Inner = dim(TA.getShape().back());
  if (isGemmProduct(F, O)) {
    llvm::Value *N = dim(TB.getShape()[1]);
    // Row and column strides of each operand; a view of a transpose
    // (FusionPlan.h) is its operand read with the two swapped.
    auto Strides = [&](ValueId V, llvm::Value *Row, llvm::Value *ViewRow) {
      llvm::Value *One = B.getInt64(1);
      return Fusion.View[V] ? std::make_pair(One, ViewRow)
                            : std::make_pair(Row, One);
    };
    auto [RsA, CsA] = Strides(O.Operands[0], Inner, M);
    auto [RsB, CsB] = Strides(O.Operands[1], N, Inner);
    B.CreateCall(getGemmFunction(LM, K, gemmConfig(K), Contract),
                 {M, N, Inner, A, RsA, CsA, Bm, RsB, CsB, Out, N,
                  Shapes.copyPointer(GemmScratch)});
    return;
  }
  if (TB.getRank() == 1) {
    // out[i] = sum_p a[i][p] * b[p]: a dot product per row of A.
    llvm::AllocaInst *Acc = entryAlloca(S.type(K), "acc");
    emitLoop(B, M, [&](llvm::Value *I) {
      B.CreateStore(elemConst(K, 0), Acc);
      llvm::Value *Row = B.CreateNSWMul(I, Inner);
      emitLoop(
          B, Inner,
          [&](llvm::Value *P) {
            llvm::Value *X = mulElems(
                B, K, S.load(K, A, B.CreateNSWAdd(Row, P)), S.load(K, Bm, P));
            B.CreateStore(addElems(B, K, B.CreateLoad(S.type(K), Acc), X), Acc);
          },
          "p");
      S.store(K, B.CreateLoad(S.type(K), Acc), Out, I);
    });
    return;
  }
  // out[i][j] = sum_p a[i][p] * b[p][j], as a blocked i-k-j nest: the
  // innermost loop runs along a row of B and of the output, and each
  // output element still adds its products in order of p.
  llvm::Value *N = dim(TB.getShape()[1]);
  emitLoop(B, numElements(O.Ty),
           [&](llvm::Value *I) { S.store(K, elemConst(K, 0), Out, I); });
  emitLoop(
      B, B.getInt64(0), N, NBlock,
      [&](llvm::Value *JJ) {
        llvm::Value *JEnd = B.CreateBinaryIntrinsic(
            llvm::Intrinsic::smin, B.CreateNSWAdd(JJ, B.getInt64(NBlock)), N);
        emitLoop(
            B, B.getInt64(0), Inner, KBlock,
            [&](llvm::Value *PP) {
              llvm::Value *PEnd = B.CreateBinaryIntrinsic(
                  llvm::Intrinsic::smin, B.CreateNSWAdd(PP, B.getInt64(KBlock)),
                  Inner);
              emitLoop(B, M, [&](llvm::Value *I) {
                llvm::Value *RowA = B.CreateNSWMul(I, Inner);
                llvm::Value *RowC = B.CreateNSWMul(I, N);
                emitLoop(
                    B, PP, PEnd, 1,
                    [&](llvm::Value *P) {
                      llvm::Value *X = S.load(K, A, B.CreateNSWAdd(RowA, P));
                      llvm::Value *RowB = B.CreateNSWMul(P, N);
                      emitLoop(
                          B, JJ, JEnd, 1,
                          [&](llvm::Value *J) {
                            llvm::Value *C = B.CreateNSWAdd(RowC, J);
                            llvm::Value *Prod = mulElems(
                                B, K, X,
                                S.load(K, Bm, B.CreateNSWAdd(RowB, J)));
                            S.store(K, addElems(B, K, S.load(K, Out, C), Prod),
                                    Out, C);
                          },
                          "j");
                    },
                    "p");
              });
            },
            "pp");
      },
      "jj");
}

std::function<llvm::Value *(llvm::Value *)>
TensorFunctionEmitter::flatReader(ValueId V) {
  while (Fusion.Fused[V] && F.op(V).Kind == OpKind::Reshape)
    V = F.op(V).Operands[0];
  if (!Fusion.Fused[V]) {
    ElementKind K = F.typeOf(V).getElementKind();
    llvm::Value *P = pointerTo(V);
    return [this, K, P](llvm::Value *I) { return S.load(K, P, I); };
  }
  // The element-wise tree fused into the reduction (FusionPlan.h): every
  // leaf is read at the element computed, or is a scalar.
  auto Leaves = std::make_shared<llvm::DenseMap<ValueId, llvm::Value *>>();
  std::function<void(ValueId)> Collect = [&](ValueId X) {
    for (ValueId U : F.op(X).Operands) {
      if (Fusion.Fused[U])
        Collect(U);
      else if (!Leaves->count(U))
        (*Leaves)[U] =
            F.typeOf(U).isScalar() ? Vals[U][0] : pointerTo(U);
    }
  };
  Collect(V);
  return [this, V, Leaves](llvm::Value *I) {
    llvm::DenseMap<ValueId, llvm::Value *> Loaded;
    std::function<llvm::Value *(ValueId)> Eval = [&](ValueId X) {
      const ir::Op &O = F.op(X);
      std::vector<llvm::Value *> Args;
      for (ValueId U : O.Operands) {
        if (Fusion.Fused[U]) {
          Args.push_back(Eval(U));
          continue;
        }
        llvm::Value *&L = Loaded[U];
        if (!L)
          L = F.typeOf(U).isScalar()
                  ? (*Leaves)[U]
                  : S.load(F.typeOf(U).getElementKind(), (*Leaves)[U], I);
        Args.push_back(L);
      }
      return S.elementwise(O.Kind, F.typeOf(O.Operands[0]).getElementKind(),
                           O.Ty.getElementKind(), Args);
    };
    return Eval(V);
  };
}

void TensorFunctionEmitter::emitReduce(const ir::Op &O, llvm::Value *Out) {
  const ir::Type &In = F.typeOf(O.Operands[0]);
  auto P = flatReader(O.Operands[0]);
  auto [Outer, Axis, Inner] = aroundAxis(In, O.getAxis());
  ElementKind K = O.Ty.getElementKind();
  if (O.Kind == OpKind::ReduceSum)
    return emitSumLoops(K, P, Out, Outer, Axis, Inner);
  bool IsMax = O.Kind == OpKind::ReduceMax;
  llvm::Value *Init =
      isFloatKind(K)
          ? elemConst(K, extremeOf(K, IsMax))
          : llvm::ConstantInt::get(S.type(K), intExtremeOf(K, IsMax), true);
  emitReduceLoops(K, P, Out, Outer, Axis, Inner, Init,
                  [&](llvm::Value *Acc, llvm::Value *X) {
                    return B.CreateSelect(isBetter(B, K, X, Acc, IsMax), X,
                                          Acc);
                  });
}

void TensorFunctionEmitter::emitSumLoops(ElementKind K, const Reader &P,
                                         llvm::Value *Out, llvm::Value *Outer,
                                         llvm::Value *Axis,
                                         llvm::Value *Inner) {
  emitReduceLoops(K, P, Out, Outer, Axis, Inner, elemConst(K, 0),
                  [&](llvm::Value *Acc, llvm::Value *X) {
                    return addElems(B, K, Acc, X);
                  });
}

void TensorFunctionEmitter::emitReduceLoops(
    ElementKind K, const Reader &P, llvm::Value *Out, llvm::Value *Outer,
    llvm::Value *Axis, llvm::Value *Inner, llvm::Value *Init,
    llvm::function_ref<llvm::Value *(llvm::Value *, llvm::Value *)> Combine) {
  // (outer, axis, inner) with the output row as the accumulator, so the
  // innermost loop is contiguous in input and output alike.
  emitLoop(B, Outer, [&](llvm::Value *I) {
    llvm::Value *OutRow = B.CreateNSWMul(I, Inner);
    emitLoop(
        B, Inner,
        [&](llvm::Value *J) {
          S.store(K, Init, Out, B.CreateNSWAdd(OutRow, J));
        },
        "j");
    emitLoop(
        B, Axis,
        [&](llvm::Value *A) {
          llvm::Value *InRow =
              B.CreateNSWMul(B.CreateNSWAdd(B.CreateNSWMul(I, Axis), A), Inner);
          emitLoop(
              B, Inner,
              [&](llvm::Value *J) {
                llvm::Value *X = P(B.CreateNSWAdd(InRow, J));
                llvm::Value *Dst = B.CreateNSWAdd(OutRow, J);
                S.store(K, Combine(S.load(K, Out, Dst), X), Out, Dst);
              },
              "j");
        },
        "a");
  });
}

void TensorFunctionEmitter::emitArgMax(const ir::Op &O, llvm::Value *Out) {
  const ir::Type &In = F.typeOf(O.Operands[0]);
  llvm::Value *P = pointerTo(O.Operands[0]);
  auto [Outer, Axis, Inner] = aroundAxis(In, O.getAxis());
  ElementKind K = In.getElementKind();
  llvm::AllocaInst *Best = entryAlloca(S.type(K), "best");
  llvm::AllocaInst *Index = entryAlloca(B.getInt64Ty(), "best.index");
  llvm::Value *Init =
      isFloatKind(K)
          ? elemConst(K, extremeOf(K, true))
          : llvm::ConstantInt::get(S.type(K), intExtremeOf(K, true), true);
  emitLoop(B, Outer, [&](llvm::Value *I) {
    emitLoop(
        B, Inner,
        [&](llvm::Value *J) {
          B.CreateStore(Init, Best);
          B.CreateStore(B.getInt64(0), Index);
          emitLoop(
              B, Axis,
              [&](llvm::Value *A) {
                llvm::Value *X = S.load(
                    K, P,
                    B.CreateNSWAdd(
                        B.CreateNSWMul(
                            B.CreateNSWAdd(B.CreateNSWMul(I, Axis), A), Inner),
                        J));
                llvm::Value *Cur = B.CreateLoad(S.type(K), Best);
                llvm::Value *Take = isBetter(B, K, X, Cur, /*Greater=*/true);
                B.CreateStore(B.CreateSelect(Take, X, Cur), Best);
                B.CreateStore(B.CreateSelect(
                                  Take, A, B.CreateLoad(B.getInt64Ty(), Index)),
                              Index);
              },
              "a");
          S.store(ElementKind::I64, B.CreateLoad(B.getInt64Ty(), Index), Out,
                  B.CreateNSWAdd(B.CreateNSWMul(I, Inner), J));
        },
        "j");
  });
}

void TensorFunctionEmitter::emitSoftmaxFamily(const ir::Op &O,
                                              llvm::Value *Out) {
  const ir::Type &In = F.typeOf(O.Operands[0]);
  llvm::Value *P = pointerTo(O.Operands[0]);
  auto [Outer, Axis, Inner] = aroundAxis(In, O.getAxis());
  ElementKind K = In.getElementKind();
  llvm::Type *T = S.type(K);
  llvm::AllocaInst *Max = entryAlloca(T, "max");
  llvm::AllocaInst *Sum = entryAlloca(T, "sum");
  emitLoop(B, Outer, [&](llvm::Value *I) {
    emitLoop(
        B, Inner,
        [&](llvm::Value *J) {
          auto At = [&](llvm::Value *A) {
            return B.CreateNSWAdd(
                B.CreateNSWMul(B.CreateNSWAdd(B.CreateNSWMul(I, Axis), A),
                               Inner),
                J);
          };
          // Subtracting the maximum keeps exp() from overflowing. For
          // logsumexp an infinite maximum (or none: an empty axis) shifts by
          // 0 instead, so that log(sum) gives the right infinity; softmax
          // and log_softmax shift by it anyway, so a row holding +inf (or
          // only -inf) is NaN throughout, as in PyTorch.
          B.CreateStore(elemConst(K, extremeOf(K, true)), Max);
          emitLoop(
              B, Axis,
              [&](llvm::Value *A) {
                llvm::Value *X = S.load(K, P, At(A));
                llvm::Value *Cur = B.CreateLoad(T, Max);
                B.CreateStore(
                    B.CreateSelect(isBetter(B, K, X, Cur, true), X, Cur), Max);
              },
              "a");
          llvm::Value *M = B.CreateLoad(T, Max);
          llvm::Value *Finite = B.CreateFCmpOLT(
              S.intrinsic(llvm::Intrinsic::fabs, {M}),
              elemConst(K, std::numeric_limits<double>::infinity()));
          llvm::Value *Shift =
              O.Kind == OpKind::LogSumExp
                  ? B.CreateSelect(Finite, M, elemConst(K, 0), "shift")
                  : M;
          B.CreateStore(elemConst(K, 0), Sum);
          emitLoop(
              B, Axis,
              [&](llvm::Value *A) {
                llvm::Value *E =
                    S.intrinsic(llvm::Intrinsic::exp,
                                {B.CreateFSub(S.load(K, P, At(A)), Shift)});
                if (O.Kind == OpKind::Softmax)
                  S.store(K, E, Out, At(A));
                B.CreateStore(B.CreateFAdd(B.CreateLoad(T, Sum), E), Sum);
              },
              "a");
          llvm::Value *Total = B.CreateLoad(T, Sum);
          llvm::Value *LogTotal = S.intrinsic(llvm::Intrinsic::log, {Total});
          if (O.Kind == OpKind::LogSumExp) {
            S.store(K, B.CreateFAdd(Shift, LogTotal), Out,
                    B.CreateNSWAdd(B.CreateNSWMul(I, Inner), J));
            return;
          }
          emitLoop(
              B, Axis,
              [&](llvm::Value *A) {
                llvm::Value *Y =
                    O.Kind == OpKind::Softmax
                        ? B.CreateFDiv(S.load(K, Out, At(A)), Total)
                        : B.CreateFSub(B.CreateFSub(S.load(K, P, At(A)), Shift),
                                       LogTotal);
                S.store(K, Y, Out, At(A));
              },
              "a");
        },
        "j");
  });
}

llvm::Value *TensorFunctionEmitter::loadLabel(const ir::Type &LabelTy,
                                              llvm::Value *Labels,
                                              llvm::Value *Index,
                                              llvm::Value *C) {
  llvm::Value *L = B.CreateSExtOrTrunc(
      S.load(LabelTy.getElementKind(), Labels, Index), B.getInt64Ty());
  // Unsigned: a negative label is out of range too.
  failIf(B.CreateICmpUGE(L, C), StatusIndex);
  return L;
}

void TensorFunctionEmitter::emitOneHot(const ir::Op &O, llvm::Value *Out) {
  const ir::Type &TL = F.typeOf(O.Operands[0]);
  llvm::Value *Labels = pointerTo(O.Operands[0]);
  llvm::Value *C = dim(O.Ty.getShape().back());
  ElementKind K = O.Ty.getElementKind();
  emitLoop(B, numElements(O.Ty),
           [&](llvm::Value *I) { S.store(K, elemConst(K, 0), Out, I); });
  emitLoop(B, numElements(TL), [&](llvm::Value *I) {
    llvm::Value *L = loadLabel(TL, Labels, I, C);
    S.store(K, elemConst(K, 1), Out, B.CreateNSWAdd(B.CreateNSWMul(I, C), L));
  });
}

void TensorFunctionEmitter::emitPick(const ir::Op &O, llvm::Value *Out) {
  const ir::Type &TX = F.typeOf(O.Operands[0]), &TL = F.typeOf(O.Operands[1]);
  llvm::Value *X = pointerTo(O.Operands[0]);
  llvm::Value *Labels = pointerTo(O.Operands[1]);
  llvm::Value *C = dim(TX.getShape().back());
  ElementKind K = O.Ty.getElementKind();
  emitLoop(B, numElements(TL), [&](llvm::Value *I) {
    llvm::Value *L = loadLabel(TL, Labels, I, C);
    S.store(K, S.load(K, X, B.CreateNSWAdd(B.CreateNSWMul(I, C), L)), Out, I);
  });
}

void TensorFunctionEmitter::emitIota(const ir::Op &O, llvm::Value *Out) {
  auto [Outer, Axis, Inner] = aroundAxis(O.Ty, O.getAxis());
  llvm::SmallVector<llvm::Value *, 4> Strides{
      dim(getExtent(O.Ty.getShape(), O.getAxis(), O.Ty.getRank())), Inner,
      B.getInt64(1)};
  emitLoopNest(B, {Outer, Axis, Inner}, {Strides},
               [&](llvm::ArrayRef<llvm::Value *> Idx,
                   llvm::ArrayRef<llvm::Value *> Off) {
                 S.store(ElementKind::I64, Idx[1], Out, Off[0]);
               });
}

llvm::Value *TensorFunctionEmitter::emitTensorConstant(const ir::Op &O) {
  ElementKind K = O.Ty.getElementKind();
  llvm::Type *T = S.storageType(K);
  std::vector<llvm::Constant *> Elems;
  for (double V : O.Data) {
    if (isFloatKind(K))
      Elems.push_back(llvm::ConstantFP::get(T, V));
    else if (K == ElementKind::Bool)
      Elems.push_back(llvm::ConstantInt::get(T, V != 0));
    else
      Elems.push_back(llvm::ConstantInt::get(T, toInt64(V), true));
  }
  auto *AT = llvm::ArrayType::get(T, Elems.size());
  auto *GV = new llvm::GlobalVariable(
      LM, AT, /*isConstant=*/true, llvm::GlobalValue::PrivateLinkage,
      llvm::ConstantArray::get(AT, Elems), F.Name + ".const");
  GV->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  GV->setAlignment(llvm::Align(getElementSize(K)));
  return GV;
}
