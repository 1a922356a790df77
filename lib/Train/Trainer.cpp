//===- Trainer.cpp - Compiling the train step and running the loop --------===//
#include "nnc/Train/Trainer.h"
#include "Model.h"
#include "nnc/AST/AST.h"
#include "nnc/CodeGen/CodeGen.h"
#include "nnc/JIT/Candidate.h"
#include "nnc/JIT/Interrupt.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
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

llvm::Error train::error(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// The name the derived train step gets in the compiled module; `__nnc_`
/// names are reserved, so it cannot clash with the model's.
static constexpr llvm::StringLiteral StepName = "__nnc_train_step";

llvm::StringRef train::getScheduleName(Schedule S) {
  switch (S) {
  case Schedule::Constant:
    return "constant";
  case Schedule::Step:
    return "step";
  case Schedule::Cosine:
    return "cosine";
  }
  return "constant";
}

std::optional<Schedule> train::lookupSchedule(llvm::StringRef Name) {
  for (Schedule S : {Schedule::Constant, Schedule::Step, Schedule::Cosine})
    if (getScheduleName(S) == Name)
      return S;
  return std::nullopt;
}

bool Buffer::resize(size_t Bytes) {
  size_t Rounded = std::max<size_t>(64, (Bytes + 63) / 64 * 64);
  Ptr.reset(static_cast<uint8_t *>(std::aligned_alloc(64, Rounded)));
  Size = Ptr ? Bytes : 0;
  if (Ptr)
    std::memset(Ptr.get(), 0, Rounded);
  return Ptr != nullptr;
}

std::string train::describeStatus(int64_t Status) {
  switch (Status) {
  case 1:
    return "tensor dimensions disagree (NNC_ERR_SHAPE)";
  case 2:
    return "a label is out of range for the model's classes (NNC_ERR_INDEX)";
  case 3:
    return "out of memory (NNC_ERR_NOMEM)";
  default:
    return "status " + std::to_string(Status);
  }
}

int64_t Trainer::Impl::call(const EntryPoint &E,
                            const std::function<ArgValue(unsigned)> &Arg,
                            llvm::ArrayRef<void *> Results,
                            void *ResultStruct, void *Workspace) {
  const ir::Function &F = *E.F;
  llvm::SmallVector<uint64_t, 32> Slots;
  auto Ptr = [&](const void *P) {
    Slots.push_back(reinterpret_cast<uintptr_t>(P));
  };
  for (unsigned I = 0, N = F.getNumParams(); I < N;) {
    if (F.ParamStruct.Count && I == F.ParamStruct.First) {
      Ptr(ParamStruct.data());
      I += F.ParamStruct.Count;
      continue;
    }
    if (F.StateStruct.Count && I == F.StateStruct.First) {
      Ptr(StateStruct.data());
      I += F.StateStruct.Count;
      continue;
    }
    ArgValue V = Arg(I);
    if (F.getParamType(I).isTensor()) {
      Ptr(V.Ptr);
      for (int64_t D : V.Dims)
        Slots.push_back(static_cast<uint64_t>(D));
    } else {
      Slots.push_back(V.ScalarBits);
    }
    ++I;
  }
  std::vector<ir::Type> Leaves = ir::flattenLeaves(F.ResultType);
  for (unsigned L = 0; L < Leaves.size();) {
    if (F.isUpdatedInPlace(L)) {
      ++L;
      continue;
    }
    if (F.ResultStruct.Count && L == F.ResultStruct.First) {
      Ptr(ResultStruct);
      L += F.ResultStruct.Count;
      continue;
    }
    Ptr(L < Results.size() ? Results[L] : nullptr);
    ++L;
  }
  Ptr(Workspace);
  // Trainer::create checked the count against the compiled function.
  assert(Slots.size() == E.Call->NumArgs && "C arguments miscounted");
  return E.Call->Fn(Slots.data());
}

int64_t Trainer::Impl::workspaceSize(const EntryPoint &E, int64_t B) {
  llvm::SmallVector<uint64_t, 4> Slots(E.WorkspaceSize->NumArgs,
                                       static_cast<uint64_t>(B));
  return E.WorkspaceSize->Fn(Slots.data());
}

llvm::Error Trainer::Impl::init(uint64_t Seed) {
  Buffer WS;
  if (!WS.resize(std::max<int64_t>(0, workspaceSize(Init, 0))))
    return error("out of memory for the parameters' initialization");
  int64_t St = call(
      Init,
      [&](unsigned) {
        ArgValue V;
        V.ScalarBits = Seed;
        return V;
      },
      {}, ParamStruct.data(), WS.data());
  if (St != 0)
    return error(Instance + "'s init failed: " + describeStatus(St));
  return llvm::Error::success();
}

llvm::Expected<jit::Session> train::parseModel(llvm::StringRef Text,
                                               llvm::StringRef SourceName,
                                               llvm::raw_ostream &Diag) {
  jit::Session S;
  jit::Input In;
  In.Text = Text.str();
  In.SourceName = SourceName.str();
  jit::Candidate Parsed(S, Diag, false);
  std::optional<std::vector<jit::SessionDecl>> Decls =
      Parsed.addDeclarations(In, /*Lenient=*/false);
  if (!Decls)
    return error(SourceName + " does not compile");
  S.apply(*Decls);
  return S;
}

/// Whether \p D is one dimension variable, as a batch dimension must be.
static bool isPlainVar(const Dim &D) {
  return D.Factor == 1 && D.Vars.size() == 1;
}

static std::string joinNames(llvm::ArrayRef<std::string> Names) {
  std::vector<std::string> Quoted;
  for (const std::string &N : Names)
    Quoted.push_back("'" + N + "'");
  return llvm::join(Quoted, ", ");
}

static std::optional<data::DType> toDType(ElementKind K) {
  switch (K) {
  case ElementKind::F32:
    return data::DType::F32;
  case ElementKind::F64:
    return data::DType::F64;
  case ElementKind::I32:
    return data::DType::I32;
  case ElementKind::I64:
    return data::DType::I64;
  case ElementKind::Bool:
    return std::nullopt;
  }
  return std::nullopt;
}

/// The C arguments of \p F's entry point as Impl::call passes them.
static unsigned countCArgs(const ir::Function &F) {
  unsigned N = 0;
  for (unsigned I = 0; I < F.getNumParams(); ++I) {
    bool InParams = F.ParamStruct.Count && I >= F.ParamStruct.First &&
                    I < F.ParamStruct.First + F.ParamStruct.Count;
    bool InState = F.StateStruct.Count && I >= F.StateStruct.First &&
                   I < F.StateStruct.First + F.StateStruct.Count;
    if (InParams || InState)
      N += InParams ? I == F.ParamStruct.First : I == F.StateStruct.First;
    else
      N += 1 + F.getParamType(I).getRank();
  }
  std::vector<ir::Type> Leaves = ir::flattenLeaves(F.ResultType);
  for (unsigned L = 0; L < Leaves.size(); ++L)
    if (!F.isUpdatedInPlace(L))
      N += !(F.ResultStruct.Count && L > F.ResultStruct.First &&
             L < F.ResultStruct.First + F.ResultStruct.Count);
  return N + 1; // the workspace
}

Trainer::Trainer(std::unique_ptr<Impl> I) : P(std::move(I)) {}
Trainer::~Trainer() = default;

llvm::Expected<std::unique_ptr<Trainer>>
Trainer::create(const jit::Session &Model, const TrainOptions &Opts,
                llvm::raw_ostream &Diag) {
  if (Opts.BatchSize < 1)
    return error("the batch size must be at least 1");
  if (Opts.EvalBatchSize < 1)
    return error("the evaluation batch size must be at least 1");
  auto I = std::make_unique<Impl>();
  I->Opts = Opts;

  // The instance and its methods, from the checked AST: the names a user
  // can give, with the others listed when one is wrong.
  jit::Candidate Probe(Model, Diag, false);
  Probe.addSession();
  std::string Source = Model.getDecls().empty()
                           ? std::string("the model")
                           : Model.getDecls().front().SourceName;
  if (!Probe.check())
    return error(Source + " does not compile");
  std::vector<const ast::LetDecl *> Instances;
  for (const ast::DeclPtr &D : Probe.getAST().Decls)
    if (auto *L = llvm::dyn_cast<ast::LetDecl>(D.get()))
      if (L->Layer)
        Instances.push_back(L);
  std::vector<std::string> InstanceNames;
  for (const ast::LetDecl *L : Instances)
    InstanceNames.push_back(L->Name);
  const ast::LetDecl *Inst = nullptr;
  if (Opts.Instance.empty()) {
    if (Instances.empty())
      return error("the model declares no layer instance to train (declare "
                   "one: let net = Layer(...);)");
    if (Instances.size() > 1)
      return error("the model declares " + llvm::Twine(Instances.size()) +
                   " layer instances (" + joinNames(InstanceNames) +
                   "): choose one with --instance");
    Inst = Instances.front();
  } else {
    for (const ast::LetDecl *L : Instances)
      if (L->Name == Opts.Instance)
        Inst = L;
    if (!Inst)
      return error("the model has no layer instance '" + Opts.Instance +
                   "'" +
                   (InstanceNames.empty()
                        ? std::string(" (it declares none)")
                        : " (instances: " + joinNames(InstanceNames) + ")"));
  }
  I->Instance = Inst->Name;
  I->Method = Opts.Method;
  std::vector<std::string> Methods;
  for (const ast::LayerMember &M : Inst->Layer->Members)
    if (M.TheKind == ast::LayerMember::Method)
      Methods.push_back(M.MethodDecl->Name);
  if (!llvm::is_contained(Methods, Opts.Method))
    return error("layer " + Inst->Layer->Name + " (instance " + I->Instance +
                 ") has no method '" + Opts.Method + "' (methods: " +
                 (Methods.empty() ? std::string("none") : joinNames(Methods)) +
                 ")");
  bool HasPredict = llvm::is_contained(Methods, "predict");
  bool HasForward = llvm::is_contained(Methods, "forward");

  // The train step, declared after the model as a user would write it.
  std::string Loss = I->Instance + "." + Opts.Method;
  std::string LossFn = I->Instance + "_" + Opts.Method;
  std::string InitFn = I->Instance + "_init";
  std::string PredictFn = I->Instance + "_predict";
  std::string ForwardFn = I->Instance + "_forward";
  jit::Candidate C(Model, Diag, false);
  C.addSession();
  jit::Input StepIn;
  StepIn.Text = ("train_step(" + Loss + ", " + getOptimizerName(Opts.Opt) +
                 ")")
                    .str();
  StepIn.SourceName = "<nnc train>";
  if (!C.addWrapped(StepIn, ("fn " + StepName + " =").str(), ";", StepName))
    return error("internal error: the train step does not parse");
  if (!C.check())
    return error("cannot train " + Loss);
  std::vector<std::string> Keep = {StepName.str(), LossFn, InitFn};
  if (HasPredict)
    Keep.push_back(PredictFn);
  if (HasForward)
    Keep.push_back(ForwardFn);
  if (!C.lower(Keep) || !C.optimize())
    return error("cannot train " + Loss);
  I->IR = std::make_unique<ir::Module>(std::move(C.getIR()));
  ir::Module &M = *I->IR;

  auto Find = [&](llvm::StringRef Name) {
    EntryPoint E;
    E.F = M.lookup(Name);
    return E;
  };
  I->Step = Find(StepName);
  I->Loss = Find(LossFn);
  I->Init = Find(InitFn);
  if (HasPredict)
    I->Predict = Find(PredictFn);
  if (HasForward)
    I->Forward = Find(ForwardFn);
  if (!I->Step || !I->Loss || !I->Init)
    return error("internal error: the compiled model lacks " + Loss +
                 "'s functions");

  // The loss must take a batch of samples and its labels.
  const ir::Function &LF = *I->Loss.F;
  std::vector<unsigned> Own;
  for (unsigned K = 0; K < LF.getNumParams(); ++K)
    if (!(LF.ParamStruct.Count && K >= LF.ParamStruct.First &&
          K < LF.ParamStruct.First + LF.ParamStruct.Count))
      Own.push_back(K);
  std::string Sig;
  for (unsigned K : Own)
    Sig += (Sig.empty() ? "" : ", ") + LF.getParamName(K).str() + ": " +
           LF.getParamType(K).str();
  auto BadSignature = [&]() {
    return error(Loss + " takes (" + Sig +
                 "); nnc train needs (x: f32[B, ...], y: i32[B]): a batch "
                 "of samples, B a dimension variable, and their class "
                 "labels");
  };
  if (Own.size() != 2)
    return BadSignature();
  ir::Type XT = LF.getParamType(Own[0]), YT = LF.getParamType(Own[1]);
  if (!XT.isTensor() || !XT.isFloat() || !isPlainVar(XT.getShape()[0]) ||
      !YT.isTensor() || !YT.isInt() || YT.getRank() != 1 ||
      YT.getShape()[0] != XT.getShape()[0])
    return BadSignature();
  I->XKind = XT.getElementKind();
  I->YKind = YT.getElementKind();
  I->LossKind = LF.ResultType.getElementKind();
  I->SampleSize = 1;
  for (unsigned A = 1; A < XT.getRank(); ++A) {
    const Dim &D = XT.getShape()[A];
    if (!D.isConstant())
      return BadSignature();
    I->SampleDims.push_back(D.Factor);
    I->SampleSize *= D.Factor;
  }
  // predict must give a class per sample, forward [B, classes] floats.
  if (I->Predict) {
    ir::Type R = I->Predict.F->ResultType;
    if (!R.isTensor() || !R.isInt() || R.getRank() != 1)
      I->Predict = EntryPoint();
  }
  if (I->Forward) {
    ir::Type R = I->Forward.F->ResultType;
    if (R.isTensor() && R.isFloat() && R.getRank() == 2 &&
        R.getShape()[1].isConstant())
      I->ForwardClasses = R.getShape()[1].Factor;
    else
      I->Forward = EntryPoint();
  }

  // The parameters: C's struct layout (docs/abi.md), names by layer path.
  const ir::Module::Instance *MI = M.lookupInstance(I->Instance);
  if (!MI || I->Step.F->ParamStruct.Instance != I->Instance)
    return error("internal error: no parameter struct for " + I->Instance);
  uint64_t Size = 0, MaxAlign = 1;
  for (const auto &[Name, Ty] : MI->Params) {
    ParamInfo PI;
    PI.Name = Name;
    std::optional<data::DType> DT = toDType(Ty.getElementKind());
    if (!DT)
      return error("parameter '" + Name + "' of " + I->Instance +
                   " is bool: checkpoints hold numbers");
    PI.Type = *DT;
    for (const Dim &D : Ty.getShape())
      PI.Shape.push_back(D.Factor);
    uint64_t Align = getElementSize(Ty.getElementKind());
    MaxAlign = std::max(MaxAlign, Align);
    PI.Offset = (Size + Align - 1) / Align * Align;
    PI.Bytes = Align * getNumElements(Ty.getShape()).Factor;
    Size = PI.Offset + PI.Bytes;
    I->Params.push_back(std::move(PI));
  }
  Size = (Size + MaxAlign - 1) / MaxAlign * MaxAlign;
  if (!I->ParamStruct.resize(Size))
    return error("out of memory for " + I->Instance + "'s parameters");
  uint64_t StateSize = 0, StateAlign = 1;
  if (const ir::Function::ABIStruct &SS = I->Step.F->StateStruct; SS.Count) {
    const ir::Module::Instance *State = M.lookupInstance(SS.Instance);
    if (!State)
      return error("internal error: no optimizer state " + SS.Instance);
    for (const auto &[Name, Ty] : State->Params) {
      uint64_t Align = getElementSize(Ty.getElementKind());
      StateAlign = std::max(StateAlign, Align);
      StateSize = (StateSize + Align - 1) / Align * Align +
                  Align * getNumElements(Ty.getShape()).Factor;
    }
    StateSize = (StateSize + StateAlign - 1) / StateAlign * StateAlign;
  }
  // Zeros: torch.optim's initial state (no moments, t = 0).
  if (!I->StateStruct.resize(StateSize))
    return error("out of memory for the optimizer's state");

  // Compile, with a trampoline for each entry point and its workspace size.
  auto JIT = jit::Engine::create();
  if (!JIT)
    return JIT.takeError();
  I->JIT = std::move(*JIT);
  CodeGenOptions CGO = jit::getReplCodeGenOptions();
  std::vector<std::string> Symbols;
  std::vector<EntryPoint *> Entries = {&I->Step, &I->Loss, &I->Init,
                                       &I->Predict, &I->Forward};
  for (EntryPoint *E : Entries)
    if (*E) {
      Symbols.push_back(E->F->Name);
      Symbols.push_back(getWorkspaceSizeSymbol(*E->F, CGO));
    }
  auto Code = I->JIT->compileModule(M, Symbols, Opts.Threads);
  if (!Code)
    return Code.takeError();
  I->Code = std::move(*Code);
  for (EntryPoint *E : Entries) {
    if (!*E)
      continue;
    E->Call = I->Code->lookup(E->F->Name);
    E->WorkspaceSize = I->Code->lookup(getWorkspaceSizeSymbol(*E->F, CGO));
    if (!E->Call || !E->WorkspaceSize)
      return error("internal error: '" + E->F->Name + "' was not compiled");
    if (E->Call->NumArgs != countCArgs(*E->F))
      return error("internal error: '" + E->F->Name + "' takes " +
                   llvm::Twine(E->Call->NumArgs) + " C arguments, not " +
                   llvm::Twine(countCArgs(*E->F)));
  }
  if (llvm::Error E = I->init(Opts.Seed))
    return E;
  return std::unique_ptr<Trainer>(new Trainer(std::move(I)));
}

std::string Trainer::getLossName() const {
  return P->Instance + "." + P->Method;
}
int64_t Trainer::getSampleSize() const { return P->SampleSize; }
bool Trainer::canPredict() const { return P->Predict || P->Forward; }
llvm::ArrayRef<ParamInfo> Trainer::getParams() const { return P->Params; }
llvm::MutableArrayRef<uint8_t> Trainer::getParamStruct() {
  return {P->ParamStruct.data(), P->ParamStruct.size()};
}

llvm::Error Trainer::checkData(const data::Dataset &D,
                               llvm::StringRef What) const {
  if (D.getSampleSize() != P->SampleSize) {
    std::string Model = data::formatShape(P->SampleDims);
    return error(What + ": samples of shape " +
                 data::formatShape(D.SampleShape) + " hold " +
                 llvm::Twine(D.getSampleSize()) + " values, but " +
                 getLossName() + " takes x of shape [B" +
                 (P->SampleDims.empty() ? "" : ", ") +
                 llvm::StringRef(Model).drop_front().drop_back() + "], " +
                 llvm::Twine(P->SampleSize) + " values per sample");
  }
  return llvm::Error::success();
}

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

/// The bits of \p V as a scalar argument of kind \p K.
static uint64_t scalarBits(double V, ElementKind K) {
  uint64_t Bits = 0;
  if (K == ElementKind::F32) {
    float F = static_cast<float>(V);
    std::memcpy(&Bits, &F, sizeof F);
  } else {
    std::memcpy(&Bits, &V, sizeof V);
  }
  return Bits;
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

/// The loss a call wrote into \p Buf, an f32 or an f64.
static double readLoss(const double *Buf, ElementKind K) {
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
      ElementKind K = I.Predict.F->ResultType.getElementKind();
      std::vector<int64_t> P64(N);
      std::vector<int32_t> P32(N);
      void *Out = K == ElementKind::I64 ? (void *)P64.data() : P32.data();
      St = I.call(I.Predict, ArgsOf(I.Predict), {Out}, nullptr, WS.data());
      for (int64_t J = 0; J < N; ++J)
        Pred[J] = K == ElementKind::I64 ? P64[J] : P32[J];
    } else {
      int64_t C = I.ForwardClasses;
      bool F32 = I.Forward.F->ResultType.getElementKind() == ElementKind::F32;
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
    for (int64_t S = 0; S < StepsPerEpoch; ++S) {
      if (jit::wasInterrupted()) {
        R.Interrupted = true;
        return R;
      }
      int64_t Begin = S * BS, N = std::min(BS, D.Count - Begin);
      auto [X, Y] = Batch.gather(D, &Order[Begin], N, I.XKind, I.YKind);
      double LR = scheduledLR(O, Epoch, Epoch * StepsPerEpoch + S, TotalSteps);
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
        double H = Name == "lr"             ? LR
                   : Name == "momentum"     ? O.Momentum
                   : Name == "beta1"        ? O.Beta1
                   : Name == "beta2"        ? O.Beta2
                   : Name == "eps"          ? O.Eps
                   : Name == "weight_decay" ? O.WeightDecay
                                            : 0;
        assert(llvm::is_contained(Hyper, Name) && "unknown hyper-parameter");
        V.ScalarBits = scalarBits(H, T.getElementKind());
        return V;
      };
      double LossBuf[1];
      int64_t St = I.call(I.Step, Args, {LossBuf}, nullptr, WS.data());
      if (St != 0)
        return error("the train step failed in epoch " +
                     llvm::Twine(Epoch + 1) + ", step " + llvm::Twine(S + 1) +
                     ": " + describeStatus(St));
      double L = readLoss(LossBuf, I.LossKind);
      LossSum += L * N;
      ++R.StepsTaken;
      Pr.Samples = Begin + N;
      Pr.Loss = LossSum / Pr.Samples;
      Pr.LR = LR;
      Pr.Seconds = secondsSince(Start);
      if (OnProgress && S + 1 < StepsPerEpoch)
        OnProgress(Pr);
    }
    Pr.EpochDone = true;
    if (HasTest) {
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
