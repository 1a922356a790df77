//===- ReplCommand.cpp - The REPL's :train --------------------------------===//
//
// `:train net.loss --data fashion-mnist --epochs 1` runs train::run, as
// `nnc train` does, on the session's declarations, with the session's
// parameters of `net` copied into the trainer's parameter struct before
// training (RunOptions::OnStart) and copied out of it after
// (RunOptions::OnTrained). What it returns is `net`'s declaration with the
// new parameters: the REPL applies it as any outcome, so a failure, a
// Ctrl-C or a crash under --isolate leaves the session as it was.
//
//===----------------------------------------------------------------------===//
#include "Model.h"
#include "nnc/Train/Command.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/StringSaver.h"
#include "llvm/Support/WithColor.h"
#include <cstring>

using namespace nnc;
using namespace nnc::train;

static bool isIdentifier(llvm::StringRef S) {
  return !S.empty() && !llvm::isDigit(S[0]) &&
         llvm::all_of(S, [](char C) { return llvm::isAlnum(C) || C == '_'; });
}

static bool hasDType(const jit::StoredTensor &T, data::DType D) {
  switch (T.Elem) {
  case ElementKind::F32:
    return D == data::DType::F32;
  case ElementKind::F64:
    return D == data::DType::F64;
  case ElementKind::I32:
    return D == data::DType::I32;
  case ElementKind::I64:
    return D == data::DType::I64;
  case ElementKind::Bool:
    return false;
  }
  return false;
}

std::optional<jit::SessionDecl> train::runReplCommand(const jit::Session &S,
                                                      const jit::Input &Arg,
                                                      llvm::raw_ostream &Out,
                                                      llvm::raw_ostream &Err) {
  auto Fail =
      [&](const llvm::Twine &Message) -> std::optional<jit::SessionDecl> {
    llvm::WithColor::error(Err, "nnc-repl") << Message << '\n';
    return std::nullopt;
  };
  // Words as a shell splits them, so a file name may be quoted.
  llvm::BumpPtrAllocator Alloc;
  llvm::StringSaver Saver(Alloc);
  llvm::SmallVector<const char *, 16> Argv;
  llvm::cl::TokenizeGNUCommandLine(Arg.Text, Saver, Argv);
  std::vector<llvm::StringRef> Words(Argv.begin(), Argv.end());
  llvm::erase(Words, llvm::StringRef());
  static constexpr llvm::StringLiteral Usage =
      ":train needs a method of a layer instance, such as :train net.loss "
      "--data fashion-mnist --epochs 1";
  if (Words.empty())
    return Fail(Usage);
  auto [Inst, Method] = Words.front().split('.');
  if (!isIdentifier(Inst) || !isIdentifier(Method))
    return Fail(llvm::Twine(Usage) + " (not '" + Words.front() + "')");
  const jit::SessionDecl *D = S.lookup(Inst);
  if (!D)
    return Fail(":train: '" + Inst + "' is not declared");
  if (D->IsValue || !D->Data)
    return Fail(
        ":train: '" + Inst + "' is " + (D->IsValue ? "a value, not" : "not") +
        " a layer instance (declare one: let " + Inst + " = Layer(...))");

  Arguments A;
  if (llvm::Error E =
          parseOptions(llvm::ArrayRef(Words).drop_front(), A, ":train"))
    return Fail(llvm::toString(std::move(E)));
  if (!A.Train.Instance.empty() || A.Train.Method != "loss")
    return Fail(":train takes the instance and its method as " + Words.front() +
                ", not as --instance or --loss");
  A.Train.Instance = Inst.str();
  A.Train.Method = Method.str();
  A.Run.Terminal = llvm::sys::Process::StandardOutIsDisplayed();

  const std::vector<jit::StoredTensor> &Held = *D->Data;
  A.Run.OnStart = [&](Trainer &T) -> llvm::Error {
    llvm::ArrayRef<ParamInfo> Params = T.getParams();
    if (Params.size() != Held.size())
      return error("internal error: " + Inst + " has " +
                   llvm::Twine(Held.size()) + " parameters in the session, " +
                   llvm::Twine(Params.size()) + " in the trainer");
    llvm::MutableArrayRef<uint8_t> Struct = T.getParamStruct();
    for (size_t K = 0; K < Params.size(); ++K) {
      const ParamInfo &P = Params[K];
      const jit::StoredTensor &H = Held[K];
      if (H.Name != P.Name || !hasDType(H, P.Type) || H.Shape != P.Shape ||
          H.getByteSize() != P.Bytes || P.Offset + P.Bytes > Struct.size())
        return error("internal error: the session's " + Inst + "." + H.Name +
                     " (" + H.getTypeString() +
                     ") is not the trainer's parameter " + P.Name);
      std::memcpy(Struct.data() + P.Offset, H.data(), P.Bytes);
    }
    return llvm::Error::success();
  };
  std::optional<std::vector<jit::StoredTensor>> Trained;
  A.Run.OnTrained = [&](Trainer &T) {
    llvm::ArrayRef<ParamInfo> Params = T.getParams();
    llvm::MutableArrayRef<uint8_t> Struct = T.getParamStruct();
    Trained = Held;
    for (size_t K = 0; K < Params.size(); ++K)
      std::memcpy((*Trained)[K].data(), Struct.data() + Params[K].Offset,
                  Params[K].Bytes);
  };

  llvm::Expected<int> RC = run(S, A.Train, A.Data, A.Run, Out, Err);
  Out.flush();
  if (!RC)
    return Fail(llvm::toString(RC.takeError()));
  if (*RC != 0 || !Trained) {
    llvm::WithColor::note(Err, "nnc-repl")
        << "the parameters of '" << Inst << "' are unchanged"
        << (A.Run.Save.empty() ? ""
                               : " (" + A.Run.Save +
                                     " holds the "
                                     "training so far: --load it)")
        << '\n';
    return std::nullopt;
  }
  jit::SessionDecl New = *D;
  New.Data =
      std::make_shared<std::vector<jit::StoredTensor>>(std::move(*Trained));
  return New;
}
