//===- Optimizer.cpp - The optimizers of train_step -----------------------===//
#include "nnc/Support/Optimizer.h"

using namespace nnc;

llvm::StringRef nnc::getOptimizerName(Optimizer O) {
  switch (O) {
  case Optimizer::SGD:
    return "sgd";
  case Optimizer::Momentum:
    return "momentum";
  case Optimizer::Adam:
    return "adam";
  case Optimizer::AdamW:
    return "adamw";
  }
  return "?";
}

std::optional<Optimizer> nnc::lookupOptimizer(llvm::StringRef Name) {
  for (Optimizer O : {Optimizer::SGD, Optimizer::Momentum, Optimizer::Adam,
                      Optimizer::AdamW})
    if (getOptimizerName(O) == Name)
      return O;
  return std::nullopt;
}

std::vector<std::string> nnc::getHyperParameterNames(Optimizer O) {
  switch (O) {
  case Optimizer::SGD:
    return {"lr", "weight_decay"};
  case Optimizer::Momentum:
    return {"lr", "momentum", "weight_decay"};
  case Optimizer::Adam:
  case Optimizer::AdamW:
    return {"lr", "beta1", "beta2", "eps", "weight_decay"};
  }
  return {};
}

std::vector<std::string> nnc::getStatePrefixes(Optimizer O) {
  switch (O) {
  case Optimizer::SGD:
    return {};
  case Optimizer::Momentum:
    return {"buf"};
  case Optimizer::Adam:
  case Optimizer::AdamW:
    return {"m", "v"};
  }
  return {};
}

bool nnc::hasStepCount(Optimizer O) {
  return O == Optimizer::Adam || O == Optimizer::AdamW;
}
