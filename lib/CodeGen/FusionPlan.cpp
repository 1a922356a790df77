//===- FusionPlan.cpp - Ops that are not computed on their own ------------===//
#include "FusionPlan.h"
#include "RowThreads.h"
#include "Gemm.h"
#include "ScalarOps.h"
#include "TensorABI.h"
#include "Workspace.h"
#include "nnc/CodeGen/CodeGen.h"
#include "llvm/ADT/STLExtras.h"

using namespace nnc;
using namespace nnc::codegen;
using ir::OpKind;
using ir::ValueId;

bool codegen::isGemmProduct(const ir::Function &F, const ir::Op &O) {
  return O.Kind == OpKind::MatMul && isFloatKind(O.Ty.getElementKind()) &&
         F.typeOf(O.Operands[1]).getRank() == 2;
}

bool codegen::isReduction(OpKind K) {
  return K == OpKind::SumTo || K == OpKind::ReduceSum ||
         K == OpKind::ReduceMax || K == OpKind::ReduceMin;
}

/// Whether the tree of element-wise ops fused into \p I so far reads each
/// leaf at the element it computes (no broadcast view) and stores nothing,
/// so a reduction can compute its elements in any order by flat index.
static bool readsInOrder(const ir::Function &F, const FusionPlan &P,
                         ValueId I) {
  for (ValueId V : F.op(I).Operands) {
    if (P.Stored[V] || P.View[V])
      return false;
    if (P.Fused[V] && !readsInOrder(F, P, V))
      return false;
  }
  return true;
}

/// FusionPlan::Guard. Walks backwards, so each op's users are decided
/// before it: an op inherits the guard its every use agrees on. Only ops
/// whose values are pointers to memory the prologue laid out (tensors,
/// tuples of tensors) or constants are guarded, so a skipped op leaves no
/// value undefined that code after it reads; and only after the select's
/// condition, which decides whether the op runs, is computed. (A select
/// of tuples inside a guarded arm makes new pointer values: the emitter
/// runs it unguarded, EntryABI.cpp.)
static std::vector<int64_t> planGuards(const ir::Function &F) {
  size_t N = F.Ops.size();
  auto Eligible = [&](const ir::Op &O) {
    switch (O.Kind) {
    case OpKind::Param:
    case OpKind::Call:
    case OpKind::Return:
      return false;
    default:
      break;
    }
    if (O.Ty.isTensor())
      return true;
    if (!O.Ty.isTuple())
      return false;
    return llvm::all_of(ir::flattenLeaves(O.Ty),
                        [](const ir::Type &T) { return T.isTensor(); });
  };
  auto PicksWhole = [&](const ir::Op &O) {
    return O.Kind == OpKind::Select && O.Ty.isTuple() &&
           F.typeOf(O.Operands[0]).isScalar() &&
           O.Operands[1] != O.Operands[2];
  };
  std::vector<int64_t> Guard(N, -1), Context(N, -1);
  std::vector<bool> Used(N, false), Agreed(N, true);
  for (ValueId I = N; I-- > 0;) {
    const ir::Op &O = F.Ops[I];
    if (Used[I] && Agreed[I] && Context[I] >= 0 && Eligible(O) &&
        I != F.getReturnedValue() &&
        F.op(static_cast<ValueId>(Context[I] / 2)).Operands[0] < I)
      Guard[I] = Context[I];
    for (auto [K, V] : llvm::enumerate(O.Operands)) {
      int64_t C = Guard[I];
      if (PicksWhole(O) && Guard[I] < 0 && K > 0)
        C = 2 * int64_t(I) + (K == 1 ? 1 : 0);
      if (O.Kind == OpKind::Return)
        C = -1;
      if (Used[V] && Context[V] != C)
        Agreed[V] = false;
      Used[V] = true;
      Context[V] = C;
    }
  }
  return Guard;
}

