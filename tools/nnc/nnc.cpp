//===- nnc.cpp - The nnc compiler driver ----------------------------------===//
//
// Runs the pipeline text -> AST -> IR -> derived IR -> optimized IR ->
// LLVM IR -> machine code, and can stop after any stage and print it:
//   --emit=ast|ir|grad|opt|nn    nnc's own stages
//   -S --emit-llvm, -S, -c       LLVM IR, assembly, an object file
//   -shared                      a shared library (linked by the system cc)
//   --header FILE                a C header declaring the exported functions
//   --signature FILE             the same interface as JSON, for bindings
// and runs tools on a file:
//   nnc check FILE.nn            gradients against finite differences
//                                (lib/Check, docs/tools.md)
//   nnc graph FILE.nn --fn f     the circuit picture, values and gradients
//                                (lib/Graph, docs/tools.md)
//   nnc train FILE.nn --data D   trains the file's layer instance
//                                (lib/Train, docs/training.md)
//
//===----------------------------------------------------------------------===//
#include "nnc/AD/AD.h"
#include "nnc/Check/Check.h"
#include "nnc/CodeGen/CodeGen.h"
#include "nnc/Graph/Graph.h"
#include "nnc/IR/IR.h"
#include "nnc/IR/IRParser.h"
#include "nnc/IRGen/IRGen.h"
#include "nnc/Parse/Parser.h"
#include "nnc/Sema/Sema.h"
#include "nnc/Support/Diagnostics.h"
#include "nnc/Support/Limits.h"
#include "nnc/Train/Command.h"
#include "nnc/Train/Trainer.h"
#include "nnc/Transforms/Passes.h"
#include "nnc/JIT/Interrupt.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/PrintPasses.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/TargetParser/Host.h"
#include <cmath>
#include <csignal>

using namespace nnc;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory Category("nnc options");

cl::opt<std::string> InputFile(cl::Positional, cl::desc("<input .nn file>"),
                               cl::init("-"), cl::cat(Category));
cl::opt<std::string> InputLanguage("x", cl::desc("Input language: nn or ir (default: ir for .nnir files, else nn)"),
                                   cl::value_desc("language"), cl::cat(Category));
cl::opt<std::string> OutputFile("o", cl::desc("Write output to <file>"),
                                cl::value_desc("file"), cl::cat(Category));
// -c names the default output, an object file, as clang's does.
cl::opt<bool> CompileOnly("c", cl::desc("Emit an object file (the default)"),
                          cl::cat(Category));
cl::opt<bool> EmitAssembly("S", cl::desc("Emit assembly (LLVM IR with --emit-llvm)"),
                           cl::cat(Category));
cl::opt<bool> EmitLLVM("emit-llvm", cl::desc("With -S: emit LLVM IR"),
                       cl::cat(Category));
cl::opt<bool> Shared("shared", cl::desc("Link a shared library"),
                     cl::cat(Category));
cl::opt<std::string> HeaderFile("header",
                                cl::desc("Also write a C header to <file>"),
                                cl::value_desc("file"), cl::cat(Category));
cl::opt<std::string> SignatureFile(
    "signature",
    cl::desc("Also write the signature description (JSON: functions, "
             "instances, parameter layouts) to <file>"),
    cl::value_desc("file"), cl::cat(Category));
cl::opt<std::string> OptLevel("O", cl::desc("Optimization level: -O0 ... -O3 (default -O2; -O is -O1)"),
                              cl::Prefix, cl::ValueOptional, cl::init("2"),
                              cl::cat(Category));
cl::opt<std::string> TargetTriple("target", cl::desc("Target triple, e.g. aarch64-linux-gnu"),
                                  cl::value_desc("triple"), cl::cat(Category));
cl::opt<std::string> CPU("mcpu", cl::desc("Target CPU: 'native' (this machine's; the default without --target), 'generic' (portable; the default with --target) or an LLVM CPU name"),
                         cl::cat(Category));
cl::opt<bool> ABIChecks("abi-checks",
                        cl::desc("Entry points also take the workspace's size and check their pointers (null, overlapping, too small), returning NNC_ERR_ARG"),
                        cl::cat(Category));
cl::opt<std::string> SymbolPrefix("prefix", cl::desc("Prefix for every exported symbol"),
                                  cl::init(""), cl::cat(Category));

