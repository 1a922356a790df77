//===- nnc-repl.cpp - The interactive nnc ---------------------------------===//
//
//   nnc-repl [FILE.nn ...] [-e INPUT ...]
//
// Reads declarations, expressions and `:commands`, runs them through the
// nnc pipeline and LLVM's ORC JIT, and prints the results. On a terminal it
// edits lines with libedit; otherwise it reads a script and prints only
// results and diagnostics, exiting with 1 if any input failed. docs/repl.md
// describes it.
//
//===----------------------------------------------------------------------===//
#include "Isolate.h"
#include "LineEditor.h"
#include "nnc/Graph/Graph.h"
#include "nnc/JIT/InputScanner.h"
#include "nnc/JIT/Interrupt.h"
#include "nnc/JIT/Repl.h"
#include "nnc/Support/Limits.h"
#include "nnc/Train/Command.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/WithColor.h"
#include <csignal>
#include <cstdio>
#include <optional>
#include <unistd.h>

using namespace nnc;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory Category("nnc-repl options");
cl::list<std::string> Files(cl::Positional, cl::desc("[FILE.nn ...]"),
                            cl::cat(Category));
cl::list<std::string> Evals("e", cl::desc("Evaluate INPUT (an expression, a "
                                          "declaration or a :command), then exit"),
                            cl::value_desc("INPUT"), cl::cat(Category));
cl::opt<std::string> MaxInputSize(
    "max-input-size",
    cl::desc("Refuse an input or a :load file larger than SIZE bytes (K, M, "
             "G suffixes; default 64M)"),
    cl::value_desc("SIZE"), cl::init("64M"), cl::cat(Category));
uint64_t MaxInputBytes = DefaultMaxInputBytes;
cl::opt<std::string> MaxMemory(
    "max-memory",
    cl::desc("Refuse to evaluate an input whose tensors need more than SIZE "
             "bytes (K, M, G suffixes; default: what the process may "
             "allocate)"),
    cl::value_desc("SIZE"), cl::cat(Category));
uint64_t MaxEvalBytes = UINT64_MAX;
cl::opt<unsigned> MaxOps(
    "max-ops",
    cl::desc("Refuse to compile an expression of more than N ops of "
             "optimized IR (0: no limit; default 10000)"),
    cl::value_desc("N"), cl::init(DefaultMaxOps), cl::cat(Category));
cl::opt<bool> Isolate("isolate",
                      cl::desc("Evaluate each input in a child process: "
                               "Ctrl-C also stops compilation, and a crash "
                               "leaves the session (slower)"),
                      cl::cat(Category));

/// Parses the value of --\p Name into \p Bytes, or says why it cannot.
bool parseSizeOption(llvm::StringRef Name, llvm::StringRef Value,
                     uint64_t &Bytes) {
  std::optional<uint64_t> N = parseByteSize(Value);
  if (!N) {
    llvm::WithColor::error(llvm::errs(), "nnc-repl")
        << "invalid --" << Name << " '" << Value
        << "' (use a positive number of bytes, with K, M or G)\n";
    return false;
  }
  Bytes = *N;
  return true;
}

/// Runs inputs against one session and tracks whether any failed.
class Driver {
public:
  explicit Driver(bool Colors) : R(llvm::outs(), llvm::errs(), options(Colors)) {}

  /// Returns false when the input asks to quit.
  bool submit(const jit::Input &In) {
    // `fn f(x) = ...` is complete on its own line, so it was declared
    // before the `backward(dy) = ...` on the next line arrived: the rule
    // continues that declaration, which is declared again with it (as the
    // README and the tutorial write rules, and as a block would continue).
    if (startsWithBackward(In.Text)) {
      std::optional<jit::Input> Fn = std::move(LastFn);
      LastFn.reset();
      if (Fn)
        return run(joinLines(*Fn, In));
      if (LastFnFailed) {
        LastFnFailed = false;
        reportDroppedRule(In);
        return true;
      }
    }
    bool IsFn = startsWithFn(In.Text);
    LastFn.reset();
    LastFnFailed = false;
    bool Ok = true;
    bool Continue = run(In, &Ok);
    if (IsFn) {
      if (Ok)
        LastFn = In;
      else
        LastFnFailed = true;
    }
    return Continue;
  }

  bool anyFailed() const { return AnyFailed; }
  void markFailed() { AnyFailed = true; }
  jit::Repl &getRepl() { return R; }

  /// Builds the JIT and LLVM's lazy state now, before the first prompt
  /// (and before any fork, with --isolate).
  void warmUp() { R.warmUp(); }

private:
  bool run(const jit::Input &In, bool *Ok = nullptr) {
    jit::Outcome O = Isolate ? repl::evaluateIsolated(R, In)
                             : repl::evaluateInProcess(R, In);
    R.apply(O);
    if (!O.Ok)
      AnyFailed = true;
    if (Ok)
      *Ok = O.Ok;
    return !O.Quit;
  }

