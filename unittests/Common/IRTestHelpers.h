//===- IRTestHelpers.h - Shared by the IR unit tests ------------*- C++ -*-===//
#ifndef NNC_UNITTESTS_COMMON_IRTESTHELPERS_H
#define NNC_UNITTESTS_COMMON_IRTESTHELPERS_H

#include "nnc/IR/IR.h"
#include "llvm/Support/raw_ostream.h"
#include <string>

namespace nnc::ir::testing {

inline const Type F64 = Type::scalar(ElementKind::F64);
inline const Type F32 = Type::scalar(ElementKind::F32);
inline const Type I32 = Type::scalar(ElementKind::I32);
inline const Type I64 = Type::scalar(ElementKind::I64);
inline const Type Bool = Type::scalar(ElementKind::Bool);

/// The printed form, which is what lit tests see too.
inline std::string print(const Module &M) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  printModule(M, OS);
  return S;
}
inline std::string print(const Function &F) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  printFunction(F, OS);
  return S;
}

} // namespace nnc::ir::testing

#endif
