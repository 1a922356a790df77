//===- CheckSymbols.cpp - What the C ABI needs of a module's names --------===//
//
// Rules that come from compiling to an object file with a C ABI rather than
// from the language itself, checked here so that every user error has a
// place and -fsyntax-only and the REPL see it:
//
// * every dimension variable of a function's parameters must be the size
//   of some axis on its own (`f64[n]`, or `f64[2 * n]`), since a C caller
//   passes axis sizes, not dimension variables: `f64[n * n]` alone cannot
//   give `n`;
// * an exported symbol must not be a C library function that generated code
//   calls (`fn exp` would capture LLVM's calls to libm's exp), a word a C
//   header cannot declare (with --header), the workspace size function
//   `<name>_workspace_size` of another exported function, or an instance's
//   parameter table `<inst>_params_table` or `<inst>_params_count`.
//
// CodeGen keeps the same checks, for IR input (-x ir), where Sema does not
// run.
//
//===----------------------------------------------------------------------===//
#include "Checker.h"
#include "nnc/Sema/Sema.h"
#include "nnc/Support/ReservedNames.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

using namespace nnc;
using namespace nnc::ast;

/// Reports each dimension variable of \p F's parameters that no axis is on
/// its own. \p Bound are the variables given otherwise (a layer's
/// arguments, for a method).
static void checkDimsBindable(const FnDecl &F, const llvm::StringSet<> &Bound,
                              DiagnosticEngine &Diags) {
  llvm::StringSet<> Alone;
  for (const Param &P : F.Params)
    if (P.DeclaredType)
      for (const DimSyntax &D : P.DeclaredType->Dims) {
        const DimSyntax::Factor *Named = nullptr;
        unsigned NumNamed = 0;
        for (const DimSyntax::Factor &X : D.Factors)
          if (!X.Name.empty()) {
            Named = &X;
            ++NumNamed;
          }
        if (NumNamed == 1)
          Alone.insert(Named->Name);
      }
  llvm::StringSet<> Reported;
  for (const Param &P : F.Params)
    if (P.DeclaredType)
      for (const DimSyntax &D : P.DeclaredType->Dims)
        for (const DimSyntax::Factor &X : D.Factors)
          if (!X.Name.empty() && !Bound.contains(X.Name) &&
              !Alone.contains(X.Name) && Reported.insert(X.Name).second)
            Diags.report(X.Range, DiagID::err_dim_not_bindable, X.Name);
}

void sema::checkExportedSymbols(const Module &M, DiagnosticEngine &Diags,
                                const SemaOptions &Opts) {
  // Every function a caller in C sees, with the place that names it.
  std::vector<std::pair<std::string, llvm::SMRange>> Exports;
  // The symbols of each instance's parameter table -> the instance.
  llvm::StringMap<std::string> Tables;
  for (const DeclPtr &D : M.Decls) {
    if (auto *F = llvm::dyn_cast<FnDecl>(D.get())) {
      checkDimsBindable(*F, {}, Diags);
      Exports.push_back({F->Name, F->NameRange});
    } else if (llvm::isa<DerivedFnDecl>(D.get())) {
      Exports.push_back({D->Name, D->NameRange});
    } else if (auto *L = llvm::dyn_cast<LayerDecl>(D.get())) {
      llvm::StringSet<> Args;
      for (const Param &P : L->Params)
        Args.insert(P.Name);
      for (const LayerMember &LM : L->Members)
        if (LM.TheKind == LayerMember::Method && LM.MethodDecl)
          checkDimsBindable(*LM.MethodDecl, Args, Diags);
    } else if (auto *LD = llvm::dyn_cast<LetDecl>(D.get())) {
      if (!LD->Layer)
        continue;
      Exports.push_back({LD->Name + "_init", LD->NameRange});
      for (const char *Suffix : {"_params_table", "_params_count"})
        Tables.try_emplace(Opts.SymbolPrefix + LD->Name + Suffix, LD->Name);
      for (const LayerMember &LM : LD->Layer->Members)
        if (LM.TheKind == LayerMember::Method)
          Exports.push_back({LD->Name + "_" + LM.Name, LD->NameRange});
    }
  }
  if (!Opts.ExportsSymbols && !Opts.CHeader)
    return;
  llvm::StringMap<std::string> BySymbol;
  for (const auto &[Name, Range] : Exports)
    BySymbol.try_emplace(Opts.SymbolPrefix + Name, Name);
  for (const auto &[Name, Range] : Exports) {
    std::string Symbol = Opts.SymbolPrefix + Name;
    if (Symbol == "main")
      Diags.report(Range, DiagID::err_symbol_main, Name);
    else if (Opts.ExportsSymbols && codegen::isCLibrarySymbol(Symbol))
      Diags.report(Range, DiagID::err_symbol_c_library, Symbol);
    else if (Opts.CHeader && codegen::isReservedInHeader(Symbol))
      Diags.report(Range, DiagID::err_symbol_c_header, Name);
    if (Opts.ExportsSymbols)
      if (auto It = Tables.find(Symbol); It != Tables.end())
        Diags.report(Range, DiagID::err_symbol_param_table, Name, It->second);
    llvm::StringRef Stem(Symbol);
    if (Opts.ExportsSymbols && Stem.consume_back("_workspace_size")) {
      auto It = BySymbol.find(Stem);
      if (It != BySymbol.end())
        Diags.report(Range, DiagID::err_symbol_workspace_size, Symbol,
                     It->second);
    }
  }
}
