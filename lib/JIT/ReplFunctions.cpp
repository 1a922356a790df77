//===- ReplFunctions.cpp - Commands about a function: :type, :ir, :list ---===//
//
// The commands that show a function of the session rather than run it:
// :type of a function, :ir, :grad, :nn, :llvm and :asm, and :list with
// each function's signature. They compile the function (or a transform of
// it, such as `grad(f, x)`) with the session and print one stage of it.
//
//===----------------------------------------------------------------------===//
#include "ReplInternal.h"
#include "nnc/AST/AST.h"
#include "nnc/JIT/Candidate.h"
#include "nnc/JIT/Repl.h"
#include "llvm/ADT/StringExtras.h"

using namespace nnc;
using namespace nnc::jit;

//===----------------------------------------------------------------------===//
// Functions as values: :type, :ir, :grad, :nn, :llvm, :asm
//===----------------------------------------------------------------------===//

/// An identifier for a function written as an expression: `grad(f, x)`
/// prints as `grad_f_x`.
static std::string displayName(llvm::StringRef Text) {
  std::string Name;
  for (char C : Text) {
    if (llvm::isAlnum(C) || C == '_')
      Name += C;
    else if (!Name.empty() && Name.back() != '_')
      Name += '_';
  }
  while (!Name.empty() && Name.back() == '_')
    Name.pop_back();
  return Name;
}

namespace {
/// A function a command is about, compiled with the session.
struct FunctionView {
  std::unique_ptr<Candidate> C;
  std::string Name;    // in C's IR
  std::string Display; // as printed
};
} // namespace

/// When \p Arg is a method of an instance of the session (`net.loss`), the
/// name of its function (`net_loss`), or of its gradient's with \p Grad;
/// an empty name after an error (reported). Nothing when \p Arg is not
/// one.
static std::optional<std::string> resolveMethod(Candidate &C, const Input &Arg,
                                                bool Grad) {
  llvm::StringRef Text = llvm::StringRef(Arg.Text).trim();
  auto [Inst, Method] = Text.split('.');
  Inst = Inst.rtrim();
  Method = Method.ltrim();
  const SessionDecl *D = C.getSession().lookup(Inst);
  if (!isIdentifier(Inst) || !isIdentifier(Method) || !D || D->IsValue ||
      !D->Data)
    return std::nullopt;
  // Parsed for the places of its names only.
  const ast::Expr *E = C.addExpression(Arg, SessionArgs());
  if (!E)
    return std::string();
  const auto *M = llvm::dyn_cast<ast::MemberExpr>(E);
  llvm::SMRange Where = M ? M->MemberRange : E->getRange();
  C.getAST().Decls.pop_back();
  // The instance's layer, as the session declares it (before Sema, which
  // runs once the function is added).
  const ast::LayerDecl *Layer = nullptr;
  for (const ast::DeclPtr &Decl : C.getAST().Decls)
    if (const auto *L = llvm::dyn_cast<ast::LetDecl>(Decl.get());
        L && L->Name == Inst)
      if (const auto *Call =
              llvm::dyn_cast_or_null<ast::CallExpr>(L->Value.get()))
        if (const auto *N = llvm::dyn_cast<ast::NameExpr>(Call->Callee.get()))
          for (const ast::DeclPtr &Other : C.getAST().Decls)
            if (Other->Name == N->Name)
              Layer = llvm::dyn_cast<ast::LayerDecl>(Other.get());
  if (!Layer) {
    C.error(Where.Start, "'" + Inst + "' is not an instance");
    return std::string();
  }
  int K = Layer->findMember(Method);
  if (K < 0 || Layer->Members[K].TheKind != ast::LayerMember::Method) {
    C.getDiags().report(Where, DiagID::err_no_method, Inst, Method);
    return std::string();
  }
  if (!Grad)
    return (Inst + "_" + Method).str();
  if (!C.addWrapped(Arg, "fn __nnc_fn = grad(", ");", FnWrapperName))
    return std::string();
  return FnWrapperName.str();
}