  static llvm::StringRef firstWord(llvm::StringRef Text) {
    Text = Text.ltrim();
    return Text.take_while(
        [](char C) { return llvm::isAlnum(C) || C == '_'; });
  }
  static bool startsWithFn(llvm::StringRef Text) {
    return firstWord(Text) == "fn";
  }
  static bool startsWithBackward(llvm::StringRef Text) {
    return firstWord(Text) == "backward";
  }

  /// \p Fn and then \p Rule as one input, with the blank lines between
  /// them kept so that diagnostics show the rule's own line.
  static jit::Input joinLines(const jit::Input &Fn, const jit::Input &Rule) {
    jit::Input J = Fn;
    unsigned FnEnd = Fn.Line + llvm::count(Fn.Text, '\n');
    unsigned Gap = Rule.SourceName == Fn.SourceName && Rule.Line > FnEnd
                       ? Rule.Line - FnEnd
                       : 1;
    J.Text.append(Gap, '\n');
    J.Text += Rule.Text;
    return J;
  }

  void reportDroppedRule(const jit::Input &In) {
    size_t Col = In.Text.find_first_not_of(" \t") + 1;
    llvm::errs() << In.SourceName << ":" << In.Line << ":" << Col << ": ";
    llvm::WithColor::error(llvm::errs())
        << "this 'backward' rule continues the 'fn' declaration before it, "
           "which has an error; it was dropped\n";
    AnyFailed = true;
  }

  static jit::ReplOptions options(bool Colors) {
    jit::ReplOptions O;
    O.ShowColors = Colors;
    O.MaxInputBytes = MaxInputBytes;
    O.MaxEvalBytes = MaxEvalBytes;
    O.MaxOps = MaxOps;
    O.Graph = graph::runReplCommand;
    O.Train = train::runReplCommand;
    // On a terminal, tensors wrap at its width; elsewhere at NumPy's 75.
    if (unsigned Columns = llvm::sys::Process::StandardOutColumns())
      O.LineWidth = Columns;
    return O;
  }
  jit::Repl R;
  bool AnyFailed = false;
  /// The input just before, when it was a `fn` declaration: declared, or
  /// failed. A `backward` line continues it.
  std::optional<jit::Input> LastFn;
  bool LastFnFailed = false;
};

/// Reads inputs line by line from a script or a terminal: an input goes on
/// while it is incomplete (an open bracket, a trailing operator).
class InputReader {
public:
  virtual ~InputReader() = default;
  /// TooLong: a line past the input size limit, read to its end and
  /// dropped.
  enum class Status { Line, Interrupted, EndOfFile, TooLong };
  virtual Status read(bool Continuation, std::string &Line) = 0;
  virtual void accepted(const std::string &Input) {}
};

class ScriptReader : public InputReader {
public:
  Status read(bool, std::string &Line) override {
    // Never more than the limit in memory: a 3 GB line without a newline
    // is read through and refused, not held.
    Line.clear();
    bool TooLong = false;
    int C;
    while ((C = getc_unlocked(stdin)) != EOF && C != '\n') {
      if (Line.size() < MaxInputBytes)
        Line += static_cast<char>(C);
      else
        TooLong = true;
    }
    if (TooLong)
      return Status::TooLong;
    if (C == EOF && Line.empty())
      return Status::EndOfFile;
    return Status::Line;
  }
};

class TerminalReader : public InputReader {
public:
  TerminalReader(std::string HistoryFile, repl::LineEditor::Completer C)
      : Editor(std::move(HistoryFile), std::move(C), jit::wasInterrupted) {}
  Status read(bool Continuation, std::string &Line) override {
    switch (Editor.readLine(Continuation ? "... " : "nn> ", Line)) {
    case repl::LineEditor::Status::Line:
      return Status::Line;
    case repl::LineEditor::Status::Interrupted:
      return Status::Interrupted;
    case repl::LineEditor::Status::EndOfFile:
      return Status::EndOfFile;
    }
    return Status::EndOfFile;
  }
  void accepted(const std::string &Input) override {
    // One history entry per input; a multi-line input is joined into one
    // line unless a `//` comment would swallow what follows it.
    if (Input.find("//") != std::string::npos) {
      llvm::SmallVector<llvm::StringRef, 4> Lines;
      llvm::StringRef(Input).split(Lines, '\n');
      for (llvm::StringRef L : Lines)
        Editor.addHistory(L.str());
      return;
    }
    std::string Joined = Input;
    std::replace(Joined.begin(), Joined.end(), '\n', ' ');
    Editor.addHistory(Joined);
  }

private:
  repl::LineEditor Editor;
};

