//===- CodeGen.h - From nnc IR to LLVM IR, machine code and headers -*- C++ -*-===//
//
// Every function of a module becomes an LLVM function with a C ABI:
// scalars are passed and returned by value; a function returning a tuple
// returns void and writes each component, flattened, through a pointer
// appended after its inputs (docs/abi.md).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_CODEGEN_CODEGEN_H
#define NNC_CODEGEN_CODEGEN_H

#include "nnc/IR/IR.h"
#include "nnc/Support/Diagnostics.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include <memory>
#include <string>

namespace nnc {

/// How floating-point arithmetic may be rounded (`nnc --fp-model`).
enum class FPModel {
  /// A multiply and the add of its product may be one fused operation
  /// where the target has it (as C compilers do within an expression):
  /// matrix products still add each element's products in order of k.
  Contract,
  /// Every operation rounds on its own: results are bit for bit the same
  /// on every target.
  Strict,
};

struct CodeGenOptions {
  std::string TargetTriple; // empty: the host
  /// Empty: this machine's CPU and features when compiling for this
  /// machine (no TargetTriple), the portable "generic" otherwise.
  /// "native": this machine's; anything else: an LLVM CPU name.
  std::string CPU;
  unsigned OptLevel = 2;    // 0 to 3, as -O0 ... -O3
  std::string SymbolPrefix; // prepended to every exported symbol
  /// --abi-checks: entry points also take the workspace's size and check
  /// every pointer (null, overlapping outputs, a small workspace) before
  /// touching memory, returning NNC_ERR_ARG (docs/abi.md).
  bool ABIChecks = false;
  /// Define each instance's parameter table (`net_params_table`,
  /// docs/abi.md) in the object and declare it in the header. Off for the
  /// JIT, whose modules are linked together and would define them again.
  bool ParamTables = false;
  /// At -O1 and above, a function whose emitted code has more LLVM
  /// instructions than this is cut at op boundaries into internal functions
  /// of at most this many each, so that LLVM's compile time stays linear
  /// in the size of the program (`nnc --split-functions=N`; 0: never).
  unsigned SplitInstructions = DefaultSplitInstructions;
  static constexpr unsigned DefaultSplitInstructions = 2000;
  FPModel FP = FPModel::Contract;
  /// Threads a large matrix product is shared among (`nnc --threads=N`),
  /// started and joined by each product; results do not depend on it.
  unsigned Threads = 1;
};

/// The most tensor ops one function of the optimized IR may have by
/// default (`nnc --max-ops`, `nnc-repl --max-ops`); five scalar ops count
/// as one. Code generation takes time linear in the ops (large functions
/// are cut into parts), some 8 ms per tensor op at -O2 on one core: this
/// bounds one function's compile time to a minute or two
/// (docs/performance.md).
constexpr unsigned DefaultMaxOps = 10000;

/// The ops of a function's body, as `--emit=opt` prints them (not its
/// params): those with a tensor result or operand, and the others.
struct OpCount {
  uint64_t Tensor = 0, Scalar = 0;
};
OpCount countBodyOps(const ir::Function &F);

/// Whether \p N is past the limit \p MaxOps (0: no limit).
bool exceedsMaxOps(const OpCount &N, unsigned MaxOps);

/// Reports \p F at its declaration if it is past \p MaxOps; returns
/// whether it is not.
bool checkFunctionSize(const ir::Function &F, unsigned MaxOps,
                       DiagnosticEngine &Diags);
/// The same for each function of \p M; returns whether none is past.
bool checkFunctionSizes(const ir::Module &M, unsigned MaxOps,
                        DiagnosticEngine &Diags);

/// Creates the target machine for \p Opts (all LLVM targets are usable).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CodeGenOptions &Opts);

/// Prints the IR as code generation will lower it for \p TM (tensor
/// functions inlined into their callers), each op noted with its plan:
/// which are views read in place, which products call the kernel and with
/// which tile, where each value lives (`nnc --emit=plan`).
llvm::Error printCodeGenPlan(const ir::Module &M, llvm::TargetMachine &TM,
                             const CodeGenOptions &Opts,
                             llvm::raw_ostream &OS);

/// Lowers \p M to an LLVM module for \p TM and verifies it.
llvm::Expected<std::unique_ptr<llvm::Module>>
emitLLVMModule(const ir::Module &M, llvm::LLVMContext &Ctx,
               llvm::TargetMachine &TM, const CodeGenOptions &Opts);

/// The attribute of a function nnc builds in its final loop structure (the
/// matrix kernel, lib/CodeGen/Gemm.h): optimizeLLVMModule gives it a short
/// pipeline of clean-up passes rather than the whole function pipeline.
inline constexpr llvm::StringLiteral HandBuiltAttr = "nnc-hand-built";

/// Runs LLVM's standard -O pipeline of \p Opts.OptLevel (a short one on
/// functions marked HandBuiltAttr).
void optimizeLLVMModule(llvm::Module &LM, llvm::TargetMachine &TM,
                        unsigned OptLevel);

enum class OutputKind { Object, Assembly };
/// Writes an object file or assembly for \p LM.
llvm::Error emitMachineCode(llvm::Module &LM, llvm::TargetMachine &TM,
                            OutputKind Kind, llvm::raw_pwrite_stream &OS);

/// Writes a C header (valid C and C++) declaring the exported functions.
llvm::Error emitCHeader(const ir::Module &M, const CodeGenOptions &Opts,
                        llvm::StringRef SourceName, llvm::raw_ostream &OS);

/// Writes the signature description of the exported interface: JSON,
/// versioned (`"nnc_abi": 1`), printed from the same description as the
/// header (docs/abi.md, "The signature file").
llvm::Error emitSignature(const ir::Module &M, const CodeGenOptions &Opts,
                          llvm::StringRef SourceName, llvm::raw_ostream &OS);

/// Whether \p F is called through the status ABI of docs/abi.md (it uses
/// tensors or an instance struct): results through pointers, a workspace
/// last, an int32_t status returned.
bool hasStatusABI(const ir::Function &F);
/// The symbol of the workspace-size function of a status-ABI \p F.
std::string getWorkspaceSizeSymbol(const ir::Function &F,
                                   const CodeGenOptions &Opts);

/// The C names of the flattened results of \p F (one per tuple leaf).
std::vector<std::string> getResultNames(const ir::Function &F);

} // namespace nnc

#endif // NNC_CODEGEN_CODEGEN_H
