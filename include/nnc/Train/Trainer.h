//===- Trainer.h - Training a layer instance on a labelled dataset -*- C++ -*-===//
//
// The trainer behind `nnc train`, the REPL's `:train` and the Python
// package. From a model (a session of .nn declarations) it builds the
// derived function `train_step(net.loss, OPT)` (lib/AD's transform: forward,
// backward and the optimizer's update in one function), JIT-compiles it with
// the instance's init, loss and predict (or forward) methods for this
// machine, and runs the loop: shuffled mini-batches, epochs, a learning-rate
// schedule, an evaluation on the test set after each epoch, checkpoints in
// safetensors. Ctrl-C (nnc/JIT/Interrupt.h's flag) stops it after the
// current step. docs/training.md describes the behaviour.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_TRAIN_TRAINER_H
#define NNC_TRAIN_TRAINER_H

#include "nnc/Data/Array.h"
#include "nnc/Data/Dataset.h"
#include "nnc/JIT/Session.h"
#include "nnc/Support/Optimizer.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::train {

/// How the learning rate changes over the run.
enum class Schedule {
  Constant, ///< LR throughout
  Step,     ///< LR * Gamma^floor(epoch / StepEpochs), epochs counted from 0
  Cosine,   ///< from LR to MinLR along half a cosine, step by step
};
llvm::StringRef getScheduleName(Schedule S);
std::optional<Schedule> lookupSchedule(llvm::StringRef Name);

struct TrainOptions {
  /// The layer instance to train; empty: the model's only one.
  std::string Instance;
  /// Its loss method, `(x: f32[B, ...], y: i32[B])` to a float scalar.
  std::string Method = "loss";
  Optimizer Opt = Optimizer::Adam;
  /// torch.optim's hyper-parameters and defaults.
  double LR = 1e-3;
  double Momentum = 0.9;
  double Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8;
  double WeightDecay = 0;
  Schedule LRSchedule = Schedule::Constant;
  unsigned StepEpochs = 10;
  double Gamma = 0.1;
  double MinLR = 0;
  unsigned Epochs = 1;
  int64_t BatchSize = 64;
  /// Samples per call when evaluating (forward only).
  int64_t EvalBatchSize = 1000;
  /// Seeds the initial parameters (the instance's init) and the shuffling.
  uint64_t Seed = 0;
  /// Threads a large matrix product is shared among (nnc --threads).
  unsigned Threads = 1;
  /// Data-parallel over the processes of an MPI job (`mpirun -np N nnc
  /// train --distributed`): each trains on its shard of every batch and
  /// the gradients are summed. Only process 0 evaluates; run() prints and
  /// saves only there. docs/training.md, "Several processes or machines".
  bool Distributed = false;
};

/// Reported after each step and at the end of each epoch.
struct Progress {
  unsigned Epoch = 0; ///< from 1
  unsigned Epochs = 0;
  int64_t Samples = 0; ///< trained on in this epoch so far
  int64_t EpochSamples = 0;
  double Loss = 0;     ///< mean training loss of this epoch so far
  double Seconds = 0;  ///< since the epoch started
  double LR = 0;       ///< of the last step
  bool EpochDone = false;
  /// With EpochDone, when there is a test set: its loss and accuracy
  /// (NaN when the model has no predict or [B, classes] forward).
  bool HasTest = false;
  double TestLoss = 0, TestAccuracy = 0;
  /// Seconds the test set's evaluation took.
  double EvalSeconds = 0;
};
using ProgressFn = std::function<void(const Progress &)>;

struct TrainResult {
  std::vector<Progress> Epochs; ///< the EpochDone report of each epoch
  /// Ctrl-C stopped the run after a step (the epoch was not finished).
  bool Interrupted = false;
  unsigned StepsTaken = 0;
};

struct Evaluation {
  double Loss = 0;
  /// NaN when the model has no way to predict a class.
  double Accuracy = 0;
  /// The predicted class of each sample (empty without one).
  std::vector<int64_t> Predictions;
};

/// A parameter of the instance, as the checkpoint and the C struct hold it.
struct ParamInfo {
  std::string Name; ///< the layer path: `fc1.W`
  data::DType Type = data::DType::F32;
  std::vector<int64_t> Shape;
  uint64_t Offset = 0; ///< in the parameter struct (docs/abi.md)
  uint64_t Bytes = 0;
};

/// Where the data comes from, as `nnc train` and `:train` spell it.
struct DataOptions {
  /// `--data NAME`: a named dataset (data::getNamedDatasets()).
  std::string Named;
  /// `--train X.npy,Y.npy` or `--train data.csv`; `--test` likewise.
  std::string Train, Test;
  /// The label column of CSV files.
  std::string LabelColumn;
  /// Keep only the first Limit training samples (0: all).
  int64_t Limit = 0;
};

/// Reads the training and test sets \p Opts names (the test set stays
/// empty when a file source gives none). Errors name the option and file.
llvm::Expected<data::Split> loadData(const DataOptions &Opts);