enum class Stage { None, AST, IR, Grad, Opt, NN, Plan, Signature };
cl::opt<Stage> Emit(
    "emit", cl::desc("Print one stage of the pipeline and stop"),
    cl::values(clEnumValN(Stage::AST, "ast", "the syntax tree"),
               clEnumValN(Stage::IR, "ir", "the IR, before differentiation"),
               clEnumValN(Stage::Grad, "grad", "the IR with derived functions, before optimization"),
               clEnumValN(Stage::Opt, "opt", "the optimized IR"),
               clEnumValN(Stage::NN, "nn", "the optimized functions as .nn source"),
               clEnumValN(Stage::Plan, "plan", "the IR as code generation lowers it, each op with its plan (views, kernel tiles, workspace slots)"),
               clEnumValN(Stage::Signature, "signature", "the signature description (JSON) of the exported functions and instances")),
    cl::init(Stage::None), cl::cat(Category));
cl::opt<std::string> Passes("passes",
                            cl::desc("Comma-separated nnc passes to run instead of the default pipeline "
                                     "(inline, simplify, cse, dce); empty runs none"),
                            cl::value_desc("list"), cl::cat(Category));
cl::opt<bool> SyntaxOnly("fsyntax-only", cl::desc("Only check the input"),
                         cl::cat(Category));
cl::opt<unsigned> BracketDepth("fbracket-depth", cl::desc("Deepest bracket nesting accepted"),
                               cl::init(256), cl::cat(Category));
cl::opt<unsigned> ErrorLimit("ferror-limit", cl::desc("Stop after this many errors (0: no limit)"),
                             cl::init(20), cl::cat(Category));
cl::opt<unsigned> MaxOps("max-ops",
                        cl::desc("Refuse a function of more than N tensor ops of optimized IR, five scalar ops counting as one; derived functions are checked as AD builds them (0: no limit; default 10000)"),
                        cl::value_desc("N"), cl::init(DefaultMaxOps), cl::cat(Category));
cl::opt<unsigned> SplitFunctions(
    "split-functions",
    cl::desc("At -O1 and above, cut a function of more than N LLVM "
             "instructions into parts of at most N, so compile time stays "
             "linear (0: never; default 2000)"),
    cl::value_desc("N"), cl::init(CodeGenOptions::DefaultSplitInstructions),
    cl::cat(Category));
cl::opt<FPModel> FP(
    "fp-model", cl::desc("Floating-point rounding of generated code"),
    cl::values(clEnumValN(FPModel::Contract, "contract",
                          "fuse a multiply and its add where the target can "
                          "(default; matrix products still sum in order)"),
               clEnumValN(FPModel::Strict, "strict",
                          "round every operation: the same bits on every "
                          "target")),
    cl::init(FPModel::Contract), cl::cat(Category));
/// --threads, registered in main() once libLLVM's own hidden `threads`
/// option (which nnc does not use) is taken off the command line.
cl::opt<unsigned> *Threads = nullptr;
cl::opt<std::string> MaxInputSize("max-input-size",
                                  cl::desc("Refuse inputs larger than SIZE bytes (K, M, G suffixes; default 64M)"),
                                  cl::value_desc("SIZE"), cl::init("64M"), cl::cat(Category));
// `nnc check FILE.nn`: the gradient check (lib/Check does the work).
cl::SubCommand CheckCommand("check",
                            "Compare the file's derived gradients with finite "
                            "differences (docs/tools.md)");
cl::opt<std::string> CheckFile(cl::Positional, cl::Required,
                               cl::desc("<input .nn file>"),
                               cl::sub(CheckCommand), cl::cat(Category));
cl::opt<uint64_t> CheckSeed("seed", cl::desc("Seed of the random points (default 0)"),
                            cl::init(0), cl::sub(CheckCommand), cl::cat(Category));
cl::opt<double> CheckTol("tol", cl::desc("Largest relative error that passes (default 1e-6)"),
                         cl::init(1e-6), cl::sub(CheckCommand), cl::cat(Category));
cl::opt<unsigned> CheckPoints("points", cl::desc("Points per function (default 3)"),
                              cl::init(3), cl::sub(CheckCommand), cl::cat(Category));
cl::list<std::string> CheckFunctions("fn", cl::desc("Check only these functions"),
                                     cl::value_desc("name,..."), cl::CommaSeparated,
                                     cl::sub(CheckCommand), cl::cat(Category));
