//===- Stack.cpp - Recursion as deep as the input, on any stack -----------===//
#include "nnc/Support/Stack.h"
#include "llvm/Support/thread.h"
#include <cstdint>
#include <optional>
#include <pthread.h>

using namespace nnc;

/// The lowest address of the calling thread's stack (stacks grow down on
/// every target nnc runs on), found once per thread; 0 when unknown.
static uintptr_t getStackLimit() {
  thread_local uintptr_t Limit = [] {
    uintptr_t L = 0;
    pthread_attr_t Attr;
    if (pthread_getattr_np(pthread_self(), &Attr) == 0) {
      void *Addr = nullptr;
      size_t Size = 0;
      size_t Guard = 0;
      if (pthread_attr_getstack(&Attr, &Addr, &Size) == 0) {
        pthread_attr_getguardsize(&Attr, &Guard);
        L = reinterpret_cast<uintptr_t>(Addr) + Guard;
      }
      pthread_attr_destroy(&Attr);
    }
    return L;
  }();
  return Limit;
}

/// Where the caller's frame is on the machine stack. Not the address of a
/// local: AddressSanitizer may move locals to a "fake stack" on the heap
/// (detect_stack_use_after_return), and then every check would find the
/// stack exhausted and start a thread.
static inline __attribute__((always_inline)) uintptr_t getStackPointer() {
  return reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
}

bool nnc::isStackNearlyExhausted() {
  uintptr_t Limit = getStackLimit();
  if (!Limit)
    return false;
  return getStackPointer() < Limit + MinFreeStack;
}

/// Runs \p Fn on a new thread with \p Bytes of stack and waits for it.
static void runWithStackSize(size_t Bytes, llvm::function_ref<void()> Fn) {
  llvm::thread T(std::optional<unsigned>(Bytes), [Fn] { Fn(); });
  T.join();
}

void nnc::runOnNewStack(llvm::function_ref<void()> Fn) {
  runWithStackSize(StackChunk, Fn);
}

void nnc::runWithSufficientStack(llvm::function_ref<void()> Fn) {
  if (isStackNearlyExhausted())
    runOnNewStack(Fn);
  else
    Fn();
}

void nnc::runWithStackOf(size_t Bytes, llvm::function_ref<void()> Fn) {
  uintptr_t Limit = getStackLimit();
  uintptr_t SP = getStackPointer();
  if (Limit && SP > Limit && SP - Limit >= Bytes + MinFreeStack)
    Fn();
  else
    runWithStackSize(Bytes + MinFreeStack, Fn);
}
