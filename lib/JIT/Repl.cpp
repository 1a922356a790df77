//===- Repl.cpp - Declarations, expressions and commands ------------------===//
#include "nnc/JIT/Repl.h"
#include "ReplInternal.h"
#include "nnc/AST/AST.h"
#include "nnc/JIT/Candidate.h"
#include "nnc/JIT/InputScanner.h"
#include "nnc/JIT/Interrupt.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"
#include <algorithm>
#include <chrono>

using namespace nnc;
using namespace nnc::jit;

static const CommandInfo Commands[] = {
    {"help", "", "list the commands"},
    {"load", "FILE", "add the declarations of a .nn file"},
    {"type", "EXPR", "the type of an expression or a function"},
    {"ir", "FN", "a function's IR, as nnc optimizes it (--emit=opt)"},
    {"grad", "FN", "the derived IR of grad(FN), or of a derived FN, before "
                   "optimization (--emit=grad)"},
    {"nn", "FN", "a function as .nn source, e.g. :nn grad(f) (--emit=nn)"},
    {"llvm", "FN", "a function's LLVM IR after -O2"},
    {"asm", "FN", "a function's assembly for this machine"},
    {"time", "EXPR", "run an expression repeatedly; report the median time"},
    {"graph", "CALL", "draw CALL's circuit with values and gradients "
                      "(:graph f(1, 2) [-o f.svg]; docs/repl.md)"},
    {"train", "FN", "train an instance in place, with nnc train's options "
                    "(:train net.loss --data fashion-mnist; docs/repl.md)"},
    {"mode", "MODE", "'train [SEED]' or 'eval' (the default): how inputs run "
                     "layers' methods; alone, shows it (docs/repl.md)"},
    {"list", "", "the session's declarations and values, with their types"},
    {"reset", "", "forget every declaration"},
    {"quit", "", "leave (Ctrl-D does too)"},
};

llvm::ArrayRef<CommandInfo> Repl::getCommands() { return Commands; }

std::vector<std::string> Repl::getLanguageWords() {
  std::vector<std::string> Words = {"fn",    "let",  "return", "if",
                                    "else",  "true", "false",  "backward",
                                    "f32",   "f64",  "i32",    "i64",
                                    "bool"};
  // The built-ins that work today; tensor and layer ones join with their
  // issues.
#define BUILTIN(Id, Spelling, Family)                                          \
  if (ast::BuiltinFamily::Family != ast::BuiltinFamily::Tensor &&              \
      ast::BuiltinFamily::Family != ast::BuiltinFamily::Init)                  \
    Words.push_back(Spelling);
#include "nnc/AST/Builtins.def"
  std::sort(Words.begin(), Words.end());
  Words.erase(std::unique(Words.begin(), Words.end()), Words.end());
  return Words;
}

Repl::Repl(llvm::raw_ostream &Out, llvm::raw_ostream &Err, ReplOptions Opts)
    : Out(Out), Err(Err), Opts(Opts) {}

Repl::~Repl() = default;

void Repl::warmUp() {
  llvm::raw_null_ostream Null;
  Repl Quiet(Null, Null, Opts);
  Quiet.JIT = std::move(JIT);
  Quiet.run({"fn __warm_up(x) = sigmoid(x) * x", "<warm-up>", 1});
  Quiet.run({"grad(__warm_up)(1) + __warm_up(2)", "<warm-up>", 1});
  JIT = std::move(Quiet.JIT);
}

Outcome Repl::interrupted() {
  Err << "interrupted\n";
  return failure();
}

Outcome Repl::failure() {
  Outcome O;
  O.Ok = false;
  return O;
}

void Repl::apply(const Outcome &O) {
  if (O.Reset)
    S.clear();
  S.apply(O.Added);
  if (O.Mode)
    S.setMode(O.Mode->first, O.Mode->second);
}

bool Repl::run(const Input &In) {
  Outcome O = evaluate(In);
  apply(O);
  return O.Ok;
}

Outcome Repl::evaluate(const Input &In) {
  Outcome O;
  switch (classifyInput(In.Text)) {
  case InputKind::Empty:
    break;
  case InputKind::Command:
    O = command(In);
    break;
  case InputKind::Declaration:
    O = declare(In, /*Lenient=*/true);
    break;
  case InputKind::Expression:
    O = evaluateExpression(In);
    break;
  }
  Out.flush();
  return O;
}

