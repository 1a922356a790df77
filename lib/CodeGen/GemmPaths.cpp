//===- GemmPaths.cpp - The kernel's paths a module's products take --------===//
//
// See GemmPaths.h. Each decision mirrors a branch of GemmEmitter
// (GemmEmitter.cpp, GemmPack.cpp, GemmColumnTiles.cpp): isDirect, the row
// chunks of emitDirect, the shape of emitBlockedEither, the panels and
// column tiles of emitBlocked and emitColumnPanel, the copies of packB,
// the layouts of A in emitBlocked and packA.
//
//===----------------------------------------------------------------------===//
#include "GemmPaths.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Analysis/InstSimplifyFolder.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include <optional>
#include <vector>

using namespace nnc;
using namespace nnc::codegen;

GemmPaths GemmPaths::all() {
  GemmPaths P;
  P.Direct = P.Blocked = P.DirectVector = P.DirectScalar = true;
  P.Plain = P.Transposed = true;
  P.ChunkVecs = P.PanelVecs = ~0u;
  P.ColsInPlace = P.ColsNarrow = P.ColsWide = true;
  P.RowsInPlace = P.RowsCopied = true;
  P.AInPlace = P.ACopied = P.ACopyContig = P.ACopyAny = true;
  P.BRowsWhole = P.BRowsPart = P.BCols = P.BAny = true;
  return P;
}

GemmPaths GemmPaths::ofCalls(const llvm::Function &Kernel,
                             const GemmConfig &Cfg) {
  GemmPaths P;
  for (const llvm::Use &U : Kernel.uses()) {
    auto *Call = llvm::dyn_cast<llvm::CallBase>(U.getUser());
    if (!Call || !Call->isCallee(&U))
      return all();
    P.addCall(*Call, Cfg);
  }
  return P;
}

namespace {
using Known = std::optional<int64_t>;

bool mayBe(Known X, int64_t V) { return !X || *X == V; }
bool mayNotBe(Known X, int64_t V) { return !X || *X != V; }

/// The widths (in columns) of the pieces \p N is cut into: blocks of
/// \p Outer, each in pieces of \p Inner, the last of each shorter; nullopt:
/// any.
std::optional<std::vector<int64_t>> pieces(Known N, int64_t Outer,
                                           int64_t Inner) {
  if (!N)
    return std::nullopt;
  std::vector<int64_t> Out;
  for (int64_t Block : {*N >= Outer ? Outer : 0, *N % Outer}) {
    if (Block >= Inner)
      Out.push_back(Inner);
    if (Block % Inner)
      Out.push_back(Block % Inner);
  }
  return Out;
}

/// Bit V for each width of V vectors.
unsigned vecsOf(const std::optional<std::vector<int64_t>> &Widths,
                const GemmConfig &Cfg) {
  if (!Widths)
    return ~0u;
  unsigned Bits = 0;
  for (int64_t W : *Widths)
    Bits |= 1u << ((W + Cfg.Lanes - 1) / Cfg.Lanes);
  return Bits;
}

/// Whether the kernel computes the blocked product \p S as its transpose:
/// wantsTranspose simplified on what is known (A row-major rules it out
/// whatever the sizes); nullopt when that does not decide it.
std::optional<bool> transposes(const GemmShape<Known> &S, const GemmConfig &Cfg,
                               llvm::LLVMContext &Ctx) {
  // The unknowns are the arguments of a scratch function, in a scratch
  // module; InstSimplify folds what the constants decide.
  llvm::Module Scratch("nnc.gemm.paths", Ctx);
  llvm::Type *I64 = llvm::Type::getInt64Ty(Ctx);
  llvm::Function *Fn = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getVoidTy(Ctx),
                              {I64, I64, I64, I64, I64}, false),
      llvm::GlobalValue::ExternalLinkage, "shape", Scratch);
  llvm::IRBuilder<llvm::InstSimplifyFolder> B(
      llvm::BasicBlock::Create(Ctx, "entry", Fn),
      llvm::InstSimplifyFolder(Scratch.getDataLayout()));
  unsigned Next = 0;
  auto V = [&](Known X) -> llvm::Value * {
    llvm::Value *Arg = Fn->getArg(Next++);
    return X ? B.getInt64(*X) : Arg;
  };
  GemmShape<llvm::Value *> IR{V(S.M),   V(S.N),  V(S.K), V(S.RsA),
                              V(S.CsA), nullptr, nullptr};
  auto *R = llvm::dyn_cast<llvm::ConstantInt>(wantsTranspose(B, Cfg, IR));
  if (!R)
    return std::nullopt;
  return R->isOne();
}
} // namespace