cl::opt<std::string> CheckAt("at",
                             cl::desc("Scalar parameters' values at the first point, e.g. x=0,y=1.5"),
                             cl::value_desc("name=value,..."), cl::sub(CheckCommand),
                             cl::cat(Category));

// `nnc graph FILE.nn --fn f --at x=1,y=2`: the circuit picture (lib/Graph).
cl::SubCommand GraphCommand("graph",
                            "Draw a scalar function's circuit with its "
                            "values and gradients (docs/tools.md)");
cl::opt<std::string> GraphFile(cl::Positional, cl::Required,
                               cl::desc("<input .nn file>"),
                               cl::sub(GraphCommand), cl::cat(Category));
cl::opt<std::string> GraphFunction("fn", cl::Required,
                                   cl::desc("The function to draw"),
                                   cl::value_desc("name"),
                                   cl::sub(GraphCommand), cl::cat(Category));
cl::opt<std::string> GraphAt("at",
                             cl::desc("Parameters' values: numbers, FILE.npy or randn, e.g. x=-2,y=5,z=-4 or x=x.npy,W=randn (an instance's parameters default to its initializer's)"),
                             cl::value_desc("name=value,..."),
                             cl::sub(GraphCommand), cl::cat(Category));
cl::opt<std::string> GraphDims("dims",
                               cl::desc("Sizes of dimension variables for randn values, e.g. B=4,n=3"),
                               cl::value_desc("name=size,..."),
                               cl::sub(GraphCommand), cl::cat(Category));
cl::opt<uint64_t> GraphSeed("seed", cl::desc("Seed of randn values and of an instance's initializer (default 0)"),
                            cl::init(0), cl::sub(GraphCommand), cl::cat(Category));
cl::opt<std::string> GraphExpand("expand", cl::ValueOptional,
                                 cl::desc("Draw calls as clusters of their gates: all (--expand) or those named (--expand=f,g); calls are boxes by default"),
                                 cl::value_desc("name,..."),
                                 cl::sub(GraphCommand), cl::cat(Category));
cl::opt<std::string> GraphOutput("o",
                                 cl::desc("Output: .dot or .gv (DOT text), .svg, .png or .pdf (rendered by Graphviz's dot); DOT on stdout by default"),
                                 cl::value_desc("file"), cl::init("-"),
                                 cl::sub(GraphCommand), cl::cat(Category));

// `nnc train FILE.nn --data fashion-mnist`: the trainer (lib/Train).
cl::SubCommand TrainCommand("train",
                            "Train the file's layer instance on a dataset "
                            "(docs/training.md)");
cl::opt<std::string> TrainFile(cl::Positional, cl::Required,
                               cl::desc("<input .nn file>"),
                               cl::sub(TrainCommand), cl::cat(Category));
/// Its options are lib/Train's (train::getOptionTable), which the REPL's
/// :train parses too; main() registers them, after LLVM's own --threads
/// has made way for nnc's. Each holds its text until train::setOption
/// reads it.
std::vector<std::unique_ptr<cl::opt<std::string>>> TrainFlags;
/// `--distributed` is the command line's alone (a REPL session is one
/// process).
cl::opt<bool> TrainDistributed(
    "distributed",
    cl::desc("Data-parallel training over the processes of an MPI job: "
             "mpirun -np N nnc train ... --distributed"),
    cl::sub(TrainCommand), cl::cat(Category));

/// Reports an error with no source location, as `nnc: error: ...`.
int fail(const llvm::Twine &Message) {
  llvm::WithColor::error(llvm::errs(), "nnc") << Message << '\n';
  return 1;
}

int fail(llvm::Error E) {
  std::string Message = llvm::toString(std::move(E));
  return fail(Message);
}

std::string defaultOutput(llvm::StringRef Ext) {
  if (InputFile == "-")
    return ("out" + Ext).str();
  llvm::SmallString<128> P(llvm::sys::path::filename(InputFile));
  llvm::sys::path::replace_extension(P, Ext);
  return std::string(P);
}