llvm::Error Repl::ensureEngine() {
  if (JIT)
    return llvm::Error::success();
  auto E = Engine::create();
  if (!E)
    return E.takeError();
  JIT = std::move(*E);
  JIT->setMemoryLimit(Opts.MaxEvalBytes);
  return llvm::Error::success();
}

void nnc::jit::reportError(llvm::raw_ostream &Err, llvm::Error E) {
  llvm::WithColor::error(Err, "nnc-repl") << llvm::toString(std::move(E))
                                          << '\n';
}

/// A status the generated code returned, reported like a compile error:
/// at the input's place, with its line and a caret under the expression.
void Repl::reportRunTimeError(const Input &In, llvm::StringRef Message) {
  reportAtInput(In, [&](DiagnosticEngine &Diags, llvm::SMRange Range) {
    Diags.report(Range, DiagID::err_run_time, Message);
  });
}

void Repl::reportAtInput(
    const Input &In,
    llvm::function_ref<void(DiagnosticEngine &, llvm::SMRange)> Report) {
  llvm::SourceMgr SM;
  unsigned ID = SM.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(In.Text, In.SourceName), llvm::SMLoc());
  DiagnosticEngine Diags(SM, Err);
  Diags.setShowColors(Opts.ShowColors);
  Diags.setLineOffset(ID, static_cast<int>(In.Line) - 1);
  llvm::StringRef Text = SM.getMemoryBuffer(ID)->getBuffer();
  size_t Start = std::min(Text.find_first_not_of(" \t\r\n"), Text.size());
  size_t End = Text.find_last_not_of(" \t\r\n;");
  End = End == llvm::StringRef::npos || End < Start ? Start : End + 1;
  // One line of the input is underlined: the caret cannot span lines.
  End = std::min(End, Text.find('\n', Start));
  Report(Diags, llvm::SMRange(llvm::SMLoc::getFromPointer(Text.data() + Start),
                              llvm::SMLoc::getFromPointer(Text.data() + End)));
}

//===----------------------------------------------------------------------===//
// Declarations and expressions
//===----------------------------------------------------------------------===//

Outcome Repl::declare(const Input &In, bool Lenient) {
  Candidate C(S, Err, Opts.ShowColors);
  C.setMaxOps(Opts.MaxOps);
  std::optional<std::vector<SessionDecl>> New = C.addDeclarations(In, Lenient);
  if (!New)
    return failure();
  llvm::StringSet<> Names;
  for (const SessionDecl &D : *New)
    Names.insert(D.Name);
  // `let x = <value>`: computed now, held by the session.
  if (const ast::LetDecl *V = findValueLet(C, S)) {
    if (!Lenient || New->size() != 1) {
      C.error(V->NameRange.Start,
              Lenient ? "a 'let' of a value is an input of its own"
                      : "a top-level 'let' of a value is for inputs of "
                        "nnc-repl; a file declares only layer instances");
      return failure();
    }
    return declareValue(C, In, *V);
  }
  // The old declarations of the names redefined give way to the new ones;
  // every other declaration is checked again against them.
  C.addSession(Names);
  if (!C.check() || !C.lower() || !C.optimize())
    return failure();
  // The back end too: what enters the session compiles to machine code.
  // Internal, as every expression's copy is (no C library name clashes).
  for (auto &F : C.getIR().Functions)
    F->Exported = false;
  llvm::LLVMContext Ctx;
  auto LM = emitOptimizedModule(C.getIR(), Ctx);
  if (!LM) {
    reportError(Err, LM.takeError());
    return failure();
  }
  Outcome O;
  O.Added = std::move(*New);
  if (!initInstances(C, Names, O.Added))
    return wasInterrupted() ? interrupted() : failure();
  return O;
}

