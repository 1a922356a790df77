//===- Stack.h - Recursion as deep as the input, on any stack ---*- C++ -*-===//
//
// Walks over expressions recurse as deep as the input nests (an
// expression may nest up to 20,000 levels). Rather than asking every
// caller for a large stack, each recursive walk calls
// runWithSufficientStack at each level: while the current thread has room
// it simply calls, and when less than MinFreeStack is left it continues on
// a new thread with a fresh stack. A library user on a default 8 MiB
// thread (a unit test, the fuzzer, an embedding) is then as safe as the
// driver. This is clang's runWithSufficientStackSpace, for nnc.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_STACK_H
#define NNC_SUPPORT_STACK_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include <cstddef>
#include <optional>
#include <type_traits>

namespace nnc {

/// Stack that must be left before a recursive step: enough for the deepest
/// single step of any walk (a few frames), with sanitizers' larger frames.
constexpr size_t MinFreeStack = size_t(512) << 10;
/// The stack of each thread a walk continues on.
constexpr size_t StackChunk = size_t(64) << 20;

/// Whether the calling thread has less than MinFreeStack left.
bool isStackNearlyExhausted();

/// Calls \p Fn, on a new thread with StackChunk bytes of stack when this
/// thread's stack is nearly exhausted.
void runWithSufficientStack(llvm::function_ref<void()> Fn);

/// Calls \p Fn on a new thread with StackChunk bytes of stack, and waits.
void runOnNewStack(llvm::function_ref<void()> Fn);

/// For a recursive function, at its top:
///   if (isStackNearlyExhausted())
///     return continueOnNewStack([&] { return f(args); });
template <typename FnT> auto continueOnNewStack(FnT &&Fn) -> decltype(Fn()) {
  using R = decltype(Fn());
  if constexpr (std::is_void_v<R>) {
    runOnNewStack(Fn);
  } else {
    std::optional<R> Result;
    runOnNewStack([&] { Result.emplace(Fn()); });
    return std::move(*Result);
  }
}

/// Calls \p Fn on a thread that has at least \p Bytes of stack: this one if
/// it has them free, or a new one. For code whose recursion nnc cannot
/// instrument (ANTLR's generated parser), bounded by the input limits.
void runWithStackOf(size_t Bytes, llvm::function_ref<void()> Fn);

} // namespace nnc

#endif // NNC_SUPPORT_STACK_H
