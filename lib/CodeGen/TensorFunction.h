//===- TensorFunction.h - Lowering a status-ABI function --------*- C++ -*-===//
//
// A function that uses tensors becomes an entry point returning a status
// (docs/abi.md, "Tensors"): the prologue binds and checks the dimensions and
// lays out the workspace (EntryABI.cpp), each op becomes a loop nest over
// memory (TensorLowering.cpp, Random.cpp), and the epilogue writes the
// results. Scalars stay SSA values; a tensor value is a pointer to its
// elements, contiguous and row-major, whose extents the ShapeEnv knows.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_TENSORFUNCTION_H
#define NNC_LIB_CODEGEN_TENSORFUNCTION_H

#include "Gemm.h"
#include "ScalarOps.h"
#include "ShapeEnv.h"
#include "TensorABI.h"
#include "Workspace.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include <functional>

namespace nnc::codegen {

using Leaves = llvm::SmallVector<llvm::Value *, 2>;

/// Whether \p X replaces the running maximum (Greater) or minimum \p Best:
/// strictly better, so ties keep the first index; a NaN wins once
/// (TensorLowering.cpp).
llvm::Value *isBetter(llvm::IRBuilder<> &B, ElementKind K, llvm::Value *X,
                      llvm::Value *Best, bool Greater);

/// Declares the entry point of \p F and, for an exported function, its
/// workspace size function (returned second, or null).
std::pair<llvm::Function *, llvm::Function *>
declareTensorFunction(const ir::Function &F, llvm::Module &LM,
                      const std::string &Symbol, const std::string &SizeSymbol,
                      bool ABIChecks);

class TensorFunctionEmitter {
public:
  TensorFunctionEmitter(const ir::Module &M, const ir::Function &F,
                        llvm::Module &LM,
                        const llvm::StringMap<llvm::Function *> &Functions,
                        bool ABIChecks, unsigned SplitInstructions,
                        const VectorUnit &Vectors, bool Contract,
                        unsigned Threads)
      : M(M), F(F), LM(LM), B(LM.getContext()), S(B, LM), Shapes(B),
        Functions(Functions), ABIChecks(ABIChecks),
        SplitInstructions(SplitInstructions), Vectors(Vectors),
        Contract(Contract), Threads(Threads) {}

  llvm::Error define(llvm::Function *Entry, llvm::Function *SizeFn);

private:
  // EntryABI.cpp
  llvm::Error emitPrologue();
  llvm::Error bindDims();
  /// Evaluates every dimension the body uses and the workspace layout:
  /// the offset of each slot, then of the matrix-product scratch; returns
  /// the total workspace size.
  llvm::Value *layOutWorkspace(ShapeEnv &SE,
                               std::vector<llvm::Value *> &SlotOffsets);
  void emitEpilogue(ir::ValueId Returned);
  void defineSizeFunction(llvm::Function *SizeFn);
  /// --abi-checks: whether any pointer argument is null (for a non-empty
  /// buffer), an output overlaps another buffer, or the workspace given is
  /// smaller than \p Total or overlaps a buffer.
  llvm::Value *checkPointers(llvm::Value *Workspace, llvm::Value *Total);
  /// Branches to the exit with \p Code when \p Failed holds.
  void failIf(llvm::Value *Failed, Status Code);

  // TensorLowering.cpp
  void emitOp(ir::ValueId I);
  void emitTensorOp(const ir::Op &O, llvm::Value *Out);
  void emitElementwise(const ir::Op &O, llvm::Value *Out);
  void emitBroadcast(const ir::Op &O, llvm::Value *Out);
  void emitSumTo(const ir::Op &O, llvm::Value *Out);
  void emitTranspose(const ir::Op &O, llvm::Value *Out);
  void emitMatMul(const ir::Op &O, llvm::Value *Out);
  void emitReduce(const ir::Op &O, llvm::Value *Out);
  /// Out[o][i] = Combine(...Combine(Init, P[o][0][i])..., P[o][A-1][i]) for
  /// the operand read as (Outer, Axis, Inner): each result adds in index order.
  /// Element I (a flat index) of a reduction's operand.
  using Reader = std::function<llvm::Value *(llvm::Value *I)>;
  /// Loads element I of \p V, or computes it when the element-wise ops
  /// that make \p V are fused into the reduction reading it (FusionPlan.h).
  Reader flatReader(ir::ValueId V);
  void emitReduceLoops(
      ElementKind K, const Reader &P, llvm::Value *Out, llvm::Value *Outer,
      llvm::Value *Axis, llvm::Value *Inner, llvm::Value *Init,
      llvm::function_ref<llvm::Value *(llvm::Value *, llvm::Value *)> Combine);
  /// emitReduceLoops adding from 0, as reduce_sum does.
  void emitSumLoops(ElementKind K, const Reader &P, llvm::Value *Out,
                    llvm::Value *Outer, llvm::Value *Axis, llvm::Value *Inner);
  // SumToLowering.cpp
  /// Grows \p ScratchBytes to what sum_to \p O needs for its partial sums.
  void sizeSumToScratch(ShapeEnv &SE, const ir::Op &O,
                        llvm::Value *&ScratchBytes);
  void emitArgMax(const ir::Op &O, llvm::Value *Out);
  void emitSoftmaxFamily(const ir::Op &O, llvm::Value *Out);
  void emitOneHot(const ir::Op &O, llvm::Value *Out);
  void emitPick(const ir::Op &O, llvm::Value *Out);
  void emitIota(const ir::Op &O, llvm::Value *Out);
  llvm::Value *emitTensorConstant(const ir::Op &O);
  /// Loads a label and fails with NNC_ERR_INDEX unless 0 <= label < C.
  llvm::Value *loadLabel(const ir::Type &LabelTy, llvm::Value *Labels,
                         llvm::Value *Index, llvm::Value *C);

