//===- Command.cpp - nnc train's options, shared with the REPL's :train ---===//
#include "nnc/Train/Command.h"
#include "Model.h"
#include "llvm/ADT/StringExtras.h"
#include <climits>

using namespace nnc;
using namespace nnc::train;

static const OptionInfo Options[] = {
    {"data", "name", "A named dataset: fashion-mnist"},
    {"train", "files", "Training data: X.npy,Y.npy or data.csv"},
    {"test", "files", "Test data: X.npy,Y.npy or data.csv"},
    {"label-column", "name", "The label column of CSV data"},
    {"limit", "N", "Train on the first N samples only (default: all)"},
    {"instance", "name",
     "The layer instance to train (default: the file's only one)"},
    {"loss", "method", "Its loss method (default: loss)"},
    {"optimizer", "name", "sgd, momentum, adam or adamw (default: adam)"},
    {"lr", "X", "Learning rate (default 0.001)"},
    {"momentum", "X", "Momentum (default 0.9)"},
    {"beta1", "X", "Adam's beta1 (default 0.9)"},
    {"beta2", "X", "Adam's beta2 (default 0.999)"},
    {"eps", "X", "Adam's epsilon (default 1e-8)"},
    {"weight-decay", "X", "Weight decay (default 0)"},
    {"lr-schedule", "name", "constant, step or cosine (default: constant)"},
    {"lr-step", "N",
     "step: multiply the rate by --lr-gamma every N epochs (default 10)"},
    {"lr-gamma", "X", "step: the factor (default 0.1)"},
    {"min-lr", "X", "cosine: the final rate (default 0)"},
    {"epochs", "N", "Epochs (default 1; 0 only evaluates)"},
    {"batch-size", "N", "Samples per step (default 64)"},
    {"seed", "N",
     "Seed of the initial parameters and the shuffling (default 0)"},
    {"threads", "N",
     "Share each large matrix product among N threads (default 1)"},
    {"save", "file",
     "Save the parameters to a .safetensors file at the end (and on Ctrl-C)"},
    {"load", "file", "Start from the parameters of a .safetensors file"},
    {"predict", "file",
     "Write the predicted class of each test sample to a .npy file (int64)"},
};

llvm::ArrayRef<OptionInfo> train::getOptionTable() { return Options; }

llvm::Error train::setOption(Arguments &A, llvm::StringRef Name,
                             llvm::StringRef Value) {
  auto Bad = [&](llvm::StringRef Want) {
    return error("invalid --" + Name + "=" + Value + ": give " + Want);
  };
  // Range checks beyond the type's are validateOptions' and loadData's,
  // which name the option the same way.
  auto Real = [&](double &To) -> llvm::Error {
    if (!llvm::to_float(Value, To))
      return Bad("a number");
    return llvm::Error::success();
  };
  auto Int = [&](auto &To, long long Min,
                 unsigned long long Max) -> llvm::Error {
    long long V;
    if (Value.getAsInteger(10, V) || V < Min ||
        (V >= 0 && static_cast<unsigned long long>(V) > Max))
      return Bad(Min < 0 ? "a whole number" : "a whole number, 0 or more");
    To = static_cast<std::remove_reference_t<decltype(To)>>(V);
    return llvm::Error::success();
  };
  TrainOptions &T = A.Train;
  DataOptions &D = A.Data;
  RunOptions &R = A.Run;
  if (Name == "data")
    D.Named = Value.str();
  else if (Name == "train")
    D.Train = Value.str();
  else if (Name == "test")
    D.Test = Value.str();
  else if (Name == "label-column")
    D.LabelColumn = Value.str();
  else if (Name == "limit")
    return Int(D.Limit, LLONG_MIN, LLONG_MAX);
  else if (Name == "instance")
    T.Instance = Value.str();
  else if (Name == "loss")
    T.Method = Value.str();
  else if (Name == "optimizer") {
    std::optional<Optimizer> O = lookupOptimizer(Value);
    if (!O)
      return error("unknown optimizer '" + Value +
                   "' (use sgd, momentum, adam or adamw)");
    T.Opt = *O;
  } else if (Name == "lr")
    return Real(T.LR);
  else if (Name == "momentum")
    return Real(T.Momentum);
  else if (Name == "beta1")
    return Real(T.Beta1);
  else if (Name == "beta2")
    return Real(T.Beta2);
  else if (Name == "eps")
    return Real(T.Eps);
  else if (Name == "weight-decay")
    return Real(T.WeightDecay);
  else if (Name == "lr-schedule") {
    std::optional<Schedule> S = lookupSchedule(Value);
    if (!S)
      return error("unknown learning-rate schedule '" + Value +
                   "' (use constant, step or cosine)");
    T.LRSchedule = *S;
  } else if (Name == "lr-step")
    return Int(T.StepEpochs, 0, UINT_MAX);
  else if (Name == "lr-gamma")
    return Real(T.Gamma);
  else if (Name == "min-lr")
    return Real(T.MinLR);
  else if (Name == "epochs")
    return Int(T.Epochs, 0, UINT_MAX);
  else if (Name == "batch-size")
    return Int(T.BatchSize, LLONG_MIN, LLONG_MAX);
  else if (Name == "seed")
    return Int(T.Seed, 0, ULLONG_MAX);
  else if (Name == "threads")
    return Int(T.Threads, 0, UINT_MAX);
  else if (Name == "save")
    R.Save = Value.str();
  else if (Name == "load")
    R.Load = Value.str();
  else if (Name == "predict")
    R.Predict = Value.str();
  else
    return error("unknown option '--" + Name + "'");
  return llvm::Error::success();
}

llvm::Error train::parseOptions(llvm::ArrayRef<llvm::StringRef> Words,
                                Arguments &A, llvm::StringRef What) {
  for (size_t K = 0; K < Words.size(); ++K) {
    llvm::StringRef W = Words[K];
    llvm::StringRef Name = W;
    // `--lr 0.1`, `--lr=0.1`, and a single dash as LLVM's options allow.
    if (!Name.consume_front("--") && !Name.consume_front("-"))
      return error(What + ": '" + W +
                   "' is not an option (options start with --; "
                   "docs/training.md lists them)");
    auto [Key, Value] = Name.split('=');
    if (!llvm::any_of(Options,
                      [&](const OptionInfo &O) { return O.Name == Key; }))
      return error(What + ": unknown option '--" + Key +
                   "' (docs/training.md lists nnc train's)");
    if (!Name.contains('=')) {
      if (K + 1 == Words.size())
        return error(What + ": --" + Key + " needs a value");
      Value = Words[++K];
    }
    if (llvm::Error E = setOption(A, Key, Value))
      return E;
  }
  return llvm::Error::success();
}
