//===- Repl.h - Evaluating REPL inputs against a session --------*- C++ -*-===//
//
// Repl::evaluate runs one input — declarations, an expression or a
// `:command` — against the session and prints what it produces: results on
// one stream, diagnostics (as nnc prints them) on the other. It never
// changes the session; it returns what the input would change, and
// Repl::apply makes the change. nnc-repl evaluates each input in a child
// process and applies its outcome in the parent, so an input that fails,
// crashes or is interrupted leaves the session exactly as it was.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_JIT_REPL_H
#define NNC_JIT_REPL_H

#include "nnc/CodeGen/CodeGen.h"
#include "nnc/JIT/Engine.h"
#include "nnc/JIT/Session.h"
#include "nnc/Support/Diagnostics.h"
#include "nnc/Support/Limits.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"
#include <functional>
#include <memory>
#include <optional>

namespace nnc::ast {
class LetDecl;
} // namespace nnc::ast

namespace nnc::jit {

class Candidate;

/// The first top-level `let` among \p C's declarations that makes a value
/// rather than an instance of a layer of \p C or of \p S; or null.
const ast::LetDecl *findValueLet(Candidate &C, const Session &S);

/// Compiles an expression input as the body of the wrapper function
/// (ExprWrapperName) against the session's declarations. Returns the
/// candidate holding the optimized wrapper, or null (errors reported to
/// \p Err); \p FunctionValued is set instead when the input names a
/// function. The REPL and `nnc check` (lib/Check) compile through it.
/// With \p LetName, \p In is `let <LetName> = <expr>` (Candidate's
/// addExpression).
std::unique_ptr<Candidate> compileExpression(const Session &S, const Input &In,
                                             llvm::raw_ostream &Err,
                                             bool Colors, unsigned MaxOps,
                                             bool &FunctionValued,
                                             llvm::StringRef LetName = {});

/// Gives \p Call, compiled from an expression, the session's values and
/// instance parameters (SessionArgs) as its arguments.
void bindSessionArgs(CompiledCall &Call, const Session &S);

/// What evaluating one input changes.
struct Outcome {
  bool Ok = true;
  /// Declarations accepted into the session.
  std::vector<SessionDecl> Added;
  bool Reset = false;
  bool Quit = false;
  /// The session's new mode (`:mode`; training mode's next seed), issue 12.
  std::optional<std::pair<bool, int64_t>> Mode;
};

struct CommandInfo {
  llvm::StringLiteral Name;
  llvm::StringLiteral Args;
  llvm::StringLiteral Help;
};

struct ReplOptions {
  bool ShowColors = false;
  /// Time `:time` spends measuring, in seconds.
  double TimeBudget = 0.3;
  /// The largest file `:load` reads, and the longest input.
  uint64_t MaxInputBytes = DefaultMaxInputBytes;
  /// The most memory one evaluation may allocate for its tensors, below
  /// what the process may allocate (physical memory, `ulimit -v`).
  uint64_t MaxEvalBytes = UINT64_MAX;
  /// The most ops an expression may have after optimization (0: no
  /// limit); code generation takes milliseconds per op.
  unsigned MaxOps = DefaultMaxOps;
  /// Tensors wrap before this many columns (NumPy's default when the
  /// output is not a terminal).
  unsigned LineWidth = 75;
  /// `:graph CALL [-o FILE]`, drawn by lib/Graph (graph::runReplCommand),
  /// which nnc-repl plugs in here: lib/Graph is built on lib/JIT, so
  /// lib/JIT cannot call it. False after an error.
  std::function<bool(Session &, const Input &, llvm::raw_ostream &Out,
                     llvm::raw_ostream &Err)>
      Graph;
  /// `:train INST.METHOD [OPTIONS]`, run by lib/Train
  /// (train::runReplCommand), plugged in the same way: INST's declaration
  /// with its trained parameters, or nullopt after an error (reported) or
  /// Ctrl-C.
  std::function<std::optional<SessionDecl>(const Session &, const Input &,
                                           llvm::raw_ostream &Out,
                                           llvm::raw_ostream &Err)>
      Train;
};

class Repl {
public:
  Repl(llvm::raw_ostream &Out, llvm::raw_ostream &Err, ReplOptions Opts = {});
  ~Repl();

  Session &getSession() { return S; }

  /// Evaluates \p In against the session, printing results and diagnostics.
  Outcome evaluate(const Input &In);
  void apply(const Outcome &O);
  /// evaluate, then apply; returns whether the input succeeded.
  bool run(const Input &In);

  /// Compiles and runs a small expression and a gradient, silently, so
  /// that the JIT and LLVM's lazily built state exist before the first
  /// input. nnc-repl does so before it forks: no child pays for them.
  void warmUp();

  /// The commands, as `:help` lists them.
  static llvm::ArrayRef<CommandInfo> getCommands();
  /// Names that Tab completes besides the session's: keywords, types and
  /// built-ins.
  static std::vector<std::string> getLanguageWords();

private:
  Outcome declare(const Input &In, bool Lenient);
  /// `let x = <expr>` (ReplState.cpp): evaluates the expression and holds
  /// its value.
  Outcome declareValue(Candidate &C, const Input &In, const ast::LetDecl &V);
  /// Gives each instance declared in \p Declared, and each whose
  /// parameters a redefined layer changed, parameters from its
  /// initializers (seed 0), recorded in \p Added. False after an error
  /// (reported).
  bool initInstances(Candidate &C, const llvm::StringSet<> &Declared,
                     std::vector<SessionDecl> &Added);
  /// Runs `<inst>_init(0)` of \p C's IR: the instance's parameters.
  std::optional<std::vector<StoredTensor>>
  initInstance(Candidate &C, const ir::Module::Instance &I);
  Outcome evaluateExpression(const Input &In);
  Outcome command(const Input &In);
  Outcome describeFunction(const Input &In);
  Outcome showType(const Input &Arg);
  Outcome show(llvm::StringRef Command, const Input &Arg);
  Outcome time(const Input &Arg);
  Outcome list();
  Outcome load(const Input &Arg);
  Outcome failure();
  void reportRunTimeError(const Input &In, llvm::StringRef Message);
  /// Reports through \p Report with the input's text as the source and
  /// the range of its first line's code, which a caret underlines.
  void reportAtInput(
      const Input &In,
      llvm::function_ref<void(DiagnosticEngine &, llvm::SMRange)> Report);
  /// JIT-compiles an expression's candidate; null (reported) on failure.
  std::unique_ptr<CompiledCall> compileCall(Candidate &C, const Input &In);
  /// Compiles and runs the expression \p C holds (null: it did not
  /// compile) and returns its value; otherwise sets \p Stopped to the
  /// failure or interruption, reported.
  std::optional<Value> runExpression(Candidate *C, const Input &In,
                                     Outcome &Stopped,
                                     Outcome *Effects = nullptr);
  /// With \p Effects: what evaluating \p C's expression changes besides
  /// its value, which it takes out of \p V: the layer state its calls
  /// updated (the instances' new data) and training mode's next seed.
  bool takeSessionState(Candidate &C, Value &V, Outcome &Effects);
  /// `:mode [train [SEED]|eval]`.
  Outcome mode(llvm::StringRef Arg);
  Outcome interrupted();
  llvm::Error ensureEngine();

  llvm::raw_ostream &Out;
  llvm::raw_ostream &Err;
  ReplOptions Opts;
  Session S;
  std::unique_ptr<Engine> JIT;
};

} // namespace nnc::jit

#endif // NNC_JIT_REPL_H