  // RowThreads.cpp
  /// With --threads: emits op \p I on slices of its rows, one per thread
  /// of the module's pool, when its rows are independent and its first
  /// axis is a dimension variable; false when it is not such an op (the
  /// caller emits it as usual).
  bool emitOpInRows(ir::ValueId I);

  // Random.cpp
  void emitRandom(const ir::Op &O, llvm::Value *Out);

  // IndexLowering.cpp (issue 12, tensorops)
  void emitSlice(const ir::Op &O, llvm::Value *Out);
  void emitConcat(const ir::Op &O, llvm::Value *Out);
  void emitPermute(const ir::Op &O, llvm::Value *Out);
  // ConvLowering.cpp: convolution and pooling (issue 12).
  void emitWindowOp(const ir::Op &O, llvm::Value *Out);
  void emitConv(const ir::Op &O, llvm::Value *Out);
  void emitPool(const ir::Op &O, llvm::Value *Out);
  /// max_pool2d or max_pool2d_grad (2x2, stride 2, no padding) of the
  /// windows Q0 .. Q0 + Lanes - 1 (those below \p Q) of one output row, in
  /// vectors: \p XRow is the row pair's offset in x (rows of \p W), \p ORow
  /// the output row's in y and dy.
  void emitMaxPoolPairs(const ir::Op &O, llvm::Value *X, llvm::Value *Dy,
                        llvm::Value *Out, int64_t Lanes, llvm::Value *XRow,
                        llvm::Value *W, llvm::Value *ORow, llvm::Value *Q0,
                        llvm::Value *Q);
  /// Grows \p GemmBytes and \p ColumnBytes to what window op \p O needs
  /// of the kernel's scratch and of the column buffer (none for others).
  void sizeWindowScratch(ShapeEnv &SE, const ir::Op &O,
                         llvm::Value *&GemmBytes, llvm::Value *&ColumnBytes);

  // Helpers.
  /// A pointer to the elements of \p V; a scalar is spilled to the stack.
  llvm::Value *pointerTo(ir::ValueId V);
  llvm::Value *dim(const ir::Dim &D) { return Shapes.get(D); }
  llvm::Value *numElements(const ir::Type &T) {
    return dim(getExtent(T.getShape(), 0, T.getRank()));
  }
  /// Outer, axis and inner extents of \p T around \p Axis.
  std::array<llvm::Value *, 3> aroundAxis(const ir::Type &T, unsigned Axis);
  /// Row-major strides of \p T, one per axis.
  llvm::SmallVector<llvm::Value *, 4> strides(const ir::Type &T);
  /// Strides that read \p In as its broadcast to \p Out: zero along the
  /// axes it is stretched on.
  llvm::SmallVector<llvm::Value *, 4> broadcastStrides(const ir::Type &In,
                                                      const ir::Type &Out);
  /// A stack slot at the start of the function (of AllocaBlock, when set).
  llvm::AllocaInst *entryAlloca(llvm::Type *T, const llvm::Twine &Name = "");
  /// Where entryAlloca puts slots while an op's code is emitted to be moved
  /// into a function of its own (emitOpInRows): each thread's are its own.
  llvm::BasicBlock *AllocaBlock = nullptr;
  llvm::Value *elemConst(ElementKind K, double V);

  const ir::Module &M;
  const ir::Function &F;
  llvm::Module &LM;
  llvm::IRBuilder<> B;
  ScalarOps S;
  ShapeEnv Shapes;
  const llvm::StringMap<llvm::Function *> &Functions;
  bool ABIChecks;
  /// CodeGenOptions::SplitInstructions (0 at -O0 and when off).
  unsigned SplitInstructions;
  VectorUnit Vectors;
  /// CodeGenOptions::FP == FPModel::Contract.
  bool Contract;
  /// CodeGenOptions::Threads.
  unsigned Threads;
  GemmConfig gemmConfig(ElementKind K) const {
    GemmConfig C = getGemmConfig(Vectors, K);
    C.Threads = Threads;
    return C;
  }
  /// The scratch every matrix product shares (Gemm.h).
  llvm::Value *GemmScratch = nullptr;
  /// The convolutions' column buffer (ConvLowering.cpp).
  llvm::Value *WindowScratch = nullptr;

  llvm::Function *LF = nullptr;
  std::vector<EntryArg> Args;
  FusionPlan Fusion;
  WorkspacePlan Plan;
  std::vector<Leaves> Vals;
  /// Per value: the memory its op writes (a slot or a result buffer).
  std::vector<llvm::Value *> Storage;
  /// Per flattened result leaf: where it is written.
  std::vector<llvm::Value *> Dest;
  llvm::BasicBlock *Exit = nullptr;
  llvm::PHINode *StatusPhi = nullptr;
  /// The workspace this call allocated, to free at the exit (or null).
  llvm::AllocaInst *Owned = nullptr;
  llvm::Value *WorkspaceBase = nullptr;
};

} // namespace nnc::codegen

#endif
