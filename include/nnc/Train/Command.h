//===- Command.h - nnc train's options and the REPL's :train ----*- C++ -*-===//
//
// The options `nnc train` takes after its file are defined once, here: the
// driver registers one command-line option per entry of getOptionTable()
// and hands what it parsed to setOption(); the REPL's `:train net.loss
// --data fashion-mnist --epochs 1` parses its words with parseOptions(),
// which goes through the same setOption(). Both then call train::run.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_TRAIN_COMMAND_H
#define NNC_TRAIN_COMMAND_H

#include "nnc/JIT/Session.h"
#include "nnc/Train/Trainer.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <optional>

namespace nnc::train {

/// Everything `nnc train FILE.nn` takes after the file.
struct Arguments {
  TrainOptions Train;
  DataOptions Data;
  RunOptions Run;
};

/// One option: `--Name ValueName`, described by Help (with its default).
struct OptionInfo {
  llvm::StringLiteral Name;
  llvm::StringLiteral ValueName;
  llvm::StringLiteral Help;
};

/// Every option of `nnc train`, in the order `--help` lists them.
llvm::ArrayRef<OptionInfo> getOptionTable();

/// Sets option \p Name (without dashes, one of the table's) from \p Value
/// as the command line spells it. An error names the option and the value.
llvm::Error setOption(Arguments &A, llvm::StringRef Name,
                      llvm::StringRef Value);

/// Parses `--name value` and `--name=value` words into \p A (which keeps
/// what they do not set). \p What names the command in errors.
llvm::Error parseOptions(llvm::ArrayRef<llvm::StringRef> Words, Arguments &A,
                         llvm::StringRef What);

/// The REPL's `:train INST.METHOD [OPTIONS]` (docs/repl.md): trains the
/// session's instance INST with train::run, starting from the parameters
/// the session holds. Returns INST's declaration with the trained
/// parameters; nullopt after an error (reported to \p Err) or when Ctrl-C
/// stopped the run, either of which leaves the parameters as they were.
std::optional<jit::SessionDecl> runReplCommand(const jit::Session &S,
                                               const jit::Input &Arg,
                                               llvm::raw_ostream &Out,
                                               llvm::raw_ostream &Err);

} // namespace nnc::train

#endif // NNC_TRAIN_COMMAND_H