/// The read-eval-print loop proper.
void loop(Driver &D, InputReader &Reader, bool Interactive) {
  std::string Pending;
  unsigned LineNo = 0, StartLine = 1;
  for (;;) {
    std::string Line;
    jit::clearInterrupt();
    InputReader::Status St = Reader.read(!Pending.empty(), Line);
    if (St == InputReader::Status::Interrupted) {
      // Ctrl-C drops the input being typed.
      std::fputc('\n', stdout);
      std::fflush(stdout);
      Pending.clear();
      continue;
    }
    if (St == InputReader::Status::EndOfFile) {
      if (Interactive) {
        std::fputc('\n', stdout);
        std::fflush(stdout);
        // Ctrl-D at "... ": say what became of the lines typed so far.
        if (!Pending.empty())
          llvm::errs() << "nnc-repl: the unfinished input was dropped\n";
        return;
      }
      // A script's last input runs even if incomplete: its errors show.
      if (!Pending.empty()) {
        Pending.pop_back(); // the newline added to continue it
        D.submit({Pending, "<stdin>", StartLine});
      }
      return;
    }
    ++LineNo;
    if (Pending.empty())
      StartLine = LineNo;
    if (St == InputReader::Status::TooLong ||
        Pending.size() + Line.size() > MaxInputBytes) {
      llvm::errs() << "<stdin>:" << LineNo << ":1: ";
      llvm::WithColor::error(llvm::errs())
          << "this input is larger than the input size limit of "
          << formatBytes(MaxInputBytes)
          << " (--max-input-size=SIZE raises it); it was dropped\n";
      D.markFailed();
      Pending.clear();
      continue;
    }
    Pending += Line;
    if (!jit::isInputComplete(Pending)) {
      Pending += '\n';
      continue;
    }
    std::string Text = std::move(Pending);
    Pending.clear();
    if (jit::classifyInput(Text) == jit::InputKind::Empty)
      continue;
    Reader.accepted(Text);
    jit::clearInterrupt();
    if (!D.submit({Text, "<stdin>", StartLine}))
      return;
  }
}

std::string historyFile() {
  if (const char *F = std::getenv("NNC_REPL_HISTORY"))
    return F;
  llvm::SmallString<128> Home;
  if (!llvm::sys::path::home_directory(Home))
    return "";
  llvm::sys::path::append(Home, ".nnc_repl_history");
  return std::string(Home);
}

extern "C" void onInterrupt(int) { jit::handleInterrupt(); }

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM X(argc, argv);
  if (cl::Option *O = cl::getRegisteredOptions().lookup("color")) {
    O->Categories.assign(1, &Category);
    O->setHiddenFlag(cl::NotHidden);
  }
  cl::HideUnrelatedOptions(Category);
  cl::SetVersionPrinter([](llvm::raw_ostream &OS) {
    OS << "nnc-repl version " NNC_VERSION "\n  LLVM " LLVM_VERSION_STRING "\n";
  });
  cl::ParseCommandLineOptions(
      argc, argv,
      "nnc-repl: declarations, expressions and their gradients, "
      "interactively\n\n"
      "  Type :help in the REPL for its commands; docs/repl.md has more.\n");

  if (!parseSizeOption("max-input-size", MaxInputSize, MaxInputBytes) ||
      (!MaxMemory.empty() &&
       !parseSizeOption("max-memory", MaxMemory, MaxEvalBytes)))
    return 1;
  bool Interactive = Evals.empty() && ::isatty(STDIN_FILENO);
  Driver D(llvm::WithColor(llvm::errs()).colorsEnabled());
  D.warmUp();
  for (const std::string &F : Files)
    if (!D.submit({":load " + F, "<command line>", 1}))
      return D.anyFailed();
  if (!Evals.empty()) {
    for (const std::string &E : Evals)
      if (!D.submit({E, "<command line>", 1}))
        break;
    return D.anyFailed();
  }
  if (!Interactive) {
    ScriptReader Reader;
    loop(D, Reader, false);
    return D.anyFailed();
  }

  // Ctrl-C interrupts the read or the wait for an evaluation (no
  // SA_RESTART), which then drop the input.
  struct sigaction SA = {};
  SA.sa_handler = onInterrupt;
  sigemptyset(&SA.sa_mask);
  sigaction(SIGINT, &SA, nullptr);

  TerminalReader Reader(historyFile(), [&](bool IsCommand) {
    std::vector<std::string> Words;
    if (IsCommand) {
      for (const jit::CommandInfo &C : jit::Repl::getCommands())
        Words.push_back(C.Name.str());
      return Words;
    }
    Words = jit::Repl::getLanguageWords();
    for (const std::string &N : D.getRepl().getSession().getNames())
      Words.push_back(N);
    return Words;
  });
  llvm::outs() << "nnc-repl " NNC_VERSION " — :help lists the commands, "
                  "Ctrl-D leaves\n";
  llvm::outs().flush();
  loop(D, Reader, true);
  return 0;
}
