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
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include <memory>
#include <string>

namespace nnc {

struct CodeGenOptions {
  std::string TargetTriple; // empty: the host
  std::string CPU = "generic";
  unsigned OptLevel = 2;    // 0 to 3, as -O0 ... -O3
  std::string SymbolPrefix; // prepended to every exported symbol
  /// --abi-checks: entry points also take the workspace's size and check
  /// every pointer (null, overlapping outputs, a small workspace) before
  /// touching memory, returning NNC_ERR_ARG (docs/abi.md).
  bool ABIChecks = false;
};

/// Creates the target machine for \p Opts (all LLVM targets are usable).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CodeGenOptions &Opts);

/// Lowers \p M to an LLVM module for \p TM and verifies it.
llvm::Expected<std::unique_ptr<llvm::Module>>
emitLLVMModule(const ir::Module &M, llvm::LLVMContext &Ctx,
               llvm::TargetMachine &TM, const CodeGenOptions &Opts);

/// Runs LLVM's standard -O pipeline of \p Opts.OptLevel.
void optimizeLLVMModule(llvm::Module &LM, llvm::TargetMachine &TM,
                        unsigned OptLevel);

enum class OutputKind { Object, Assembly };
/// Writes an object file or assembly for \p LM.
llvm::Error emitMachineCode(llvm::Module &LM, llvm::TargetMachine &TM,
                            OutputKind Kind, llvm::raw_pwrite_stream &OS);

/// Writes a C header (valid C and C++) declaring the exported functions.
llvm::Error emitCHeader(const ir::Module &M, const CodeGenOptions &Opts,
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
