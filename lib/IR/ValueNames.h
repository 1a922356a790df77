//===- ValueNames.h - Unique printable names for a function's values ------===//
#ifndef NNC_LIB_IR_VALUENAMES_H
#define NNC_LIB_IR_VALUENAMES_H

#include "nnc/IR/IR.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include <string>
#include <vector>

namespace nnc::ir {

/// Gives every value of \p F a unique name: its hint when it has one (with a
/// suffix `<Sep>N` on clashes), else a number (IR) or `t<N>` (.nn). Names in
/// \p Reserved are never used. With \p Wanted, only the values it marks
/// (and the parameters) get a name.
inline std::vector<std::string>
assignValueNames(const Function &F, char Sep, bool Identifiers,
                 const llvm::StringSet<> &Reserved = {},
                 const std::vector<bool> *Wanted = nullptr) {
  std::vector<std::string> Names(F.Ops.size());
  llvm::StringSet<> Used;
  for (const auto &R : Reserved)
    Used.insert(R.getKey());
  // The next suffix to try per base name: a name repeated n times costs
  // O(n), not O(n^2).
  llvm::StringMap<unsigned> NextSuffix;
  auto Claim = [&](std::string Base) {
    if (Identifiers) {
      // Names read from IR text may hold characters .nn identifiers cannot.
      for (char &C : Base)
        if (!llvm::isAlnum(C) && C != '_')
          C = '_';
      if (Base.empty() || llvm::isDigit(Base[0]))
        Base = "v" + Base;
    }
    std::string N = Base;
    unsigned &I = NextSuffix[Base];
    while (Used.contains(N))
      N = Base + Sep + std::to_string(++I);
    Used.insert(N);
    return N;
  };
  // Parameters keep their names first, so body values never take them.
  unsigned Counter = 0;
  for (size_t I = 0; I < F.Ops.size(); ++I) {
    const Op &O = F.Ops[I];
    if (O.Kind == OpKind::Param)
      Names[I] = Claim(O.Name.empty() ? "arg" + std::to_string(I) : O.Name);
  }
  for (size_t I = 0; I < F.Ops.size(); ++I) {
    const Op &O = F.Ops[I];
    if (O.Kind == OpKind::Param || O.Kind == OpKind::Return)
      continue;
    if (Wanted && !(*Wanted)[I])
      continue;
    if (!O.Name.empty())
      Names[I] = Claim(O.Name);
    else if (Identifiers)
      Names[I] = Claim("t" + std::to_string(Counter++));
    else
      Names[I] = Claim(std::to_string(Counter++));
  }
  return Names;
}

} // namespace nnc::ir

#endif