bool nnc::jit::isFunctionValued(const ast::Expr &E, const Session &S) {
  if (const auto *N = llvm::dyn_cast<ast::NameExpr>(&E)) {
    const SessionDecl *D = S.lookup(N->Name);
    return D && !D->IsValue;
  }
  if (const auto *M = llvm::dyn_cast<ast::MemberExpr>(&E))
    if (const auto *N = llvm::dyn_cast<ast::NameExpr>(M->Base.get()))
      if (const SessionDecl *D = S.lookup(N->Name))
        return !D->IsValue && D->Data &&
               llvm::none_of(*D->Data, [&](const StoredTensor &T) {
                 return T.Name == M->Member;
               });
  if (const auto *C = llvm::dyn_cast<ast::CallExpr>(&E))
    if (const auto *N = llvm::dyn_cast<ast::NameExpr>(C->Callee.get()))
      return (N->Name == "grad" || N->Name == "value_and_grad" ||
              N->Name == "vjp") &&
             !S.lookup(N->Name);
  return false;
}

std::unique_ptr<Candidate> nnc::jit::compileExpression(
    const Session &S, const Input &In, llvm::raw_ostream &Err, bool Colors,
    unsigned MaxOps, bool &FunctionValued, llvm::StringRef LetName) {
  auto C = std::make_unique<Candidate>(S, Err, Colors);
  C->setMaxOps(MaxOps);
  C->addSession();
  const ast::Expr *E = C->addExpression(In, getSessionArgs(S), LetName);
  FunctionValued = E && isFunctionValued(*E, S);
  if (!E || FunctionValued)
    return nullptr;
  if (!C->check() || !C->lower({std::string(ExprWrapperName)}) ||
      !C->optimize())
    return nullptr;
  return C;
}

void nnc::jit::bindSessionArgs(CompiledCall &Call, const Session &S) {
  SessionArgs A = getSessionArgs(S);
  for (unsigned I = 0; I < Call.getNumArgs() && I < A.Tensors.size(); ++I)
    Call.setArg(I, A.Tensors[I]->data());
}

std::optional<Value> Repl::runExpression(Candidate *C, const Input &In,
                                         Outcome &Stopped, Outcome *Effects) {
  std::unique_ptr<CompiledCall> Code = C ? compileCall(*C, In) : nullptr;
  if (!Code) {
    Stopped = wasInterrupted() ? interrupted() : failure();
    return std::nullopt;
  }
  bindSessionArgs(*Code, S);
  if (!runInterruptibly([&] { Code->call(); })) {
    Stopped = interrupted();
    return std::nullopt;
  }
  llvm::Expected<Value> V = Code->result();
  if (!V) {
    reportRunTimeError(In, llvm::toString(V.takeError()));
    Stopped = failure();
    return std::nullopt;
  }
  if (Effects && !takeSessionState(*C, *V, *Effects)) {
    Stopped = failure();
    return std::nullopt;
  }
  return std::move(*V);
}

std::unique_ptr<CompiledCall> Repl::compileCall(Candidate &C,
                                               const Input &In) {
  if (llvm::Error E = ensureEngine()) {
    reportError(Err, std::move(E));
    return nullptr;
  }
  // Code generation takes time linear in the ops, milliseconds each: past
  // the limit, say so now rather than compile for minutes.
  if (const ir::Function *F = C.getIR().lookup(ExprWrapperName)) {
    OpCount N = countBodyOps(*F);
    if (exceedsMaxOps(N, Opts.MaxOps)) {
      reportAtInput(In, [&](DiagnosticEngine &Diags, llvm::SMRange Range) {
        Diags.report(Range, DiagID::err_expr_too_many_ops, N.Tensor, N.Scalar,
                     Opts.MaxOps);
      });
      return nullptr;
    }
  }
  auto Code = JIT->compile(C.getIR(), ExprWrapperName);
  if (!Code && wasInterrupted()) {
    // Ctrl-C cut the compilation short; the caller says so.
    llvm::consumeError(Code.takeError());
    return nullptr;
  }
  if (!Code) {
    llvm::Error Rest = llvm::handleErrors(
        Code.takeError(), [&](const ResourceError &E) {
          std::string Message;
          llvm::raw_string_ostream OS(Message);
          E.log(OS);
          reportRunTimeError(In, Message);
        });
    if (Rest)
      reportError(Err, std::move(Rest));
    return nullptr;
  }
  return std::move(*Code);
}

