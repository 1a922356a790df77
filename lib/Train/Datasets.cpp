//===- Datasets.cpp - The data options of nnc train -----------------------===//
#include "Model.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

using namespace nnc;
using namespace nnc::train;

/// `X.npy,Y.npy` or `data.csv` for option \p Option.
static llvm::Expected<data::Dataset>
readFiles(llvm::StringRef Option, llvm::StringRef Spec,
          llvm::StringRef LabelColumn) {
  llvm::SmallVector<llvm::StringRef, 2> Files;
  Spec.split(Files, ',');
  if (Files.size() == 1 && Files[0].ends_with_insensitive(".csv")) {
    if (LabelColumn.empty())
      return error("--" + Option + " " + Spec +
                   ": a CSV file needs --label-column NAME");
    return data::readCsv(Files[0], LabelColumn);
  }
  if (Files.size() == 2 && !Files[0].empty() && !Files[1].empty())
    return data::readNpyDataset(Files[0], Files[1]);
  return error("--" + Option + " " + Spec +
               ": give X.npy,Y.npy (features and labels) or one .csv file");
}

llvm::Expected<data::Split> train::loadData(const DataOptions &Opts) {
  if (Opts.Limit < 0)
    return error("invalid --limit=" + llvm::Twine(Opts.Limit) +
                 ": give 0 (all samples) or more");
  data::Split S;
  if (!Opts.Named.empty()) {
    if (!Opts.Train.empty() || !Opts.Test.empty())
      return error("--data " + Opts.Named +
                   " names the training and test sets: give no --train or "
                   "--test with it");
    auto Named = data::readNamedDataset(Opts.Named);
    if (!Named)
      return Named.takeError();
    S = std::move(*Named);
  } else {
    if (Opts.Train.empty())
      return error("no training data: give --data NAME (" +
                   llvm::join(data::getNamedDatasets(), ", ") +
                   ") or --train FILES");
    auto Train = readFiles("train", Opts.Train, Opts.LabelColumn);
    if (!Train)
      return Train.takeError();
    S.Train = std::move(*Train);
    if (!Opts.Test.empty()) {
      auto Test = readFiles("test", Opts.Test, Opts.LabelColumn);
      if (!Test)
        return Test.takeError();
      S.Test = std::move(*Test);
    }
  }
  if (Opts.Limit && Opts.Limit < S.Train.Count) {
    S.Train.Count = Opts.Limit;
    S.Train.X.resize(Opts.Limit * S.Train.getSampleSize());
    S.Train.Y.resize(Opts.Limit);
  }
  return S;
}