/// Opens -o (or \p Default, or stdout for "-") for writing.
std::unique_ptr<llvm::ToolOutputFile> openOutput(llvm::StringRef Default,
                                                 bool Binary) {
  std::string Name = OutputFile.empty() ? Default.str() : OutputFile.getValue();
  std::error_code EC;
  auto Out = std::make_unique<llvm::ToolOutputFile>(
      Name, EC, Binary ? llvm::sys::fs::OF_None : llvm::sys::fs::OF_Text);
  if (EC) {
    fail("cannot write '" + Name + "': " + EC.message());
    return nullptr;
  }
  return Out;
}

/// Keeps a written output file, or reports why it could not be written
/// (a full disk, say) and lets it be removed.
int finish(llvm::ToolOutputFile &Out) {
  Out.os().flush();
  if (std::error_code EC = Out.os().error()) {
    Out.os().clear_error();
    return fail("cannot write '" + Out.getFilename() + "': " + EC.message());
  }
  Out.keep();
  return 0;
}

int printStage(llvm::function_ref<void(llvm::raw_ostream &)> Print) {
  auto Out = openOutput("-", false);
  if (!Out)
    return 1;
  Print(Out->os());
  return finish(*Out);
}

unsigned OptLevelValue = 2;
uint64_t MaxInputBytes = DefaultMaxInputBytes;

/// Checks options whose values cl::opt cannot check, before any work.
bool validateOptions() {
  llvm::StringRef O = OptLevel;
  if (O.empty())
    O = "1";
  if (O.size() != 1 || O[0] < '0' || O[0] > '3') {
    fail("invalid optimization level '-O" + OptLevel + "' (use -O0, -O1, -O2 or -O3)");
    return false;
  }
  OptLevelValue = O[0] - '0';
  llvm::StringRef P = SymbolPrefix;
  auto IsIdentChar = [](char C) { return llvm::isAlnum(C) || C == '_'; };
  if (!P.empty() && (llvm::isDigit(P[0]) || !llvm::all_of(P, IsIdentChar))) {
    fail("invalid --prefix '" + SymbolPrefix +
         "': a prefix is letters, digits and '_', not starting with a digit");
    return false;
  }
  std::optional<uint64_t> Max = parseByteSize(MaxInputSize);
  if (!Max) {
    fail("invalid --max-input-size '" + MaxInputSize +
         "' (use a positive number of bytes, with K, M or G)");
    return false;
  }
  MaxInputBytes = *Max;
  if (Shared && EmitAssembly) {
    fail("-shared and -S ask for different outputs; give one");
    return false;
  }
  if (EmitLLVM && !EmitAssembly) {
    fail("--emit-llvm needs -S (LLVM IR is printed as text)");
    return false;
  }
  return true;
}

int linkShared(llvm::Module &LM, llvm::TargetMachine &TM) {
  llvm::SmallString<128> ObjPath;
  int FD;
  if (std::error_code EC =
          llvm::sys::fs::createTemporaryFile("nnc", "o", FD, ObjPath))
    return fail("cannot create a temporary file: " + EC.message());
  llvm::FileRemover Remover(ObjPath);
  {
    llvm::raw_fd_ostream OS(FD, /*shouldClose=*/true);
    if (llvm::Error E = emitMachineCode(LM, TM, OutputKind::Object, OS))
      return fail(std::move(E));
    OS.flush();
    if (std::error_code EC = OS.error()) {
      OS.clear_error();
      return fail("cannot write '" + ObjPath + "': " + EC.message());
    }
  }
  llvm::ErrorOr<std::string> CC = llvm::sys::findProgramByName("cc");
  if (!CC)
    return fail("-shared needs a system C compiler 'cc' to link; none found");
  std::string Out = OutputFile.empty() ? defaultOutput(".so") : OutputFile.getValue();
  llvm::SmallVector<llvm::StringRef, 8> Args = {*CC, "-shared", "-o", Out,
                                                ObjPath, "-lm"};
  std::string Message;
  int RC = llvm::sys::ExecuteAndWait(*CC, Args, std::nullopt, {}, 0, 0, &Message);
  if (RC != 0)
    return fail("linking '" + Out + "' failed" +
                (Message.empty() ? "" : ": " + Message));
  return 0;
}