/// Compiles the function that \p Arg names: a function of the session or a
/// transform such as `grad(f, x)`. With \p GradOfPlain, a function that is
/// not itself derived is replaced by its gradient (for :grad). Optimized
/// with nnc's passes when \p Optimize.
static std::optional<FunctionView>
compileFunction(const Session &S, const Input &Arg, llvm::raw_ostream &Err,
                bool Colors, unsigned MaxOps, bool GradOfPlain, bool Optimize) {
  FunctionView V;
  V.C = std::make_unique<Candidate>(S, Err, Colors);
  V.C->setMaxOps(MaxOps);
  Candidate &C = *V.C;
  C.addSession();
  llvm::StringRef Text = llvm::StringRef(Arg.Text).trim();
  if (isIdentifier(Text)) {
    const ast::Decl *D = nullptr;
    for (const ast::DeclPtr &Decl : C.getAST().Decls)
      if (Decl->Name == Text)
        D = Decl.get();
    if (!D) {
      // Parsed only for its place in the input.
      if (const ast::Expr *E = C.addWrapped(Arg, "fn __nnc_expr() =", ";",
                                            ExprWrapperName))
        C.error(E->getLoc(), "no function named '" + Text + "' in the session");
      return std::nullopt;
    }
    V.Name = V.Display = Text.str();
    if (GradOfPlain && !llvm::isa<ast::DerivedFnDecl>(D)) {
      if (!C.addWrapped(Arg, "fn __nnc_fn = grad(", ");", FnWrapperName))
        return std::nullopt;
      V.Name = FnWrapperName.str();
      V.Display = displayName(("grad(" + Text + ")").str());
    }
  } else if (std::optional<std::string> Method =
                 resolveMethod(C, Arg, GradOfPlain)) {
    if (Method->empty())
      return std::nullopt;
    V.Name = V.Display = *Method;
    if (*Method == FnWrapperName)
      V.Display = displayName(("grad(" + Text + ")").str());
  } else {
    const ast::Expr *E = C.addWrapped(Arg, "fn __nnc_fn =", ";", FnWrapperName);
    if (!E)
      return std::nullopt;
    V.Name = FnWrapperName.str();
    V.Display = displayName(Text);
  }
  if (!C.check() || !C.lower({V.Name}, Optimize) ||
      (Optimize && !C.optimize()))
    return std::nullopt;
  ir::Function *F = C.getIR().lookup(V.Name);
  if (!F) {
    C.error(llvm::SMLoc(), "internal error: '" + V.Name + "' was not built");
    return std::nullopt;
  }
  F->Name = V.Display;
  V.Name = V.Display;
  return V;
}

/// `fn(x: f64, y: f64) -> f64`, as an input calls it: the parameters of an
/// instance, which the session passes, are left out.
static std::string signature(const ir::Function &F) {
  std::string Sig = "fn(";
  bool First = true;
  const ir::Function::ABIStruct &PS = F.ParamStruct;
  for (unsigned I = 0; I < F.getNumParams(); ++I) {
    if (PS.Count && !PS.IsGrads && I >= PS.First && I < PS.First + PS.Count)
      continue;
    // The session passes an instance's mode too (`:mode`, issue 12); Sema
    // refuses methods' own parameters of these names in such layers.
    llvm::StringRef Name = F.getParamName(I);
    if (!PS.Instance.empty() &&
        ((Name == "training" &&
          F.getParamType(I) == ir::Type::scalar(ElementKind::Bool)) ||
         (Name == "seed" &&
          F.getParamType(I) == ir::Type::scalar(ElementKind::I64))))
      continue;
    if (!First)
      Sig += ", ";
    First = false;
    Sig += Name.str() + ": " + F.getParamType(I).str();
  }
  // A method that updates state returns it to the session, not to the
  // input: the value is the first leaf.
  if (F.returnsLayerState() && F.ResultType.isTuple())
    return Sig + ") -> " + F.ResultType.getElements()[0].str();
  return Sig + ") -> " + F.ResultType.str();
}

Outcome Repl::describeFunction(const Input &In) {
  std::optional<FunctionView> V = compileFunction(
      S, stripArgument(In), Err, Opts.ShowColors, Opts.MaxOps, false, false);
  if (!V)
    return failure();
  Out << signature(*V->C->getIR().lookup(V->Name)) << '\n';
  return Outcome();
}

