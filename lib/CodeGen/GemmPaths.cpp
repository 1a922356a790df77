//===- GemmPaths.cpp - The kernel's paths a module's products take --------===//
//
// See GemmPaths.h. Each decision mirrors a branch of GemmEmitter
// (Gemm.cpp): isDirect, the row chunks of emitDirect, the panels of
// emitBlocked and packB, the layouts of A in emitBlocked and packA.
//
//===----------------------------------------------------------------------===//
#include "GemmPaths.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/IR/Constants.h"
#include <optional>
#include <vector>

using namespace nnc;
using namespace nnc::codegen;

GemmPaths GemmPaths::all() {
  GemmPaths P;
  P.Direct = P.Blocked = P.DirectVector = P.DirectScalar = true;
  P.ChunkVecs = P.PanelVecs = ~0u;
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

void GemmPaths::addCall(const llvm::CallBase &Call, const GemmConfig &Cfg) {
  auto Arg = [&](unsigned I) -> std::optional<int64_t> {
    if (auto *C = llvm::dyn_cast<llvm::ConstantInt>(Call.getArgOperand(I)))
      return C->getSExtValue();
    return std::nullopt;
  };
  // The arguments' order is getGemmFunction's.
  std::optional<int64_t> M = Arg(0), N = Arg(1), K = Arg(2), RsA = Arg(4),
                         CsA = Arg(5), RsB = Arg(7), CsB = Arg(8);
  auto MayBe = [](std::optional<int64_t> X, int64_t V) {
    return !X || *X == V;
  };
  auto MayNotBe = [](std::optional<int64_t> X, int64_t V) {
    return !X || *X != V;
  };
  // The widths (in columns) of the pieces N is cut into: blocks of Outer,
  // each in pieces of Inner, the last of each shorter; nullopt: any.
  auto Pieces = [&](int64_t Outer,
                    int64_t Inner) -> std::optional<std::vector<int64_t>> {
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
  };
  auto VecsOf = [&](const std::optional<std::vector<int64_t>> &Widths) {
    if (!Widths)
      return ~0u;
    unsigned Bits = 0;
    for (int64_t W : *Widths)
      Bits |= 1u << ((W + Cfg.Lanes - 1) / Cfg.Lanes);
    return Bits;
  };
  bool SurelyDirect =
      (M && *M <= Cfg.DirectRows) || (K && *K <= Cfg.DirectDepth);
  bool SurelyBlocked = M && K && *M > Cfg.DirectRows && *K > Cfg.DirectDepth;
  if (!SurelyBlocked) {
    Direct = true;
    DirectScalar |= MayNotBe(CsB, 1);
    if (MayBe(CsB, 1)) {
      DirectVector = true;
      int64_t Chunk = int64_t(directVecs(Cfg)) * Cfg.Lanes;
      ChunkVecs |= VecsOf(Pieces(Chunk, Chunk));
    }
  }
  if (!SurelyDirect) {
    Blocked = true;
    std::optional<std::vector<int64_t>> Panels = Pieces(Cfg.NC, Cfg.nr());
    PanelVecs |= VecsOf(Panels);
    AInPlace |= MayBe(CsA, 1);
    if (MayNotBe(CsA, 1)) {
      ACopied = true;
      ACopyContig |= MayBe(RsA, 1);
      ACopyAny |= MayNotBe(RsA, 1);
    }
    if (MayBe(CsB, 1))
      for (bool Whole : {true, false})
        (Whole ? BRowsWhole : BRowsPart) |=
            !Panels || llvm::any_of(*Panels, [&](int64_t W) {
              return (W == Cfg.nr()) == Whole;
            });
    if (MayNotBe(CsB, 1)) {
      BCols |= MayBe(RsB, 1) && Cfg.Lanes > 1;
      BAny |= MayNotBe(RsB, 1) || Cfg.Lanes <= 1;
    }
  }
}