/// Writes the requested code output: a shared library, LLVM IR, assembly
/// or an object file.
int writeCode(llvm::Module &LM, llvm::TargetMachine &TM) {
  if (Shared)
    return linkShared(LM, TM);
  if (EmitAssembly && EmitLLVM)
    return printStage([&](llvm::raw_ostream &OS) { LM.print(OS, nullptr); });
  bool Asm = EmitAssembly;
  auto Out = openOutput(defaultOutput(Asm ? ".s" : ".o"), !Asm);
  if (!Out)
    return 1;
  if (llvm::Error E = emitMachineCode(
          LM, TM, Asm ? OutputKind::Assembly : OutputKind::Object, Out->os()))
    return fail(std::move(E));
  return finish(*Out);
}

int compile() {
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> Buffer =
      readSource(InputFile, MaxInputBytes);
  if (!Buffer)
    return fail(Buffer.takeError());
  llvm::SourceMgr SM;
  unsigned BufferID = SM.AddNewSourceBuffer(std::move(*Buffer), llvm::SMLoc());
  DiagnosticEngine Diags(SM);
  Diags.setErrorLimit(ErrorLimit);
  // LLVM's --color option (on a terminal by default) decides.
  Diags.setShowColors(llvm::WithColor(llvm::errs()).colorsEnabled());

  std::unique_ptr<ir::Module> IR;
  if (InputLanguage == "ir" ||
      (InputLanguage.empty() && llvm::StringRef(InputFile).ends_with(".nnir"))) {
    // IR text starts the pipeline at the IR stage, as .ll files do opt.
    if (Emit == Stage::AST)
      return fail("--emit=ast needs .nn input");
    llvm::Expected<std::unique_ptr<ir::Module>> Parsed = parseIRModule(BufferID, Diags);
    if (!Parsed) {
      llvm::consumeError(Parsed.takeError()); // reported through Diags
      return 1;
    }
    IR = std::move(*Parsed);
    if (SyntaxOnly)
      return 0;
  } else {
    ParseOptions PO;
    PO.BracketDepth = BracketDepth;
    // Printing a stage exports no symbols; everything else (and
    // -fsyntax-only, which says whether the rest would) compiles to them.
    SemaOptions SO;
    SO.ExportsSymbols = Emit == Stage::None || Emit == Stage::Signature;
    SO.CHeader = !HeaderFile.empty();
    SO.SymbolPrefix = SymbolPrefix;
    std::unique_ptr<ast::Module> AST = parseModule(BufferID, Diags, PO);
    if (!AST)
      return 1;
    if (Diags.hasErrors()) {
      // The declarations that parsed are still checked, so every
      // independent error of the file is reported: the syntax errors
      // first, then the others in source order.
      if (!Diags.isSaturated())
        checkModule(*AST, Diags, SO);
      return 1;
    }
    if (Emit == Stage::AST)
      return printStage([&](llvm::raw_ostream &OS) { ast::printModule(*AST, OS); });
    if (!checkModule(*AST, Diags, SO) || Diags.hasErrors())
      return 1;
    if (SyntaxOnly)
      return 0;

    IR = lowerModule(*AST);
    std::string VerifyError = ir::verifyModule(*IR);
    if (!VerifyError.empty())
      return fail("internal error: lowering produced invalid IR: " + VerifyError);
  }
  if (Emit == Stage::IR)
    return printStage([&](llvm::raw_ostream &OS) { ir::printModule(*IR, OS); });

  std::vector<std::string> Pipeline = getDefaultPipeline();
  PipelineOptions PipeOpts;
  PipeOpts.MaxIterations = 4;
  bool DefaultPipeline = !Passes.getNumOccurrences();
  if (!DefaultPipeline) {
    Pipeline.clear();
    llvm::SmallVector<llvm::StringRef, 8> Names;
    llvm::StringRef(Passes).split(Names, ',', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef N : Names)
      Pipeline.push_back(N.trim().str());
    PipeOpts.MaxIterations = 1;
  }
  // LLVM's own --print-after-all also prints nnc's passes.
  if (llvm::shouldPrintAfterAll())
    PipeOpts.PrintAfterEach = &llvm::outs();
  // With the default pipeline, each derivative is optimized before it is
  // differentiated again; --emit=grad shows AD's own output, and
  // --passes= runs exactly what it names, once, after AD. Either way a
  // derived function past --max-ops stops AD before it grows further.
  bool Interleave = DefaultPipeline && Emit != Stage::Grad &&
                    !PipeOpts.PrintAfterEach;
  auto AfterEach = [&](ir::Module &M, llvm::StringRef Built) -> llvm::Error {
    if (Interleave)
      if (llvm::Error E = runPipeline(M, Pipeline, PipeOpts))
        return E;
    const ir::Function *F = M.lookup(Built);
    if (F && !checkFunctionSize(*F, MaxOps, Diags))
      return llvm::make_error<llvm::StringError>(
          "reported", llvm::inconvertibleErrorCode());
    return llvm::Error::success();
  };
  if (llvm::Error E = differentiateModule(*IR, AfterEach)) {
    if (Diags.hasErrors()) {
      llvm::consumeError(std::move(E));
      return 1;
    }
    return fail(std::move(E));
  }
  if (Emit == Stage::Grad)
    return printStage([&](llvm::raw_ostream &OS) { ir::printModule(*IR, OS); });

  if (llvm::Error E = runPipeline(*IR, Pipeline, PipeOpts))
    return fail(std::move(E));
  if (Emit == Stage::Opt)
    return printStage([&](llvm::raw_ostream &OS) { ir::printModule(*IR, OS); });
  if (Emit == Stage::NN)
    return printStage([&](llvm::raw_ostream &OS) { ir::printModuleAsNN(*IR, OS); });

  if (!checkFunctionSizes(*IR, MaxOps, Diags))
    return 1;
  CodeGenOptions CGO;
  CGO.TargetTriple = TargetTriple;
  CGO.CPU = CPU;
  CGO.OptLevel = OptLevelValue;
  CGO.SplitInstructions = SplitFunctions;
  CGO.FP = FP;
  if (*Threads < 1 || *Threads > 256)
    return fail("--threads=" + llvm::Twine(Threads->getValue()) +
                ": give a number of threads from 1 to 256");
  CGO.Threads = *Threads;
  CGO.SymbolPrefix = SymbolPrefix;
  CGO.ABIChecks = ABIChecks;
  CGO.ParamTables = true;
  std::string Source = InputFile == "-"
                           ? "<stdin>"
                           : llvm::sys::path::filename(InputFile).str();
  if (Emit == Stage::Signature) {
    std::string Problem;
    int RC = printStage([&](llvm::raw_ostream &OS) {
      if (llvm::Error E = emitSignature(*IR, CGO, Source, OS))
        Problem = llvm::toString(std::move(E));
    });
    return Problem.empty() ? RC : fail(Problem);
  }

  auto TM = createTargetMachine(CGO);
  if (!TM)
    return fail(TM.takeError());
  if (Emit == Stage::Plan) {
    std::string Problem;
    int RC = printStage([&](llvm::raw_ostream &OS) {
      if (llvm::Error E = printCodeGenPlan(*IR, **TM, CGO, OS))
        Problem = llvm::toString(std::move(E));
    });
    return Problem.empty() ? RC : fail(Problem);
  }
  llvm::LLVMContext Ctx;
  auto LM = emitLLVMModule(*IR, Ctx, **TM, CGO);
  if (!LM)
    return fail(LM.takeError());

  // The header is made first, since a name C cannot declare stops
  // everything, and written last, once the code is: a failed run leaves
  // no header behind.
  std::string HeaderText, SignatureText;
  if (!HeaderFile.empty()) {
    llvm::raw_string_ostream OS(HeaderText);
    if (llvm::Error E = emitCHeader(*IR, CGO, Source, OS))
      return fail(std::move(E));
  }
  if (!SignatureFile.empty()) {
    llvm::raw_string_ostream OS(SignatureText);
    if (llvm::Error E = emitSignature(*IR, CGO, Source, OS))
      return fail(std::move(E));
  }

  // Opened before the code is written, so an unwritable path stops the run
  // before any output; removed again unless everything succeeds.
  std::unique_ptr<llvm::ToolOutputFile> Header, Signature;
  for (auto [Path, File] : {std::pair(&HeaderFile, &Header),
                            std::pair(&SignatureFile, &Signature)}) {
    if (Path->empty())
      continue;
    std::error_code EC;
    *File = std::make_unique<llvm::ToolOutputFile>(*Path, EC,
                                                   llvm::sys::fs::OF_Text);
    if (EC)
      return fail("cannot write '" + *Path + "': " + EC.message());
  }

  optimizeLLVMModule(**LM, **TM, CGO.OptLevel);
  if (int RC = writeCode(**LM, **TM))
    return RC;
  if (Header) {
    Header->os() << HeaderText;
    if (int RC = finish(*Header))
      return RC;
  }
  if (Signature) {
    Signature->os() << SignatureText;
    return finish(*Signature);
  }
  return 0;
}

