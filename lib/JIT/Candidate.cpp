//===- Candidate.cpp - Compiling the session with one input ---------------===//
#include "nnc/JIT/Candidate.h"
#include "nnc/AD/AD.h"
#include "nnc/IRGen/IRGen.h"
#include "nnc/JIT/InputScanner.h"
#include "nnc/JIT/Interrupt.h"
#include "nnc/Parse/Parser.h"
#include "nnc/Sema/Sema.h"
#include "nnc/Transforms/Passes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"

using namespace nnc;
using namespace nnc::jit;

bool jit::isIdentifier(llvm::StringRef Name) {
  if (Name.empty() || llvm::isDigit(Name[0]))
    return false;
  return llvm::all_of(Name, [](char C) { return llvm::isAlnum(C) || C == '_'; });
}

Candidate::Candidate(const Session &S, llvm::raw_ostream &Diag,
                     bool ShowColors)
    : S(S), Diag(Diag), Diags(SM, Diag) {
  Diags.setShowColors(ShowColors);
}

unsigned Candidate::addBuffer(std::string Text, llvm::StringRef Name,
                              int LineOffset) {
  unsigned ID = SM.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(Text, Name), llvm::SMLoc());
  Diags.setLineOffset(ID, LineOffset);
  return ID;
}

/// Whether \p Text parses without a syntax error.
static bool parsesCleanly(llvm::StringRef Text) {
  llvm::SourceMgr Scratch;
  unsigned ID = Scratch.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(Text, "<scratch>"), llvm::SMLoc());
  DiagnosticEngine Quiet(Scratch, llvm::nulls());
  parseModule(ID, Quiet);
  return !Quiet.hasErrors();
}

std::optional<std::vector<SessionDecl>>
Candidate::addDeclarations(const Input &In, bool Lenient) {
  // `fn f(x) = x` may omit its `;`, while `fn f(x) { ... }` has none: the
  // text is taken as it is when it parses so, else with a `;` at its end.
  // When neither parses, the errors shown are those of the form the text
  // most likely meant.
  std::string Text = In.Text;
  // The `;` goes on a line of its own, so that the lines diagnostics echo
  // are the user's.
  if (Lenient && !endsWithToken(Text, ';') && !parsesCleanly(Text) &&
      (parsesCleanly(Text + "\n;") || !endsWithToken(Text, '}')))
    Text += "\n;";
  unsigned ID = addBuffer(Text, In.SourceName, static_cast<int>(In.Line) - 1);
  std::unique_ptr<ast::Module> M = parseModule(ID, Diags);
  if (Diags.hasErrors() || !M)
    return std::nullopt;
  // The REPL's wrappers are functions too: their names stay free.
  bool Reserved = false;
  for (const ast::DeclPtr &D : M->Decls)
    if (llvm::StringRef(D->Name).starts_with("__nnc_")) {
      error(D->NameRange.Start, "names starting with '__nnc_' are reserved "
                                "for nnc-repl");
      Reserved = true;
    }
  if (Reserved)
    return std::nullopt;
  std::vector<SessionDecl> Entries;
  for (ast::DeclPtr &D : M->Decls) {
    auto [Line, Col] = SM.getLineAndColumn(D->Range.Start, ID);
    const char *Begin = D->Range.Start.getPointer();
    const char *End = D->Range.End.getPointer();
    SessionDecl E;
    E.Name = D->Name;
    E.Text = std::string(Col - 1, ' ') + std::string(Begin, End);
    E.SourceName = In.SourceName;
    E.Line = Line + In.Line - 1;
    Entries.push_back(std::move(E));
    AST.Decls.push_back(std::move(D));
  }
  return Entries;
}

void Candidate::addSession(const llvm::StringSet<> &Except) {
  for (const SessionDecl &D : S.getDecls()) {
    // A value is no source: expressions receive it (SessionArgs).
    if (Except.contains(D.Name) || D.IsValue)
      continue;
    unsigned ID = addBuffer(D.Text, D.SourceName, static_cast<int>(D.Line) - 1);
    std::unique_ptr<ast::Module> M = parseModule(ID, Diags);
    if (!M)
      continue;
    for (ast::DeclPtr &Decl : M->Decls)
      AST.Decls.push_back(std::move(Decl));
  }
}

const ast::Expr *Candidate::addWrapped(const Input &In, llvm::StringRef Prefix,
                                       llvm::StringRef Suffix,
                                       llvm::StringRef WrapperName) {
  std::string Text = (Prefix + "\n" + In.Text).str();
  // On a line of its own, as the `;` of a declaration.
  if (!(Suffix == ";" && endsWithToken(In.Text, ';')))
    Text += ("\n" + Suffix).str();
  unsigned ID = addBuffer(Text, In.SourceName, static_cast<int>(In.Line) - 2);
  std::unique_ptr<ast::Module> M = parseModule(ID, Diags);
  if (Diags.hasErrors() || !M || M->Decls.empty())
    return nullptr;
  if (M->Decls.size() != 1 || M->Decls[0]->Name != WrapperName) {
    // `1; fn g(x) = x`: declarations go in inputs of their own.
    ast::Decl &Extra = *M->Decls[M->Decls.size() == 1 ? 0 : 1];
    error(Extra.Range.Start,
          "an expression input holds one expression; type declarations "
          "as inputs of their own");
    return nullptr;
  }
  const ast::Expr *E = nullptr;
  if (auto *F = llvm::dyn_cast<ast::FnDecl>(M->Decls[0].get()))
    E = F->Body.empty() ? nullptr : F->Body.front().Value.get();
  else if (auto *D = llvm::dyn_cast<ast::DerivedFnDecl>(M->Decls[0].get()))
    E = D->Value.get();
  AST.Decls.push_back(std::move(M->Decls[0]));
  return E;
}

