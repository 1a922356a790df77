//===- AD.h - Reverse-mode differentiation of IR functions ------*- C++ -*-===//
//
// AD turns each DerivedDecl of a module into an ordinary IR function: the
// forward ops of the function it derives, followed by the backward sweep
// that multiplies each op's local gradient by the upstream adjoint and adds
// adjoints where a value fans out. The result is IR like any other, so it
// is optimized, printed, compiled and differentiated again by the same code.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_AD_AD_H
#define NNC_AD_AD_H

#include "nnc/IR/IR.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

namespace nnc {

/// Materializes every DerivedDecl of \p M, in order, and clears the list.
/// \p AfterEach, if given, runs on the module after each derived function
/// is built, with that function's name: a driver passes its optimization
/// pipeline, so that a derivative of a derivative starts from optimized
/// code instead of the larger code AD emits (vjp⁵ of softmax: 705 ops
/// instead of 1733), and its limits (a size, Ctrl-C). An error from it
/// stops AD and is returned.
llvm::Error differentiateModule(
    ir::Module &M,
    llvm::function_ref<llvm::Error(ir::Module &, llvm::StringRef Built)>
        AfterEach = nullptr);

/// Builds the function \p D describes and adds it to \p M.
llvm::Expected<ir::Function *> differentiate(ir::Module &M,
                                             const ir::DerivedDecl &D);

/// Adds \p Name, the second half of a train step of \p Instance with
/// optimizer \p O: `(params..., state..., dparams..., loss, hyper...)`
/// updating the parameter and state structs in place as train_step does,
/// from the gradients given (one tensor per parameter, `d<name>`) instead
/// of computed. It returns `loss` unchanged as its first result, where a
/// train step returns its loss. The hyper-parameters and `loss` are scalars
/// of \p HyperKind (the loss's type). Data-parallel training sums the
/// gradients of several processes between the halves (docs/training.md).
llvm::Expected<ir::Function *>
buildOptimizerUpdate(ir::Module &M, llvm::StringRef Instance, ir::Optimizer O,
                     ElementKind HyperKind, llvm::StringRef Name);

} // namespace nnc

#endif // NNC_AD_AD_H