/// Reads \p Text (named \p SourceName in diagnostics) into a session;
/// diagnostics go to \p Diag and the error says the file does not compile.
llvm::Expected<jit::Session> parseModel(llvm::StringRef Text,
                                        llvm::StringRef SourceName,
                                        llvm::raw_ostream &Diag);

class DataParallel; // lib/Train/Distributed.h

class Trainer {
public:
  /// Checks \p Opts against \p Model (instance, method, the loss's
  /// signature), derives the train step and compiles it. Compiler
  /// diagnostics go to \p Diag. The parameters start as the instance's
  /// init with Opts.Seed gives them.
  static llvm::Expected<std::unique_ptr<Trainer>>
  create(const jit::Session &Model, const TrainOptions &Opts,
         llvm::raw_ostream &Diag);
  ~Trainer();

  /// `net.loss`.
  std::string getLossName() const;
  /// Values per sample the loss takes (the product of x's shape after B).
  int64_t getSampleSize() const;
  /// Whether the model predicts classes (a predict method, or a forward
  /// returning [B, classes]).
  bool canPredict() const;
  /// With Opts.Distributed: this process's rank in the job and the job's
  /// size (0 and 1 otherwise).
  unsigned getRank() const;
  unsigned getNumProcesses() const;

  /// An error naming \p What unless every sample of \p D has the model's
  /// input size and every label is usable.
  llvm::Error checkData(const data::Dataset &D, llvm::StringRef What) const;

  /// Trains for Opts.Epochs epochs on \p Data.Train, evaluating on
  /// \p Data.Test after each (skipped when it is empty).
  llvm::Expected<TrainResult> fit(const data::Split &Data,
                                  const ProgressFn &OnProgress = nullptr);
  /// The loss and accuracy of the current parameters on \p D.
  llvm::Expected<Evaluation> evaluate(const data::Dataset &D,
                                      bool KeepPredictions = false);

  /// The parameters, in the instance's declaration order, and the struct
  /// that holds them (C's layout, as in the generated header).
  llvm::ArrayRef<ParamInfo> getParams() const;
  llvm::MutableArrayRef<uint8_t> getParamStruct();

  /// Saves the parameters as safetensors, named by layer path.
  llvm::Error save(llvm::StringRef Path) const;
  /// Loads parameters saved by save(): every tensor of the instance must be
  /// there with its dtype and shape, and nothing else.
  llvm::Error load(llvm::StringRef Path);

private:
  struct Impl;
  friend class DataParallel;
  explicit Trainer(std::unique_ptr<Impl> I);
  std::unique_ptr<Impl> P;
};

/// Prints Progress reports: on a terminal, one line redrawn in place
/// (epoch, percent, running loss, samples/s, ETA) and a summary line per
/// epoch; otherwise only the summary lines.
class ProgressPrinter {
public:
  ProgressPrinter(llvm::raw_ostream &OS, bool Terminal)
      : OS(OS), Terminal(Terminal) {}
  void operator()(const Progress &P);

private:
  llvm::raw_ostream &OS;
  bool Terminal;
  double LastDraw = -1;
  bool LineOpen = false;
};

/// An error naming the option when a hyper-parameter is negative, NaN or
/// infinite, or a size is out of range (as `nnc train` spells them).
llvm::Error validateOptions(const TrainOptions &Opts);

/// What `nnc train` does around the trainer, for front ends that behave
/// like it (the REPL's :train).
struct RunOptions {
  /// Checkpoints to start from and to write at the end (and when Ctrl-C
  /// stops the run); the test set's predictions as .npy. Empty: none.
  std::string Load, Save, Predict;
  /// Draw the progress bar (a terminal) or print plain lines.
  bool Terminal = false;
  /// For a front end that holds the parameters itself (the REPL's
  /// :train): called once the trainer is compiled, before --load, to set
  /// the parameters training starts from (getParamStruct()); an error
  /// stops the run.
  std::function<llvm::Error(Trainer &)> OnStart;
  /// Called when the training ran to its end (not when Ctrl-C stopped
  /// it), before --save, with the trained parameters.
  std::function<void(Trainer &)> OnTrained;
};

/// Loads the data, compiles the model, trains and evaluates it, printing
/// the progress and the final `test loss:` and `test accuracy:` lines to
/// \p OS and compiler diagnostics to \p Diag. Returns 0, or 130 when
/// Ctrl-C stopped the run (after saving), or the error that stopped it.
llvm::Expected<int> run(const jit::Session &Model, const TrainOptions &Opts,
                        const DataOptions &Data, const RunOptions &Run,
                        llvm::raw_ostream &OS, llvm::raw_ostream &Diag);

/// Writes \p Values as a NumPy .npy file of int64 (`<i8`) of shape (N,).
llvm::Error writeNpyInt64(llvm::StringRef Path,
                          llvm::ArrayRef<int64_t> Values);

} // namespace nnc::train

#endif // NNC_TRAIN_TRAINER_H