Outcome Repl::evaluateExpression(const Input &In) {
  bool FunctionValued = false;
  std::unique_ptr<Candidate> C =
      compileExpression(S, In, Err, Opts.ShowColors, Opts.MaxOps, FunctionValued);
  if (FunctionValued)
    return describeFunction(In);
  Outcome Stopped, Effects;
  std::optional<Value> V = runExpression(C.get(), In, Stopped, &Effects);
  if (!V)
    return Stopped;
  PrintOptions PO;
  PO.LineWidth = Opts.LineWidth;
  printValue(*V, Out, PO);
  Out << '\n';
  return Effects;
}

//===----------------------------------------------------------------------===//
// :time, :load
//===----------------------------------------------------------------------===//

/// `3.25 ns`, `12.5 us`, `1.20 ms`: three significant digits.
static std::string formatDuration(double Seconds) {
  const char *Unit = "s";
  double V = Seconds;
  if (Seconds < 1e-6) {
    V = Seconds * 1e9;
    Unit = "ns";
  } else if (Seconds < 1e-3) {
    V = Seconds * 1e6;
    Unit = "us";
  } else if (Seconds < 1) {
    V = Seconds * 1e3;
    Unit = "ms";
  }
  int Decimals = V < 10 ? 2 : V < 100 ? 1 : 0;
  std::string S;
  llvm::raw_string_ostream OS(S);
  OS << llvm::format("%.*f", Decimals, V) << ' ' << Unit;
  return S;
}

Outcome Repl::time(const Input &Arg) {
  using Clock = std::chrono::steady_clock;
  auto Seconds = [](Clock::duration D) {
    return std::chrono::duration<double>(D).count();
  };
  Clock::time_point Start = Clock::now();
  bool FunctionValued = false;
  std::unique_ptr<Candidate> C =
      compileExpression(S, Arg, Err, Opts.ShowColors, Opts.MaxOps,
                        FunctionValued);
  if (FunctionValued) {
    llvm::WithColor::error(Err, "nnc-repl")
        << ":time needs an expression to run, such as f(1, 2), not a "
           "function\n";
    return failure();
  }
  if (!C)
    return wasInterrupted() ? interrupted() : failure();
  std::unique_ptr<CompiledCall> Code = compileCall(*C, Arg);
  if (!Code)
    return wasInterrupted() ? interrupted() : failure();
  double CompileTime = Seconds(Clock::now() - Start);
  CompiledCall &Call = *Code;
  bindSessionArgs(Call, S);
  // Calls are batched so that one sample is long enough for the clock.
  uint64_t Batch = 1;
  auto RunBatch = [&](double &Elapsed) {
    Clock::time_point T0 = Clock::now();
    bool Done = runInterruptibly([&] {
      for (uint64_t I = 0; I < Batch; ++I)
        Call.call();
    });
    Elapsed = Seconds(Clock::now() - T0);
    return Done;
  };
  for (;;) {
    double Elapsed;
    if (!RunBatch(Elapsed))
      return interrupted();
    if (Elapsed >= 1e-4 || Batch >= (uint64_t(1) << 30))
      break;
    Batch *= 2;
  }
  std::vector<double> Samples;
  Samples.reserve(101);
  Clock::time_point Begin = Clock::now();
  while (Samples.size() < 5 ||
         (Samples.size() < 101 &&
          Seconds(Clock::now() - Begin) < Opts.TimeBudget)) {
    double Elapsed;
    if (!RunBatch(Elapsed))
      return interrupted();
    Samples.push_back(Elapsed / Batch);
  }
  std::sort(Samples.begin(), Samples.end());
  double Median = Samples[Samples.size() / 2];
  Out << "median " << formatDuration(Median) << " per call (" << Samples.size()
      << " samples of " << Batch << " call" << (Batch == 1 ? "" : "s")
      << "); compiled in " << formatDuration(CompileTime) << '\n';
  return Outcome();
}

Outcome Repl::load(const Input &Arg) {
  auto Buffer = readSource(Arg.Text, Opts.MaxInputBytes);
  if (!Buffer) {
    llvm::WithColor::error(Err, "nnc-repl")
        << llvm::toString(Buffer.takeError()) << '\n';
    return failure();
  }
  Input File;
  File.Text = (*Buffer)->getBuffer().str();
  File.SourceName = Arg.Text;
  File.Line = 1;
  return declare(File, /*Lenient=*/false);
}