/// Reads --at's `name=value,...` into \p Out; false after reporting a bad
/// item.
bool parseAt(llvm::StringRef At,
             std::vector<std::pair<std::string, double>> &Out) {
  llvm::SmallVector<llvm::StringRef, 4> Items;
  At.split(Items, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef Item : Items) {
    auto [Name, Text] = Item.split('=');
    double V;
    if (Name.trim().empty() || Text.trim().empty() ||
        !llvm::to_float(Text.trim(), V) || !std::isfinite(V)) {
      fail("invalid --at item '" + Item + "' (use name=value)");
      return false;
    }
    Out.emplace_back(Name.trim().str(), V);
  }
  return true;
}

int runCheck() {
  check::CheckOptions Opts;
  Opts.Seed = CheckSeed;
  if (!(CheckTol >= 0) || !std::isfinite(CheckTol))
    return fail("invalid --tol: give a finite number, 0 or more");
  Opts.Tol = CheckTol;
  if (CheckPoints < 1)
    return fail("invalid --points: give 1 or more");
  Opts.Points = CheckPoints;
  Opts.Functions.assign(CheckFunctions.begin(), CheckFunctions.end());
  if (!parseAt(CheckAt, Opts.At))
    return 1;
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> Buffer =
      readSource(CheckFile, MaxInputBytes);
  if (!Buffer)
    return fail(Buffer.takeError());
  std::string Name = CheckFile == "-" ? "<stdin>" : CheckFile.getValue();
  llvm::Expected<check::CheckReport> Report =
      check::checkSource((*Buffer)->getBuffer(), Name, Opts, llvm::errs());
  if (!Report)
    return fail(Report.takeError());
  check::printReport(*Report, Opts, llvm::outs());
  return Report->passed() ? 0 : 1;
}

