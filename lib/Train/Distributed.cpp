//===- Distributed.cpp - Data-parallel training steps ---------------------===//
#include "Distributed.h"
#include "nnc/AD/AD.h"
#include "nnc/JIT/Interrupt.h"
#include <cstring>

using namespace nnc;
using namespace nnc::train;

bool DataParallel::declareGradient(jit::Candidate &C, llvm::StringRef Loss) {
  jit::Input In;
  In.Text = ("value_and_grad(" + Loss + ", params)").str();
  In.SourceName = "<nnc train>";
  return C.addWrapped(In, ("fn " + GradName + " =").str(), ";", GradName);
}

llvm::Error DataParallel::addUpdate(ir::Module &M, const Trainer::Impl &I,
                                    llvm::StringRef LossFn) {
  const ir::Function *LF = M.lookup(LossFn);
  if (!LF)
    return error("internal error: no " + LossFn + " to derive the update of");
  auto F = buildOptimizerUpdate(M, I.Instance, I.Opts.Opt,
                                LF->ResultType.getElementKind(), UpdateName);
  if (!F)
    return F.takeError();
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<DataParallel>> DataParallel::create() {
  auto C = Communicator::world();
  if (!C)
    return C.takeError();
  return std::unique_ptr<DataParallel>(new DataParallel(**C));
}

llvm::Error DataParallel::start(Trainer::Impl &I, int64_t BatchSize) {
  if (getSize() > BatchSize)
    return error("--distributed: " + llvm::Twine(getSize()) +
                 " processes for batches of " + llvm::Twine(BatchSize) +
                 " samples; every process needs a sample of each batch: "
                 "start at most " +
                 llvm::Twine(BatchSize) +
                 " or give a larger --batch-size");
  if (!Grads.data() && !Grads.resize(I.ParamStruct.size()))
    return error("out of memory for the gradients");
  Runs.clear();
  for (const ParamInfo &P : I.Params) {
    uint64_t Count = P.Bytes / data::getDTypeSize(P.Type);
    if (!Runs.empty() && Runs.back().Type == P.Type &&
        Runs.back().Offset +
                Runs.back().Count * data::getDTypeSize(P.Type) ==
            P.Offset)
      Runs.back().Count += Count;
    else
      Runs.push_back({P.Offset, Count, P.Type});
  }
  // The same seed gives the same init everywhere, but a checkpoint need
  // not be the same file on every host: process 0's parameters win. The
  // optimizer's state is equal already (zeros, or what equal steps made).
  Comm.broadcast(I.ParamStruct.data(), I.ParamStruct.size());
  Interrupted = false;
  return llvm::Error::success();
}

std::pair<int64_t, int64_t> DataParallel::getShard(int64_t N) const {
  int64_t R = getRank(), S = getSize();
  return {N * R / S, N * (R + 1) / S};
}

/// Multiplies the \p Count values of type \p T at \p P by \p W.
static void scale(uint8_t *P, uint64_t Count, data::DType T, double W) {
  if (T == data::DType::F32) {
    auto *F = reinterpret_cast<float *>(P);
    for (uint64_t K = 0; K < Count; ++K)
      F[K] = static_cast<float>(F[K] * W);
  } else if (T == data::DType::F64) {
    auto *D = reinterpret_cast<double *>(P);
    for (uint64_t K = 0; K < Count; ++K)
      D[K] *= W;
  }
}

llvm::Expected<double> DataParallel::step(Trainer::Impl &I, const void *X,
                                          const void *Y, int64_t Local,
                                          int64_t Global, double LR) {
  // The workspace both halves need at this shard size.
  if (WorkspaceFor != Local) {
    int64_t Need = I.workspaceSize(I.Update, 0);
    if (Local)
      Need = std::max(Need, I.workspaceSize(I.Grad, Local));
    if (Need < 0 || !Workspace.resize(Need))
      return error("out of memory for the train step's workspace");
    WorkspaceFor = Local;
  }
  // This shard's mean loss and its gradient, weighted by its share of the
  // batch: the sum over the processes is then the gradient of the global
  // batch's mean loss, whatever the shards' sizes.
  double Reduced[2] = {0, jit::wasInterrupted() ? 1.0 : 0.0};
  if (Local) {
    double LossBuf[1];
    int64_t St = I.call(
        I.Grad,
        [&](unsigned K) {
          ArgValue V;
          bool IsX = I.Grad.F->getParamType(K).isFloat();
          V.Ptr = IsX ? X : Y;
          V.Dims = {Local};
          if (IsX)
            V.Dims.insert(V.Dims.end(), I.SampleDims.begin(),
                          I.SampleDims.end());
          return V;
        },
        {LossBuf}, Grads.data(), Workspace.data());
    // A process that fails returns at once: its exit aborts the job
    // (Communicator::world), so the others do not wait for it.
    if (St != 0)
      return error("process " + llvm::Twine(getRank()) + ": " +
                   describeStatus(St));
    double W = double(Local) / double(Global);
    for (const Run &R : Runs)
      scale(Grads.data() + R.Offset, R.Count, R.Type, W);
    Reduced[0] = readLoss(LossBuf, I.LossKind) * W;
  } else {
    std::memset(Grads.data(), 0, Grads.size());
  }
  for (const Run &R : Runs)
    Comm.sum(Grads.data() + R.Offset, R.Count, R.Type);
  Comm.sum(Reduced, 2, data::DType::F64);
  Interrupted = Reduced[1] > 0;
  double Loss = Reduced[0];

  // The update, the same on every process.
  const ir::Function &UF = *I.Update.F;
  unsigned FirstGrad = UF.ParamStruct.Count + UF.StateStruct.Count;
  double Out[1];
  int64_t St = I.call(
      I.Update,
      [&](unsigned K) {
        ArgValue V;
        if (K < FirstGrad + I.Params.size()) {
          const ParamInfo &P = I.Params[K - FirstGrad];
          V.Ptr = Grads.data() + P.Offset;
          V.Dims = P.Shape;
          return V;
        }
        llvm::StringRef Name = UF.getParamName(K);
        double H = Name == "loss" ? Loss : getHyperParameter(I.Opts, Name, LR);
        V.ScalarBits = scalarBits(H, UF.getParamType(K).getElementKind());
        return V;
      },
      {Out}, nullptr, Workspace.data());
  if (St != 0)
    return error("the update failed: " + describeStatus(St));
  return Loss;
}
