//===- Outline.cpp - Large functions in parts of bounded size -------------===//
#include "Outline.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Transforms/Utils/CodeExtractor.h"

using namespace nnc;
using namespace nnc::codegen;

unsigned codegen::outlineRegions(llvm::Function &F,
                                 llvm::ArrayRef<llvm::BasicBlock *> Starts,
                                 unsigned MaxInstructions) {
  if (MaxInstructions == 0 || Starts.size() < 2)
    return 0;
  // The blocks of each region and its size, from one walk of the layout.
  llvm::DenseMap<llvm::BasicBlock *, unsigned> StartIndex;
  for (unsigned I = 0; I < Starts.size(); ++I)
    StartIndex[Starts[I]] = I;
  unsigned NumRegions = Starts.size() - 1;
  std::vector<std::vector<llvm::BasicBlock *>> Blocks(NumRegions);
  std::vector<uint64_t> Size(NumRegions, 0);
  uint64_t Total = 0;
  int Current = -1;
  for (llvm::BasicBlock &BB : F) {
    auto It = StartIndex.find(&BB);
    if (It != StartIndex.end())
      Current = It->second < NumRegions ? int(It->second) : -1;
    if (Current < 0)
      continue;
    Blocks[Current].push_back(&BB);
    Size[Current] += BB.size();
    Total += BB.size();
  }
  if (Total <= MaxInstructions)
    return 0;

  // Greedy runs of consecutive regions, each as large as the bound allows.
  std::vector<std::vector<llvm::BasicBlock *>> Parts;
  uint64_t PartSize = 0;
  for (unsigned I = 0; I < NumRegions; ++I) {
    if (Blocks[I].empty())
      continue;
    if (Parts.empty() || PartSize + Size[I] > MaxInstructions) {
      Parts.emplace_back();
      PartSize = 0;
    }
    Parts.back().insert(Parts.back().end(), Blocks[I].begin(),
                        Blocks[I].end());
    PartSize += Size[I];
  }

  // The cache of what CodeExtractor needs to know of F, which extracting
  // one part keeps valid for the next: without it each extraction would
  // walk the whole function again.
  llvm::CodeExtractorAnalysisCache Cache(F);
  unsigned Made = 0;
  for (const std::vector<llvm::BasicBlock *> &Part : Parts) {
    llvm::CodeExtractor CE(Part, /*DT=*/nullptr, /*AggregateArgs=*/false,
                           /*BFI=*/nullptr, /*BPI=*/nullptr, /*AC=*/nullptr,
                           /*AllowVarArgs=*/false, /*AllowAlloca=*/true,
                           /*AllocationBlock=*/nullptr,
                           ("part" + llvm::Twine(Made)).str());
    if (!CE.isEligible())
      continue;
    llvm::Function *P = CE.extractCodeRegion(Cache);
    if (!P)
      continue;
    // Inlining it back would undo the point; its callers are one call site.
    P->addFnAttr(llvm::Attribute::NoInline);
    ++Made;
  }
  return Made;
}
