//===- Outline.h - Large functions in parts of bounded size -----*- C++ -*-===//
//
// LLVM's optimizer and code generator take time that grows faster than the
// size of a function: Loop Strength Reduction visits, for each loop, every
// use of the values live across it; machine sinking, the register allocator
// and instruction selection have their own super-linear parts. Derived code
// (vjp of vjp of ...) makes functions of thousands of ops, whose -O2
// compile then takes minutes (docs/performance.md, "Compile time").
//
// So an entry point whose emitted code is large is cut, at op boundaries,
// into parts of at most a given number of LLVM instructions, each moved to
// a function of its own (internal, never inlined back) that the entry calls
// in order. Each part compiles in bounded time, so the whole compiles in
// time linear in the number of parts. A call per part costs nothing next to
// its loops; what is lost is optimization across the cut, where there is
// little to gain (each op already writes its result to memory).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_OUTLINE_H
#define NNC_LIB_CODEGEN_OUTLINE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/IR/Function.h"

namespace nnc::codegen {

/// \p Starts are the first blocks of consecutive regions of \p F, in order:
/// region I is every block from Starts[I] up to Starts[I + 1] in \p F's
/// layout, and each is entered only through its first block and left only
/// to the next region's (or to blocks outside every region, such as an
/// error exit). The last start only ends the last region. When the regions
/// hold more than \p MaxInstructions instructions in all, runs of
/// consecutive regions of at most that many (or a single larger region) are
/// moved to functions named \p F's name with ".partN". Returns how many.
unsigned outlineRegions(llvm::Function &F,
                        llvm::ArrayRef<llvm::BasicBlock *> Starts,
                        unsigned MaxInstructions);

} // namespace nnc::codegen

#endif
