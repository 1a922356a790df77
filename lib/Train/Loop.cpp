//===- Loop.cpp - The training loop and the evaluation --------------------===//
#include "Distributed.h"
#include "Model.h"
#include "nnc/JIT/Interrupt.h"
#include "llvm/ADT/STLExtras.h"
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

using namespace nnc;
using namespace nnc::train;

/// The learning rate of step \p Step (from 0) of \p Total, in epoch
/// \p Epoch (from 0).
static double scheduledLR(const TrainOptions &O, unsigned Epoch, int64_t Step,
                          int64_t Total) {
  switch (O.LRSchedule) {
  case Schedule::Constant:
    return O.LR;
  case Schedule::Step:
    return O.LR * std::pow(O.Gamma, Epoch / std::max(1u, O.StepEpochs));
  case Schedule::Cosine: {
    double T = Total > 1 ? double(Step) / double(Total - 1) : 0;
    return O.MinLR + (O.LR - O.MinLR) * 0.5 * (1 + std::cos(M_PI * T));
  }
  }
  return O.LR;
}

uint64_t train::scalarBits(double V, ElementKind K) {
  uint64_t Bits = 0;
  if (K == ElementKind::F32) {
    float F = static_cast<float>(V);
    std::memcpy(&Bits, &F, sizeof F);
  } else {
    std::memcpy(&Bits, &V, sizeof V);
  }
  return Bits;
}

double train::getHyperParameter(const TrainOptions &O, llvm::StringRef Name,
                                double LR) {
  return Name == "lr"             ? LR
         : Name == "momentum"     ? O.Momentum
         : Name == "beta1"        ? O.Beta1
         : Name == "beta2"        ? O.Beta2
         : Name == "eps"          ? O.Eps
         : Name == "weight_decay" ? O.WeightDecay
                                  : 0;
}

namespace {
/// A batch's features and labels converted to the model's element kinds.
struct BatchBuffers {
  std::vector<float> XF;
  std::vector<double> XD;
  std::vector<int32_t> Y32;
  std::vector<int64_t> Y64;

  /// Fills samples \p Index[0..N) of \p D; returns x's and y's pointers.
  std::pair<const void *, const void *>
  gather(const data::Dataset &D, const int64_t *Index, int64_t N,
         ElementKind XK, ElementKind YK) {
    int64_t S = D.getSampleSize();
    const void *X, *Y;
    if (XK == ElementKind::F32) {
      XF.resize(N * S);
      for (int64_t I = 0; I < N; ++I)
        std::memcpy(&XF[I * S], &D.X[Index[I] * S], S * sizeof(float));
      X = XF.data();
    } else {
      XD.resize(N * S);
      for (int64_t I = 0; I < N; ++I)
        for (int64_t J = 0; J < S; ++J)
          XD[I * S + J] = D.X[Index[I] * S + J];
      X = XD.data();
    }
    if (YK == ElementKind::I32) {
      Y32.resize(N);
      for (int64_t I = 0; I < N; ++I)
        Y32[I] = D.Y[Index[I]];
      Y = Y32.data();
    } else {
      Y64.resize(N);
      for (int64_t I = 0; I < N; ++I)
        Y64[I] = D.Y[Index[I]];
      Y = Y64.data();
    }
    return {X, Y};
  }
};
} // namespace

double train::readLoss(const double *Buf, ElementKind K) {
  if (K != ElementKind::F32)
    return Buf[0];
  float F;
  std::memcpy(&F, Buf, sizeof F);
  return F;
}

using Clock = std::chrono::steady_clock;
static double secondsSince(Clock::time_point T) {
  return std::chrono::duration<double>(Clock::now() - T).count();
}

