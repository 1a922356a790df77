//===- Interrupt.h - Ctrl-C during a computation ----------------*- C++ -*-===//
//
// Ctrl-C must stop a long computation without ending the session. The
// REPL's SIGINT handler calls handleInterrupt(): while JIT-compiled code
// runs (inside runInterruptibly) it jumps straight out of it with
// siglongjmp; anywhere else it only sets a flag that the REPL checks
// between steps.
//
// Leaving generated code that way is sound because that code holds no
// locks, allocates nothing and has no state to leave half-updated: a
// function body is pure arithmetic on registers and the caller's result
// slots. (Code that allocates — tensors, once they land — must then be
// stopped another way.) Compiling stops at the next LLVM pass: the module's
// LLVMContext has getInterruptGate() as its pass gate, which skips every
// optional pass once Ctrl-C came, so the compiler returns within one pass
// and the input is dropped before anything runs.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_JIT_INTERRUPT_H
#define NNC_JIT_INTERRUPT_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/IR/OptBisect.h"

namespace nnc::jit {

/// Async-signal-safe: for the SIGINT handler.
void handleInterrupt();

/// Whether Ctrl-C came since the last clearInterrupt().
bool wasInterrupted();
void clearInterrupt();

/// An LLVM pass gate that lets passes run until Ctrl-C comes; required
/// passes run anyway, so the code stays valid (and is then not run).
llvm::OptPassGate &getInterruptGate();

/// Runs \p Fn (which calls generated code); returns false if Ctrl-C
/// stopped it. Only the thread that receives SIGINT may use it: the REPL
/// blocks SIGINT in every other thread while it runs.
bool runInterruptibly(llvm::function_ref<void()> Fn);

} // namespace nnc::jit

#endif // NNC_JIT_INTERRUPT_H
