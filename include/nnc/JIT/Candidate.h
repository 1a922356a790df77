//===- Candidate.h - The session and one input, compiled together -*- C++ -*-===//
//
// Each input is compiled as a candidate: the session's declarations and the
// input in a source manager, diagnostic engine and modules of their own.
// Every declaration and the input are buffers of their own, named after
// their source and shifted to their lines there, so a diagnostic reads
// `<stdin>:12:5: error: ...` wherever it is found. The candidate is thrown
// away after the input: nothing of a failed input survives it.
//
// An expression is compiled as the body of a wrapper function,
// `fn __nnc_expr() =` on a line of its own above the user's text, so the
// columns of the text are its own.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_JIT_CANDIDATE_H
#define NNC_JIT_CANDIDATE_H

#include "nnc/AST/AST.h"
#include "nnc/CodeGen/CodeGen.h"
#include "nnc/IR/IR.h"
#include "nnc/JIT/Session.h"
#include "nnc/Support/Diagnostics.h"
#include "llvm/ADT/StringSet.h"
#include <memory>
#include <optional>

namespace nnc::jit {

/// The wrapper of an expression input, and of a function-valued one.
inline constexpr llvm::StringLiteral ExprWrapperName = "__nnc_expr";
inline constexpr llvm::StringLiteral FnWrapperName = "__nnc_fn";

/// The parameters of an expression's wrapper, through which it sees what
/// the session holds: every value (`x`), then every parameter of every
/// instance, named `<inst>.<path>` (`net.fc1.W`). The parser cannot spell
/// those names, so Sema knows them for the instance's (getSessionParams in
/// lib/Sema): a call `net.forward(x)` passes them first.
struct SessionArgs {
  /// The wrapper's parameter list, with placeholder names.
  std::string Text;
  /// Each parameter's name in the AST, and what it passes.
  std::vector<std::string> Names;
  std::vector<const StoredTensor *> Tensors;
};
SessionArgs getSessionArgs(const Session &S);

/// The declarations of a whole file, \p Text named \p SourceName, read
/// into a new session, as `nnc train`, `nnc graph` and `nnc check` start;
/// nothing after an error (reported to \p Diag).
std::optional<Session> readFile(llvm::StringRef Text,
                                llvm::StringRef SourceName,
                                llvm::raw_ostream &Diag);

class Candidate {
public:
  Candidate(const Session &S, llvm::raw_ostream &Diag, bool ShowColors);

  DiagnosticEngine &getDiags() { return Diags; }
  llvm::SourceMgr &getSourceMgr() { return SM; }
  const Session &getSession() const { return S; }

  /// Parses \p In as declarations and adds them; when \p Lenient, a
  /// trailing `;` may be missing. Returns the session entries they would
  /// become, or nothing after a syntax error or a reserved name (reported).
  std::optional<std::vector<SessionDecl>> addDeclarations(const Input &In,
                                                          bool Lenient);

  /// Adds the session's declarations, but those named in \p Except.
  void addSession(const llvm::StringSet<> &Except = {});

  /// Adds `<Prefix>` on a line above \p In's text, followed by \p Suffix
  /// (a `;` is not added twice), and parses it as one declaration named
  /// \p WrapperName. Returns the expression the user typed, or null after
  /// a syntax error (reported) or when the input is not one expression.
  const ast::Expr *addWrapped(const Input &In, llvm::StringRef Prefix,
                              llvm::StringRef Suffix,
                              llvm::StringRef WrapperName);

  /// addWrapped for an expression input: `fn __nnc_expr(<session args>) =`
  /// above \p In. With \p LetName, \p In is `let <LetName> = <expr>`, the
  /// body of a block that returns it; the expression is returned.
  const ast::Expr *addExpression(const Input &In, const SessionArgs &Args,
                                 llvm::StringRef LetName = {});

  /// Reports an error at \p Loc (or without a place).
  void error(llvm::SMLoc Loc, const llvm::Twine &Message);

  /// Sema over everything added. False after an error (reported).
  bool check();
  /// IRGen and AD. Functions not named in \p Keep become internal, so the
  /// inliner drops them once inlined (all are kept when it is empty).
  /// \p OptimizeDerivatives: run nnc's pipeline after each derived
  /// function is built, as `nnc` does (not for :grad, which shows AD's own
  /// output).
  bool lower(llvm::ArrayRef<std::string> Keep = {},
             bool OptimizeDerivatives = true);
  /// A derived function with more ops than this (as nnc --max-ops counts
  /// them) stops AD with an error at its declaration (0: no limit).
  void setMaxOps(unsigned N) { MaxOps = N; }
  /// nnc's default pipeline (inline, simplify, cse, dce).
  bool optimize();

  ast::Module &getAST() { return AST; }
  ir::Module &getIR() { return *IR; }

private:
  unsigned addBuffer(std::string Text, llvm::StringRef Name, int LineOffset);
  bool fail(llvm::Error E);

  const Session &S;
  llvm::raw_ostream &Diag;
  llvm::SourceMgr SM;
  DiagnosticEngine Diags;
  unsigned MaxOps = DefaultMaxOps;
  ast::Module AST;
  std::unique_ptr<ir::Module> IR;
};

/// Whether \p Name spells an identifier (and so names a function).
bool isIdentifier(llvm::StringRef Name);

} // namespace nnc::jit

#endif // NNC_JIT_CANDIDATE_H