llvm::Expected<Evaluation> Trainer::evaluate(const data::Dataset &D,
                                             bool KeepPredictions) {
  if (llvm::Error E = checkData(D, "the evaluation set"))
    return E;
  Evaluation R;
  Impl &I = *P;
  int64_t BS = std::min<int64_t>(I.Opts.EvalBatchSize,
                                 std::max<int64_t>(1, D.Count));
  const EntryPoint &Classes = I.Predict ? I.Predict : I.Forward;
  Buffer WS;
  int64_t Need = I.workspaceSize(I.Loss, BS);
  if (Classes)
    Need = std::max(Need, I.workspaceSize(Classes, BS));
  int64_t Last = D.Count % BS;
  if (Last) {
    Need = std::max(Need, I.workspaceSize(I.Loss, Last));
    if (Classes)
      Need = std::max(Need, I.workspaceSize(Classes, Last));
  }
  if (Need < 0 || !WS.resize(Need))
    return error("out of memory for the evaluation's workspace");
  std::vector<int64_t> Index(BS);
  BatchBuffers Batch;
  std::vector<double> Out64;
  std::vector<float> Out32;
  double LossSum = 0;
  int64_t Correct = 0;
  for (int64_t Begin = 0; Begin < D.Count; Begin += BS) {
    int64_t N = std::min(BS, D.Count - Begin);
    std::iota(Index.begin(), Index.begin() + N, Begin);
    auto [X, Y] = Batch.gather(D, Index.data(), N, I.XKind, I.YKind);
    // The loss takes (x, y), predict and forward (x): a float tensor is x.
    auto ArgsOf = [&, X = X, Y = Y](const EntryPoint &E) {
      return [&, X, Y](unsigned K) {
        ArgValue V;
        // Evaluation mode: training = false, seed = 0 (issue 12).
        if (isModeParam(*E.F, K)) {
          V.ScalarBits = 0;
          return V;
        }
        bool IsX = E.F->getParamType(K).isFloat();
        V.Ptr = IsX ? X : Y;
        V.Dims = {N};
        if (IsX)
          V.Dims.insert(V.Dims.end(), I.SampleDims.begin(), I.SampleDims.end());
        return V;
      };
    };
    double LossBuf[1];
    int64_t St = I.call(I.Loss, ArgsOf(I.Loss), {LossBuf}, nullptr, WS.data());
    if (St != 0)
      return error(getLossName() + " failed on samples " +
                   llvm::Twine(Begin) + " to " + llvm::Twine(Begin + N - 1) +
                   ": " + describeStatus(St));
    double L = readLoss(LossBuf, I.LossKind);
    LossSum += L * N;
    if (!Classes)
      continue;
    // predict's classes, or forward's argmax (the first of equal values,
    // as argmax takes).
    std::vector<int64_t> Pred(N);
    if (I.Predict) {
      ElementKind K = valueType(*I.Predict.F).getElementKind();
      std::vector<int64_t> P64(N);
      std::vector<int32_t> P32(N);
      void *Out = K == ElementKind::I64 ? (void *)P64.data() : P32.data();
      St = I.call(I.Predict, ArgsOf(I.Predict), {Out}, nullptr, WS.data());
      for (int64_t J = 0; J < N; ++J)
        Pred[J] = K == ElementKind::I64 ? P64[J] : P32[J];
    } else {
      int64_t C = I.ForwardClasses;
      bool F32 = valueType(*I.Forward.F).getElementKind() == ElementKind::F32;
      Out32.resize(N * C);
      Out64.resize(N * C);
      void *Out = F32 ? (void *)Out32.data() : Out64.data();
      St = I.call(I.Forward, ArgsOf(I.Forward), {Out}, nullptr, WS.data());
      for (int64_t J = 0; J < N; ++J) {
        int64_t Best = 0;
        for (int64_t K = 1; K < C; ++K) {
          double A = F32 ? Out32[J * C + K] : Out64[J * C + K];
          double B = F32 ? Out32[J * C + Best] : Out64[J * C + Best];
          if (A > B)
            Best = K;
        }
        Pred[J] = Best;
      }
    }
    if (St != 0)
      return error("predicting samples " + llvm::Twine(Begin) + " to " +
                   llvm::Twine(Begin + N - 1) + " failed: " +
                   describeStatus(St));
    for (int64_t J = 0; J < N; ++J)
      Correct += Pred[J] == D.Y[Begin + J];
    if (KeepPredictions)
      R.Predictions.insert(R.Predictions.end(), Pred.begin(), Pred.end());
  }
  R.Loss = D.Count ? LossSum / D.Count : 0;
  R.Accuracy = !Classes ? NAN : D.Count ? double(Correct) / D.Count : 0;
  return R;
}

namespace {
/// Flushes subnormal floats to zero while it lives (x86's MXCSR FTZ and
/// DAZ; threads started meanwhile inherit it). Adam's first moment of a
/// weight whose gradient is mostly zero (a border pixel's) decays by
/// beta1 each step into the subnormal range within a thousand steps, and
/// arithmetic on subnormals is some hundred times slower: it doubled the
/// time of every epoch after the first. Training loses nothing by the
/// flush; the caller's own floating-point mode is restored after.
class FlushSubnormals {
public:
#if defined(__x86_64__) || defined(__i386__)
  FlushSubnormals() : Saved(_mm_getcsr()) { _mm_setcsr(Saved | 0x8040); }
  ~FlushSubnormals() { _mm_setcsr(Saved); }

private:
  unsigned Saved;
#endif
};
} // namespace