Outcome Repl::showType(const Input &Arg) {
  bool FunctionValued = false;
  auto C = std::make_unique<Candidate>(S, Err, Opts.ShowColors);
  C->setMaxOps(Opts.MaxOps);
  C->addSession();
  const ast::Expr *E = C->addExpression(Arg, getSessionArgs(S));
  if (!E)
    return failure();
  FunctionValued = isFunctionValued(*E, S);
  if (FunctionValued)
    return describeFunction(Arg);
  if (!C->check())
    return failure();
  const auto *W = llvm::cast<ast::FnDecl>(C->getAST().Decls.back().get());
  Out << W->Result.str() << '\n';
  return Outcome();
}

Outcome Repl::show(llvm::StringRef Command, const Input &Arg) {
  bool Grad = Command == "grad";
  std::optional<FunctionView> V =
      compileFunction(S, Arg, Err, Opts.ShowColors, Opts.MaxOps, Grad, !Grad);
  if (!V)
    return failure();
  ir::Module &IR = V->C->getIR();
  if (Command == "ir" || Grad) {
    ir::printFunction(*IR.lookup(V->Name), Out);
    return Outcome();
  }
  std::unique_ptr<ir::Module> Sub = extractFunction(IR, V->Name);
  Sub->lookup(V->Name)->Exported = true;
  if (Command == "nn") {
    ir::printModuleAsNN(*Sub, Out);
    return Outcome();
  }
  if (Command == "llvm") {
    llvm::LLVMContext Ctx;
    auto LM = emitOptimizedModule(*Sub, Ctx);
    if (!LM) {
      reportError(Err, LM.takeError());
      return failure();
    }
    (*LM)->print(Out, nullptr);
    return Outcome();
  }
  auto Asm = emitAssembly(*Sub);
  if (!Asm) {
    reportError(Err, Asm.takeError());
    return failure();
  }
  Out << *Asm;
  return Outcome();
}

Outcome Repl::list() {
  if (S.getDecls().empty()) {
    Out << "(nothing declared yet)\n";
    return Outcome();
  }
  Candidate C(S, Err, Opts.ShowColors);
  C.setMaxOps(Opts.MaxOps);
  C.addSession();
  if (!C.check() || !C.lower())
    return failure();
  const ir::Module &M = C.getIR();
  for (const SessionDecl &D : S.getDecls()) {
    if (D.IsValue) {
      Out << D.Name << ": " << D.Data->front().getTypeString() << '\n';
      continue;
    }
    if (const ir::Function *F = M.lookup(D.Name)) {
      Out << D.Name << ": " << signature(*F) << '\n';
      continue;
    }
    const ast::LetDecl *Inst = nullptr;
    for (const ast::DeclPtr &Decl : C.getAST().Decls)
      if (Decl->Name == D.Name)
        Inst = llvm::dyn_cast<ast::LetDecl>(Decl.get());
    if (Inst && Inst->Layer) {
      // An instance: what an input may name of it, as it names it.
      Out << D.Name << ": " << Inst->Layer->Name << '(';
      for (size_t I = 0; I < Inst->LayerArgs.size(); ++I)
        Out << (I ? ", " : "") << Inst->LayerArgs[I].Factor;
      size_t N = D.Data ? D.Data->size() : 0;
      Out << "), " << N << " parameter" << (N == 1 ? "" : "s") << '\n';
      if (D.Data)
        for (const StoredTensor &T : *D.Data)
          Out << "  " << D.Name << '.' << T.Name << ": " << T.getTypeString()
              << '\n';
      for (const ast::LayerMember &LM : Inst->Layer->Members)
        if (LM.TheKind == ast::LayerMember::Method)
          if (const ir::Function *F = M.lookup(D.Name + "_" + LM.Name))
            Out << "  " << D.Name << '.' << LM.Name << ": " << signature(*F)
                << '\n';
      continue;
    }
    // What lowers to nothing by itself is a layer: its instances have code.
    if (!M.lookupDerived(D.Name))
      Out << D.Name << ": layer\n";
  }
  return Outcome();
}