void GemmPaths::addCall(const llvm::CallBase &Call, const GemmConfig &Cfg) {
  auto Arg = [&](unsigned I) -> Known {
    if (auto *C = llvm::dyn_cast<llvm::ConstantInt>(Call.getArgOperand(I)))
      return C->getSExtValue();
    return std::nullopt;
  };
  // The arguments' order is getGemmFunction's.
  GemmShape<Known> S{Arg(0), Arg(1), Arg(2), Arg(4), Arg(5), Arg(7), Arg(8)};
  bool SurelyDirect =
      (S.M && *S.M <= Cfg.DirectRows) || (S.K && *S.K <= Cfg.DirectDepth);
  bool SurelyBlocked =
      S.M && S.K && *S.M > Cfg.DirectRows && *S.K > Cfg.DirectDepth;
  if (!SurelyBlocked) {
    Direct = true;
    DirectScalar |= mayNotBe(S.CsB, 1);
    if (mayBe(S.CsB, 1)) {
      DirectVector = true;
      int64_t Chunk = int64_t(directVecs(Cfg)) * Cfg.Lanes;
      ChunkVecs |= vecsOf(pieces(S.N, Chunk, Chunk), Cfg);
    }
  }
  if (SurelyDirect)
    return;
  Blocked = true;
  // The blocked path runs on the call's shape or on its transpose's
  // (GemmEmitter.cpp, emitBlockedEither), as wantsTranspose decides.
  std::optional<bool> T = transposes(S, Cfg, Call.getContext());
  if (T != true) {
    Plain = true;
    addBlocked(S, Cfg);
  }
  if (T != false) {
    Transposed = true;
    addBlocked(S.transposed(), Cfg);
  }
}

void GemmPaths::addBlocked(const GemmShape<Known> &S, const GemmConfig &Cfg) {
  std::optional<std::vector<int64_t>> Panels = pieces(S.N, Cfg.NC, Cfg.nr());
  bool MayInPlace = mayBe(S.CsA, 1), MayCopied = mayNotBe(S.CsA, 1);
  // A panel of one vector and few columns takes a column tile (emitBlocked:
  // at most InPlaceColumns when A is read in place and N is more than a
  // panel, columnTileMax against its copy), any other panel register
  // tiles.
  int64_t Wide = columnTileMax(Cfg);
  if (!Panels) {
    PanelVecs = ~0u;
    RowsInPlace |= MayInPlace;
    RowsCopied |= MayCopied;
    if (hasColumnTiles(Cfg)) {
      ColsInPlace |= MayInPlace;
      ColsNarrow |= MayCopied;
      ColsWide |= MayCopied && Wide > InPlaceColumns;
    }
  } else {
    for (int64_t W : *Panels) {
      unsigned V = unsigned((W + Cfg.Lanes - 1) / Cfg.Lanes);
      bool Narrow = V == 1 && hasColumnTiles(Cfg);
      if (MayInPlace) {
        if (Narrow && W <= InPlaceColumns && *S.N > Cfg.nr()) {
          ColsInPlace = true;
        } else {
          RowsInPlace = true;
          PanelVecs |= 1u << V;
        }
      }
      if (MayCopied) {
        if (Narrow && W <= Wide) {
          (W <= InPlaceColumns ? ColsNarrow : ColsWide) = true;
        } else {
          RowsCopied = true;
          PanelVecs |= 1u << V;
        }
      }
    }
  }
  AInPlace |= MayInPlace;
  if (MayCopied) {
    ACopied = true;
    ACopyContig |= mayBe(S.RsA, 1);
    ACopyAny |= mayNotBe(S.RsA, 1);
  }
  if (mayBe(S.CsB, 1))
    for (bool Whole : {true, false})
      (Whole ? BRowsWhole : BRowsPart) |=
          !Panels || llvm::any_of(*Panels, [&](int64_t W) {
            return (W == Cfg.nr()) == Whole;
          });
  if (mayNotBe(S.CsB, 1)) {
    BCols |= mayBe(S.RsB, 1) && Cfg.Lanes > 1;
    BAny |= mayNotBe(S.RsB, 1) || Cfg.Lanes <= 1;
  }
}