llvm::Expected<TrainResult> Trainer::fit(const data::Split &Data,
                                         const ProgressFn &OnProgress) {
  FlushSubnormals Flush;
  Impl &I = *P;
  const TrainOptions &O = I.Opts;
  const data::Dataset &D = Data.Train;
  if (llvm::Error E = checkData(D, "the training set"))
    return E;
  bool HasTest = Data.Test.Count > 0;
  if (HasTest)
    if (llvm::Error E = checkData(Data.Test, "the test set"))
      return E;
  TrainResult R;
  if (D.Count == 0)
    return error("the training set is empty");
  int64_t BS = std::min(O.BatchSize, D.Count);
  if (I.DP)
    if (llvm::Error E = I.DP->start(I, BS))
      return E;
  // The last batch of an epoch holds what is left: B is a run-time size.
  int64_t Last = D.Count % BS;
  int64_t Need = I.workspaceSize(I.Step, BS);
  if (Last)
    Need = std::max(Need, I.workspaceSize(I.Step, Last));
  Buffer WS;
  if (Need < 0 || !WS.resize(Need))
    return error("out of memory for the train step's workspace");
  int64_t StepsPerEpoch = (D.Count + BS - 1) / BS;
  int64_t TotalSteps = StepsPerEpoch * O.Epochs;
  std::mt19937_64 Rng(O.Seed);
  std::vector<int64_t> Order(D.Count);
  std::iota(Order.begin(), Order.end(), 0);
  BatchBuffers Batch;
  const ir::Function &SF = *I.Step.F;
  std::vector<std::string> Hyper = getHyperParameterNames(O.Opt);
  for (unsigned Epoch = 0; Epoch < O.Epochs; ++Epoch) {
    // Fisher-Yates with the run's generator: the same seed gives the same
    // batches on every machine (std::shuffle's algorithm is unspecified).
    for (int64_t K = D.Count - 1; K > 0; --K)
      std::swap(Order[K], Order[Rng() % uint64_t(K + 1)]);
    Progress Pr;
    Pr.Epoch = Epoch + 1;
    Pr.Epochs = O.Epochs;
    Pr.EpochSamples = D.Count;
    Clock::time_point Start = Clock::now();
    double LossSum = 0;
    // After step S (from 0) on samples [Begin, Begin + N) with loss L.
    auto Record = [&](int64_t S, int64_t Begin, int64_t N, double L,
                      double LR) {
      LossSum += L * N;
      ++R.StepsTaken;
      Pr.Samples = Begin + N;
      Pr.Loss = LossSum / Pr.Samples;
      Pr.LR = LR;
      Pr.Seconds = secondsSince(Start);
      if (OnProgress && S + 1 < StepsPerEpoch)
        OnProgress(Pr);
    };
    for (int64_t S = 0; S < StepsPerEpoch; ++S) {
      // The processes of a distributed run stop after the same step.
      if (I.DP ? I.DP->wasInterrupted() : jit::wasInterrupted()) {
        R.Interrupted = true;
        return R;
      }
      int64_t Begin = S * BS, N = std::min(BS, D.Count - Begin);
      double LR = scheduledLR(O, Epoch, Epoch * StepsPerEpoch + S, TotalSteps);
      if (I.DP) {
        auto [First, End] = I.DP->getShard(N);
        auto [X, Y] = Batch.gather(D, &Order[Begin + First], End - First,
                                   I.XKind, I.YKind);
        auto L = I.DP->step(I, X, Y, End - First, N, LR);
        if (!L)
          return error("the train step failed in epoch " +
                       llvm::Twine(Epoch + 1) + ", step " +
                       llvm::Twine(S + 1) + ": " + toString(L.takeError()));
        Record(S, Begin, N, *L, LR);
        continue;
      }
      auto [X, Y] = Batch.gather(D, &Order[Begin], N, I.XKind, I.YKind);
      auto Args = [&](unsigned K) {
        ArgValue V;
        const ir::Type &T = SF.getParamType(K);
        if (T.isTensor()) {
          bool IsX = T.isFloat();
          V.Ptr = IsX ? X : Y;
          V.Dims = {N};
          if (IsX)
            V.Dims.insert(V.Dims.end(), I.SampleDims.begin(), I.SampleDims.end());
          return V;
        }
        llvm::StringRef Name = SF.getParamName(K);
        if (isModeParam(SF, K)) {
          // The dropout seed: the run's seed and the step's number, so a
          // run is reproducible and each step draws new masks (issue 12).
          V.ScalarBits = O.Seed * 0x9E3779B97F4A7C15ull +
                         static_cast<uint64_t>(Epoch) * StepsPerEpoch + S;
          return V;
        }
        assert(llvm::is_contained(Hyper, Name) && "unknown hyper-parameter");
        V.ScalarBits =
            scalarBits(getHyperParameter(O, Name, LR), T.getElementKind());
        return V;
      };
      double LossBuf[1];
      int64_t St = I.call(I.Step, Args, {LossBuf}, nullptr, WS.data());
      if (St != 0)
        return error("the train step failed in epoch " +
                     llvm::Twine(Epoch + 1) + ", step " + llvm::Twine(S + 1) +
                     ": " + describeStatus(St));
      Record(S, Begin, N, readLoss(LossBuf, I.LossKind), LR);
    }
    Pr.EpochDone = true;
    // A distributed run evaluates on process 0 alone.
    if (HasTest && (!I.DP || I.DP->isRoot())) {
      Clock::time_point EvalStart = Clock::now();
      auto Ev = evaluate(Data.Test);
      if (!Ev)
        return Ev.takeError();
      Pr.HasTest = true;
      Pr.TestLoss = Ev->Loss;
      Pr.TestAccuracy = Ev->Accuracy;
      Pr.EvalSeconds = secondsSince(EvalStart);
    }
    R.Epochs.push_back(Pr);
    if (OnProgress)
      OnProgress(Pr);
  }
  return R;
}
