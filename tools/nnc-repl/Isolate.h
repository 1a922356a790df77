//===- Isolate.h - Where an input is evaluated ------------------*- C++ -*-===//
//
// By default an input is evaluated in the REPL's process, on a thread of its
// own. With --isolate each input runs in a fork of the REPL instead. The child compiles, runs and
// prints; the parent, which holds the session, receives only the outcome
// (the declarations accepted) through a pipe and applies it. So:
//   * Ctrl-C cancels anything, a long compilation included: the child is
//     killed, and nothing it did needs undoing;
//   * a crash while compiling or running an input is reported as an error
//     and the session goes on;
//   * the code compiled for an input is released with the child.
// It costs a fork and the page faults of a fresh process, some 30 ms an
// input, which is why it is not the default.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_TOOLS_REPL_ISOLATE_H
#define NNC_TOOLS_REPL_ISOLATE_H

#include "nnc/JIT/Repl.h"

namespace nnc::repl {

/// Evaluates \p In in a child process and returns its outcome. The child
/// runs the compiler on a thread with a large stack.
jit::Outcome evaluateIsolated(jit::Repl &R, const jit::Input &In);

/// Evaluates \p In in this process, on a thread with a large stack that
/// alone receives SIGINT meanwhile (see nnc/JIT/Interrupt.h).
jit::Outcome evaluateInProcess(jit::Repl &R, const jit::Input &In);

} // namespace nnc::repl

#endif // NNC_TOOLS_REPL_ISOLATE_H
