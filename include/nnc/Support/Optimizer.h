//===- Optimizer.h - The optimizers of train_step ---------------*- C++ -*-===//
//
// Shared by Sema (the derived signature), IRGen (the state struct) and AD
// (the update), so their spellings and argument lists cannot disagree.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_OPTIMIZER_H
#define NNC_SUPPORT_OPTIMIZER_H

#include "llvm/ADT/StringRef.h"
#include <optional>
#include <string>
#include <vector>

namespace nnc {

/// torch.optim's SGD, SGD with momentum, Adam and AdamW
/// (docs/language.md, "Training").
enum class Optimizer { SGD, Momentum, Adam, AdamW };

/// `sgd`, `momentum`, `adam`, `adamw`: the spelling in `train_step(f, OPT)`.
llvm::StringRef getOptimizerName(Optimizer O);
std::optional<Optimizer> lookupOptimizer(llvm::StringRef Name);
/// The run-time scalar arguments of \p O, in order: `lr`, then `momentum`
/// or `beta1, beta2, eps`, then `weight_decay`.
std::vector<std::string> getHyperParameterNames(Optimizer O);
/// The prefixes of the per-parameter state fields (`buf`, or `m` and `v`);
/// Adam and AdamW also keep the step count `t`.
std::vector<std::string> getStatePrefixes(Optimizer O);
bool hasStepCount(Optimizer O);

} // namespace nnc

#endif