Input nnc::jit::stripArgument(Input Arg) {
  llvm::StringRef T = llvm::StringRef(Arg.Text).rtrim();
  if (T.ends_with(";"))
    T = T.drop_back().rtrim();
  Arg.Text = T.str();
  return Arg;
}

//===----------------------------------------------------------------------===//
// Commands
//===----------------------------------------------------------------------===//

Outcome Repl::command(const Input &In) {
  llvm::StringRef Line = llvm::StringRef(In.Text).ltrim();
  Line = Line.drop_front(); // ':'
  size_t NameEnd = Line.find_first_of(" \t\r\n");
  llvm::StringRef Name = Line.substr(0, NameEnd);
  llvm::StringRef Rest =
      NameEnd == llvm::StringRef::npos ? "" : Line.substr(NameEnd);
  // The argument keeps its columns: blanks replace what came before it.
  Input Arg = In;
  size_t ArgStart = In.Text.size() - Rest.ltrim().size();
  size_t LineStart = In.Text.rfind('\n', ArgStart ? ArgStart - 1 : 0);
  LineStart = LineStart == std::string::npos ? 0 : LineStart + 1;
  Arg.Text = std::string(ArgStart - LineStart, ' ') + Rest.ltrim().str();
  Arg.Line = In.Line + llvm::StringRef(In.Text).take_front(LineStart).count('\n');
  Arg = stripArgument(Arg);
  bool HasArg = !Rest.trim().empty();

  // A unique prefix names a command (`:q`, `:t`).
  const CommandInfo *Cmd = nullptr;
  for (const CommandInfo &C : Commands) {
    if (C.Name == Name) {
      Cmd = &C;
      break;
    }
    if (!Name.empty() && C.Name.starts_with(Name)) {
      if (Cmd) {
        llvm::WithColor::error(Err, "nnc-repl")
            << "ambiguous command ':" << Name << "'; :help lists them\n";
        return failure();
      }
      Cmd = &C;
    }
  }
  if (!Cmd) {
    llvm::WithColor::error(Err, "nnc-repl")
        << "unknown command ':" << Name << "'; :help lists them\n";
    return failure();
  }
  if (Cmd->Name == "mode")
    return mode(Rest.trim());
  if (Cmd->Args.empty() == HasArg) {
    llvm::WithColor::error(Err, "nnc-repl")
        << ":" << Cmd->Name
        << (HasArg ? " takes no argument" : " needs an argument: " + Cmd->Args)
        << '\n';
    return failure();
  }
  llvm::StringRef C = Cmd->Name;
  if (C == "help") {
    Out << "Type a declaration (fn f(x) = x * x) or an expression (f(3)).\n"
           "Commands:\n";
    for (const CommandInfo &I : Commands) {
      std::string Head = (":" + I.Name + " " + I.Args).str();
      Out << "  " << llvm::left_justify(Head, 12) << I.Help << '\n';
    }
    return Outcome();
  }
  if (C == "quit") {
    Outcome O;
    O.Quit = true;
    return O;
  }
  if (C == "reset") {
    Outcome O;
    O.Reset = true;
    return O;
  }
  if (C == "list")
    return list();
  if (C == "load") {
    Arg.Text = llvm::StringRef(Arg.Text).trim().str();
    return load(Arg);
  }
  if (C == "type")
    return showType(Arg);
  if (C == "time")
    return time(Arg);
  if (C == "graph") {
    if (!Opts.Graph) {
      llvm::WithColor::error(Err, "nnc-repl") << ":graph is not available\n";
      return failure();
    }
    return Opts.Graph(S, Arg, Out, Err) ? Outcome() : failure();
  }
  if (C == "train") {
    if (!Opts.Train) {
      llvm::WithColor::error(Err, "nnc-repl") << ":train is not available\n";
      return failure();
    }
    std::optional<SessionDecl> Trained = Opts.Train(S, Arg, Out, Err);
    if (!Trained)
      return failure();
    Outcome O;
    O.Added.push_back(std::move(*Trained));
    return O;
  }
  return show(C, Arg);
}
