//===- DeriveKind.cpp - The function transforms ---------------------------===//
#include "nnc/Support/DeriveKind.h"

using namespace nnc;

llvm::StringRef nnc::getDeriveKindName(DeriveKind K) {
  switch (K) {
  case DeriveKind::Grad:
    return "grad";
  case DeriveKind::ValueAndGrad:
    return "value_and_grad";
  case DeriveKind::Vjp:
    return "vjp";
  case DeriveKind::TrainStep:
    return "train_step";
  }
  return "?";
}

std::optional<DeriveKind> nnc::lookupDeriveKind(llvm::StringRef Name) {
  for (DeriveKind K : {DeriveKind::Grad, DeriveKind::ValueAndGrad,
                       DeriveKind::Vjp, DeriveKind::TrainStep})
    if (getDeriveKindName(K) == Name)
      return K;
  return std::nullopt;
}