SessionArgs jit::getSessionArgs(const Session &S) {
  SessionArgs A;
  auto Add = [&](std::string Name, const StoredTensor &T) {
    if (!A.Names.empty())
      A.Text += ", ";
    A.Text +=
        "__nnc_p" + std::to_string(A.Names.size()) + ": " + T.getTypeString();
    A.Names.push_back(std::move(Name));
    A.Tensors.push_back(&T);
  };
  for (const SessionDecl &D : S.getDecls())
    if (D.IsValue && D.Data && D.Data->size() == 1)
      Add(D.Name, D.Data->front());
  for (const SessionDecl &D : S.getDecls())
    if (!D.IsValue && D.Data)
      for (const StoredTensor &T : *D.Data)
        Add(D.Name + "." + T.Name, T);
  // The mode, for the methods of layers that read `training` (issue 12).
  if (llvm::any_of(S.getDecls(),
                   [](const SessionDecl &D) { return !D.IsValue && D.Data; })) {
    Add(".training", S.getTrainingArg());
    Add(".seed", S.getSeedArg());
  }
  return A;
}

const ast::Expr *Candidate::addExpression(const Input &In,
                                          const SessionArgs &Args,
                                          llvm::StringRef LetName) {
  std::string Head = ("fn " + ExprWrapperName + "(" + Args.Text + ")").str();
  // `let x = <expr>` is the body of a block that returns x: diagnostics
  // show the line as typed.
  std::string Tail = (llvm::Twine(endsWithToken(In.Text, ';') ? "" : ";\n") +
                      "return " + LetName + ";\n}")
                         .str();
  const ast::Expr *E = LetName.empty()
                           ? addWrapped(In, Head + " =", ";", ExprWrapperName)
                           : addWrapped(In, Head + " {", Tail, ExprWrapperName);
  if (!E)
    return nullptr;
  auto &F = llvm::cast<ast::FnDecl>(*AST.Decls.back());
  for (size_t I = 0; I < F.Params.size() && I < Args.Names.size(); ++I)
    F.Params[I].Name = Args.Names[I];
  return E;
}

void Candidate::error(llvm::SMLoc Loc, const llvm::Twine &Message) {
  Diags.report(Loc, DiagID::err_syntax, Message.str());
}

bool Candidate::fail(llvm::Error E) {
  llvm::WithColor::error(Diag, "nnc-repl") << llvm::toString(std::move(E))
                                           << '\n';
  return false;
}

bool Candidate::check() {
  return checkModule(AST, Diags) && !Diags.hasErrors();
}

bool Candidate::lower(llvm::ArrayRef<std::string> Keep,
                      bool OptimizeDerivatives) {
  IR = lowerModule(AST);
  std::string VerifyError = ir::verifyModule(*IR);
  if (!VerifyError.empty())
    return fail(llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "internal error: lowering produced invalid IR: " + VerifyError));
  if (!Keep.empty()) {
    for (auto &F : IR->Functions)
      F->Exported = llvm::is_contained(Keep, F->Name);
    for (ir::DerivedDecl &D : IR->Derived)
      D.Exported = llvm::is_contained(Keep, D.Name);
  }
  // As nnc does: a derivative of a derivative starts from optimized code,
  // and one past --max-ops stops AD before it grows further. Ctrl-C stops
  // it between derived functions.
  auto AfterEach = [&](ir::Module &M, llvm::StringRef Built) -> llvm::Error {
    if (OptimizeDerivatives) {
      PipelineOptions Opts;
      Opts.MaxIterations = 4;
      if (llvm::Error E = runPipeline(M, getDefaultPipeline(), Opts))
        return E;
    }
    const ir::Function *F = M.lookup(Built);
    if (wasInterrupted() || (F && !checkFunctionSize(*F, MaxOps, Diags)))
      return llvm::make_error<llvm::StringError>(
          "stopped", llvm::inconvertibleErrorCode());
    return llvm::Error::success();
  };
  if (llvm::Error E = differentiateModule(*IR, AfterEach)) {
    // Reported already, or Ctrl-C, which the REPL reports.
    if (Diags.hasErrors() || wasInterrupted()) {
      llvm::consumeError(std::move(E));
      return false;
    }
    return fail(std::move(E));
  }
  return true;
}

bool Candidate::optimize() {
  PipelineOptions Opts;
  Opts.MaxIterations = 4;
  if (llvm::Error E = runPipeline(*IR, getDefaultPipeline(), Opts))
    return fail(std::move(E));
  return true;
}

std::optional<Session> jit::readFile(llvm::StringRef Text,
                                     llvm::StringRef SourceName,
                                     llvm::raw_ostream &Diag) {
  Session S;
  Input In;
  In.Text = Text.str();
  In.SourceName = SourceName.str();
  Candidate Parsed(S, Diag, /*ShowColors=*/false);
  std::optional<std::vector<SessionDecl>> Decls =
      Parsed.addDeclarations(In, /*Lenient=*/false);
  if (!Decls)
    return std::nullopt;
  S.apply(*Decls);
  return S;
}