FusionPlan codegen::planFusion(const ir::Function &F) {
  size_t N = F.Ops.size();
  FusionPlan P;
  P.Guard = planGuards(F);
  P.View.assign(N, false);
  // A transpose of a matrix whose every user is a product of the kernel,
  // which reads it through strides.
  std::vector<bool> OnlyProducts(N, true);
  for (const ir::Op &O : F.Ops)
    for (ValueId V : O.Operands)
      if (!isGemmProduct(F, O) || F.op(V).Ty.getRank() != 2)
        OnlyProducts[V] = false;
  // A broadcast whose every user is an element-wise op, which reads its
  // operand with a stride of zero along the stretched axes.
  std::vector<bool> OnlyElementwise(N, true);
  for (const ir::Op &O : F.Ops)
    for (ValueId V : O.Operands)
      if (!ScalarOps::isElementwise(O.Kind) || !O.Ty.isTensor())
        OnlyElementwise[V] = false;
  for (ValueId I = 0; I < N; ++I) {
    const ir::Op &O = F.Ops[I];
    if (I == F.getReturnedValue())
      continue;
    P.View[I] = (O.Kind == OpKind::Transpose && O.Ty.getRank() == 2 &&
                 OnlyProducts[I]) ||
                (O.Kind == OpKind::Broadcast && OnlyElementwise[I]);
  }
  // Fusion: the one user of each value, if it has exactly one, or the one
  // user that is not a tuple gathering results. An op reading a value
  // twice (x + x, the adjoint of x * x) is one user: its loop computes the
  // value once per operand.
  std::vector<unsigned> Uses(N, 0), Computes(N, 0);
  std::vector<ValueId> User(N, 0);
  for (ValueId U = 0; U < N; ++U)
    for (auto [K, V] : llvm::enumerate(F.Ops[U].Operands)) {
      if (llvm::is_contained(
              llvm::ArrayRef<ValueId>(F.Ops[U].Operands).take_front(K), V))
        continue;
      ++Uses[V];
      if (F.Ops[U].Kind == OpKind::Tuple)
        continue;
      ++Computes[V];
      User[V] = U;
    }
  auto IsLoop = [&](const ir::Op &O) {
    return O.Ty.isTensor() && ScalarOps::isElementwise(O.Kind);
  };
  P.Fused.assign(N, false);
  P.Stored.assign(N, false);
  std::vector<unsigned> Depth(N, 0);
  for (ValueId I = 0; I < N; ++I) {
    const ir::Op &O = F.Ops[I];
    if (!IsLoop(O))
      continue;
    for (ValueId V : O.Operands)
      if (P.Fused[V])
        Depth[I] = std::max(Depth[I], Depth[V] + 1);
    if (Computes[I] != 1 || I == F.getReturnedValue())
      continue;
    const ir::Op &U = F.op(User[I]);
    bool SameGuard = P.Guard[I] == P.Guard[User[I]];
    P.Fused[I] = IsLoop(U) && U.Ty.getShape() == O.Ty.getShape() &&
                 Depth[I] + 1 < MaxFusedDepth && SameGuard;
    P.Stored[I] = P.Fused[I] && Uses[I] > 1;
    if (!P.Fused[I] && Uses[I] == 1 && Depth[I] + 1 < MaxFusedDepth &&
        SameGuard && readsInOrder(F, P, I)) {
      // Or into a reduction that reads it, through reshapes of no other
      // use, element by element in row-major order: the operand of a
      // sum_to or of batch_norm's statistics is never written to memory.
      std::vector<ValueId> Reshapes;
      ValueId R = User[I], Read = I;
      while (F.op(R).Kind == OpKind::Reshape && Uses[R] == 1 &&
             Computes[R] == 1 && R != F.getReturnedValue()) {
        Reshapes.push_back(R);
        Read = R;
        R = User[R];
      }
      if (isReduction(F.op(R).Kind) && F.op(R).Operands[0] == Read &&
          P.Guard[R] == P.Guard[I]) {
        P.Fused[I] = true;
        for (ValueId X : Reshapes)
          P.Fused[X] = true;
      }
    }
  }
  P.Loop.resize(N);
  for (ValueId I = N; I-- > 0;)
    P.Loop[I] = P.Fused[I] ? P.Loop[User[I]] : I;
  return P;
}

llvm::Error nnc::printCodeGenPlan(const ir::Module &M, llvm::TargetMachine &TM,
                                  const CodeGenOptions &Opts,
                                  llvm::raw_ostream &OS) {
  auto Prepared = prepareForCodeGen(M);
  if (!Prepared)
    return Prepared.takeError();
  llvm::LLVMContext Ctx;
  llvm::Module Probe("plan", Ctx);
  Probe.setDataLayout(TM.createDataLayout());
  VectorUnit Vectors = getVectorUnit(TM, Probe);
  bool First = true;
  for (const auto &FP : (*Prepared)->Functions) {
    const ir::Function &F = *FP;
    if (!First)
      OS << '\n';
    First = false;
    if (!usesStatusABI(F)) {
      ir::printFunction(F, OS);
      continue;
    }
    FusionPlan Fusion = planFusion(F);
    WorkspacePlan Slots = planWorkspace(F, Fusion);
    ir::printFunction(F, OS, [&](ValueId I) -> std::string {
      const ir::Op &O = F.op(I);
      std::string Note;
      llvm::raw_string_ostream NS(Note);
      if (Fusion.View[I]) {
        NS << (O.Kind == OpKind::Transpose
                   ? "view: products read its operand transposed"
                   : "view: read with stride 0 where stretched");
        return Note;
      }
      if (Fusion.Stored[I]) {
        NS << "fused: computed in its user's loop, which stores it to ";
      } else if (Fusion.Fused[I]) {
        return "fused: computed in its user's loop";
      }
      if (isGemmProduct(F, O)) {
        ElementKind K = O.Ty.getElementKind();
        GemmConfig C = getGemmConfig(Vectors, K);
        NS << "kernel " << C.Rows << "x" << C.nr() << " ("
           << getElementKindName(K) << ", " << C.Lanes << " lanes";
        if (Fusion.View[O.Operands[0]])
          NS << ", a transposed";
        if (Fusion.View[O.Operands[1]])
          NS << ", b transposed";
        if (Opts.Threads > 1)
          NS << ", " << Opts.Threads << " threads";
        NS << "), ";
      }
      std::string RowVar;
      llvm::SmallVector<ValueId, 8> Reads, Writes;
      // A guarded op stays on the calling thread (EntryABI.cpp).
      if (Opts.Threads > 1 && !isGemmProduct(F, O) && Fusion.Guard[I] < 0 &&
          getRowValues(F, Fusion, I, RowVar, Reads, Writes))
        NS << "rows of " << RowVar << " shared among " << Opts.Threads
           << " threads when large, ";
      if (Slots.Slot[I] >= 0)
        NS << "slot " << Slots.Slot[I];
      else if (Slots.ResultLeaf[I] >= 0)
        NS << "result " << Slots.ResultLeaf[I];
      if (Fusion.Guard[I] >= 0 && O.Ty.isTensor())
        NS << (Note.empty() ? "" : ", ") << "only when select op "
           << Fusion.Guard[I] / 2 << " picks its "
           << (Fusion.Guard[I] % 2 ? "true" : "false") << " arm";
      return Note;
    });
  }
  return llvm::Error::success();
}
