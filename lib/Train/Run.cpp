//===- Run.cpp - nnc train around the trainer: data, output, checkpoints --===//
#include "Communicator.h"
#include "Model.h"
#include "llvm/Support/Format.h"
#include <cmath>

using namespace nnc;
using namespace nnc::train;

llvm::Error train::validateOptions(const TrainOptions &O) {
  for (auto [Name, V] : {std::pair("lr", O.LR), std::pair("momentum", O.Momentum),
                         std::pair("beta1", O.Beta1), std::pair("beta2", O.Beta2),
                         std::pair("eps", O.Eps),
                         std::pair("weight-decay", O.WeightDecay),
                         std::pair("lr-gamma", O.Gamma),
                         std::pair("min-lr", O.MinLR)})
    if (!std::isfinite(V) || V < 0)
      return error("invalid --" + llvm::Twine(Name) + "=" +
                   ir::formatDouble(V) + ": give a finite number, 0 or more");
  if (O.BatchSize < 1)
    return error("invalid --batch-size=" + llvm::Twine(O.BatchSize) +
                 ": give 1 or more");
  if (O.Threads < 1 || O.Threads > 256)
    return error("--threads=" + llvm::Twine(O.Threads) +
                 ": give a number of threads from 1 to 256");
  if (O.StepEpochs < 1)
    return error("invalid --lr-step=0: give 1 or more epochs");
  return llvm::Error::success();
}

/// run(), printing to \p AllOS on process 0 of a distributed run only.
static llvm::Expected<int> runTrainer(const jit::Session &Model,
                                      const TrainOptions &Opts,
                                      const DataOptions &DO,
                                      const RunOptions &Run,
                                      llvm::raw_ostream &AllOS,
                                      llvm::raw_ostream &Diag) {
  if (llvm::Error E = validateOptions(Opts))
    return E;
  // The data first: a wrong path is found before the compiler runs.
  auto Data = loadData(DO);
  if (!Data)
    return Data.takeError();
  auto T = Trainer::create(Model, Opts, Diag);
  if (!T)
    return T.takeError();
  Trainer &Tr = **T;
  // Only process 0 of a distributed run prints and writes files.
  bool Root = Tr.getRank() == 0;
  llvm::raw_ostream &OS = Root ? AllOS : llvm::nulls();
  // Errors name the data as the command line did.
  std::string TrainWhat = DO.Named.empty() ? "--train " + DO.Train
                                           : DO.Named + "'s training set";
  std::string TestWhat = DO.Named.empty() ? "--test " + DO.Test
                                          : DO.Named + "'s test set";
  if (llvm::Error E = Tr.checkData(Data->Train, TrainWhat))
    return E;
  if (Data->Test.Count)
    if (llvm::Error E = Tr.checkData(Data->Test, TestWhat))
      return E;
  if (Run.OnStart)
    if (llvm::Error E = Run.OnStart(Tr))
      return E;
  if (!Run.Load.empty())
    if (llvm::Error E = Tr.load(Run.Load))
      return E;

  OS << "training " << Tr.getLossName() << " on " << Data->Train.Count
     << " samples";
  if (Data->Test.Count)
    OS << " (test: " << Data->Test.Count << ")";
  OS << ": " << getOptimizerName(Opts.Opt) << ", lr "
     << ir::formatDouble(Opts.LR);
  if (Opts.LRSchedule != Schedule::Constant)
    OS << " (" << getScheduleName(Opts.LRSchedule) << ")";
  if (Opts.WeightDecay)
    OS << ", weight decay " << ir::formatDouble(Opts.WeightDecay);
  OS << ", batch " << Opts.BatchSize << ", " << Opts.Epochs
     << (Opts.Epochs == 1 ? " epoch" : " epochs") << ", seed " << Opts.Seed;
  if (Opts.Distributed)
    OS << ", " << Tr.getNumProcesses() << " processes";
  OS << '\n';
  OS.flush();
  // mpirun gives its processes a pseudo-terminal for stdout wherever its
  // own output goes: a distributed run prints plain lines.
  ProgressPrinter Printer(OS, Run.Terminal && !Opts.Distributed);
  auto R = Tr.fit(*Data, std::ref(Printer));
  if (!R)
    return R.takeError();
  auto Save = [&]() -> llvm::Error {
    if (Run.Save.empty() || !Root)
      return llvm::Error::success();
    if (llvm::Error E = Tr.save(Run.Save))
      return E;
    OS << "saved the parameters to " << Run.Save << '\n';
    return llvm::Error::success();
  };
  if (R->Interrupted) {
    OS << "\ninterrupted after " << R->StepsTaken << " steps\n";
    if (llvm::Error E = Save())
      return E;
    return 130; // as a shell reports a process ended by SIGINT
  }
  if (Run.OnTrained)
    Run.OnTrained(Tr);
  if (llvm::Error E = Save())
    return E;
  if (!Data->Test.Count || !Root)
    return 0;
  // The final lines read the last epoch's evaluation (or make one).
  double Loss, Accuracy;
  std::vector<int64_t> Predictions;
  if (!R->Epochs.empty() && Run.Predict.empty()) {
    Loss = R->Epochs.back().TestLoss;
    Accuracy = R->Epochs.back().TestAccuracy;
  } else {
    auto Ev = Tr.evaluate(Data->Test, /*KeepPredictions=*/true);
    if (!Ev)
      return Ev.takeError();
    Loss = Ev->Loss;
    Accuracy = Ev->Accuracy;
    Predictions = std::move(Ev->Predictions);
  }
  if (!Run.Predict.empty()) {
    if (!Tr.canPredict())
      return error("--predict: " + Tr.getLossName() +
                   "'s layer has no predict method and no forward returning "
                   "[B, classes]");
    if (llvm::Error E = writeNpyInt64(Run.Predict, Predictions))
      return E;
  }
  OS << llvm::format("test loss: %.6f\n", Loss);
  if (!std::isnan(Accuracy))
    OS << llvm::format("test accuracy: %.4f\n", Accuracy);
  return 0;
}

llvm::Expected<int> train::run(const jit::Session &Model,
                               const TrainOptions &Opts,
                               const DataOptions &DO, const RunOptions &Run,
                               llvm::raw_ostream &OS, llvm::raw_ostream &Diag) {
  llvm::Expected<int> RC = runTrainer(Model, Opts, DO, Run, OS, Diag);
  // A distributed run that ends on an error aborts the MPI job when the
  // process exits (the others may be waiting for it); this one finalizes.
  if (RC && Opts.Distributed)
    Communicator::markSucceeded();
  return RC;
}