int runGraph() {
  graph::GraphOptions Opts;
  Opts.Function = GraphFunction;
  llvm::SmallVector<llvm::StringRef, 4> Items;
  llvm::StringRef(GraphAt).split(Items, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef Item : Items) {
    auto [Name, Text] = Item.split('=');
    std::optional<graph::ArgSpec> Spec = graph::parseArgSpec(Text);
    if (Name.trim().empty() || !Spec)
      return fail("invalid --at item '" + Item +
                  "' (use name=number, name=FILE.npy or name=randn)");
    Opts.At.emplace_back(Name.trim().str(), std::move(*Spec));
  }
  Items.clear();
  llvm::StringRef(GraphDims).split(Items, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef Item : Items) {
    auto [Name, Text] = Item.split('=');
    int64_t Size;
    if (Name.trim().empty() || Text.trim().getAsInteger(10, Size))
      return fail("invalid --dims item '" + Item + "' (use name=size)");
    Opts.Dims.emplace_back(Name.trim().str(), Size);
  }
  Opts.Seed = GraphSeed;
  if (GraphExpand.getNumOccurrences()) {
    if (GraphExpand.empty())
      Opts.ExpandAll = true;
    else
      for (llvm::StringRef N : llvm::split(GraphExpand.getValue(), ','))
        if (!N.trim().empty())
          Opts.Expand.push_back(N.trim().str());
  }
  llvm::StringRef Out = GraphOutput;
  llvm::StringRef Ext = llvm::sys::path::extension(Out);
  bool Text = Out == "-" || Ext == ".dot" || Ext == ".gv";
  if (!Text && Ext != ".svg" && Ext != ".png" && Ext != ".pdf")
    return fail("cannot write '" + Out +
                "': give a .dot, .gv, .svg, .png or .pdf file");
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> Buffer =
      readSource(GraphFile, MaxInputBytes);
  if (!Buffer)
    return fail(Buffer.takeError());
  std::string Name = GraphFile == "-" ? "<stdin>" : GraphFile.getValue();
  llvm::Expected<graph::Circuit> C =
      graph::buildCircuit((*Buffer)->getBuffer(), Name, Opts, llvm::errs());
  if (!C)
    return fail(C.takeError());
  std::string Dot;
  llvm::raw_string_ostream DOS(Dot);
  graph::printDot(*C, DOS);
  if (Out != "-") {
    if (llvm::Error E = graph::writeDot(Dot, Out))
      return fail(std::move(E));
    return 0;
  }
  std::error_code EC;
  llvm::ToolOutputFile File(Out, EC, llvm::sys::fs::OF_Text);
  if (EC)
    return fail("cannot write '" + Out + "': " + EC.message());
  File.os() << Dot;
  return finish(File);
}

