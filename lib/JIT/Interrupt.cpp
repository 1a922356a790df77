//===- Interrupt.cpp ------------------------------------------------------===//
#include "nnc/JIT/Interrupt.h"
#include <csetjmp>
#include <csignal>

using namespace nnc::jit;

static volatile std::sig_atomic_t Interrupted = 0;
static volatile std::sig_atomic_t InGeneratedCode = 0;
static sigjmp_buf JumpBack;

void nnc::jit::handleInterrupt() {
  Interrupted = 1;
  if (InGeneratedCode) {
    InGeneratedCode = 0;
    siglongjmp(JumpBack, 1);
  }
}

bool nnc::jit::wasInterrupted() { return Interrupted; }
void nnc::jit::clearInterrupt() { Interrupted = 0; }

namespace {
class InterruptGate : public llvm::OptPassGate {
public:
  bool shouldRunPass(const llvm::StringRef, llvm::StringRef) override {
    return !Interrupted;
  }
  bool isEnabled() const override { return true; }
};
} // namespace

llvm::OptPassGate &nnc::jit::getInterruptGate() {
  static InterruptGate Gate;
  return Gate;
}

bool nnc::jit::runInterruptibly(llvm::function_ref<void()> Fn) {
  if (Interrupted)
    return false;
  // The signal mask is saved and restored: the jump leaves the handler.
  if (sigsetjmp(JumpBack, /*savemask=*/1))
    return false;
  InGeneratedCode = 1;
  Fn();
  InGeneratedCode = 0;
  return !Interrupted;
}