/// The first Ctrl-C asks the trainer to stop after its step; the handler
/// then steps aside, so a second one ends nnc at once.
extern "C" void onTrainInterrupt(int) {
  jit::handleInterrupt();
  std::signal(SIGINT, SIG_DFL);
}

int runTrain() {
  train::Arguments A;
  llvm::ArrayRef<train::OptionInfo> Table = train::getOptionTable();
  for (size_t K = 0; K < Table.size(); ++K)
    if (TrainFlags[K]->getNumOccurrences())
      if (llvm::Error E =
              train::setOption(A, Table[K].Name, TrainFlags[K]->getValue()))
        return fail(std::move(E));
  A.Run.Terminal = llvm::sys::Process::StandardOutIsDisplayed();
  A.Train.Distributed = TrainDistributed;

  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> Buffer =
      readSource(TrainFile, MaxInputBytes);
  if (!Buffer)
    return fail(Buffer.takeError());
  std::string Name = TrainFile == "-" ? "<stdin>" : TrainFile.getValue();
  auto Model = train::parseModel((*Buffer)->getBuffer(), Name, llvm::errs());
  if (!Model)
    return fail(Model.takeError());
  std::signal(SIGINT, onTrainInterrupt);
  // mpirun ends its processes at once on Ctrl-C, but passes SIGUSR1 on:
  // `kill -USR1` to it stops a distributed run cleanly (docs/training.md).
  if (TrainDistributed)
    std::signal(SIGUSR1, onTrainInterrupt);
  llvm::Expected<int> RC =
      train::run(*Model, A.Train, A.Data, A.Run, llvm::outs(), llvm::errs());
  if (!RC)
    return fail(RC.takeError());
  return *RC;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM X(argc, argv);
  // LLVM's own --color and --print-after-all serve nnc too: list them.
  for (const char *Name : {"color", "print-after-all"})
    if (cl::Option *O = cl::getRegisteredOptions().lookup(Name)) {
      O->Categories.assign(1, &Category);
      O->setHiddenFlag(cl::NotHidden);
    }
  if (cl::Option *O = cl::getRegisteredOptions().lookup("threads"))
    O->removeArgument();
  static cl::opt<unsigned> ThreadsOpt(
      "threads",
      cl::desc("Share each large matrix product, and each large element-wise "
               "or row-wise op over a batch, among N threads (POSIX threads "
               "of the C library; the same results for every N; default 1)"),
      cl::value_desc("N"), cl::init(1), cl::cat(Category));
  Threads = &ThreadsOpt;
  for (const train::OptionInfo &I : train::getOptionTable())
    TrainFlags.push_back(std::make_unique<cl::opt<std::string>>(
        llvm::StringRef(I.Name), cl::desc(I.Help), cl::value_desc(I.ValueName),
        cl::sub(TrainCommand), cl::cat(Category)));
  cl::HideUnrelatedOptions(Category);
  cl::SetVersionPrinter([](llvm::raw_ostream &OS) {
    OS << "nnc version " NNC_VERSION "\n"
       << "  LLVM " LLVM_VERSION_STRING "\n"
       << "  default target: " << llvm::sys::getDefaultTargetTriple() << '\n';
  });
  cl::ParseCommandLineOptions(argc, argv,
                              "nnc: compiles .nn models and their gradients to native code\n");
  if (!validateOptions())
    return 1;
  if (CheckCommand)
    return runCheck();
  if (GraphCommand)
    return runGraph();
  if (TrainCommand)
    return runTrain();
  if (!InputLanguage.empty() && InputLanguage != "nn" && InputLanguage != "ir")
    return fail("unknown input language '" + InputLanguage + "' (-x nn or -x ir)");
  // No large stack needed: the stages continue on fresh stacks as deep
  // input requires (nnc/Support/Stack.h).
  return compile();
}
