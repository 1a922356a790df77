//===- Trainer.cpp - Compiling the train step and running the loop --------===//
#include "nnc/Train/Trainer.h"
#include "Distributed.h"
#include "Model.h"
#include "nnc/AST/AST.h"
#include "nnc/CodeGen/CodeGen.h"
#include "nnc/JIT/Candidate.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include <cstring>

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
  std::optional<jit::Session> S = jit::readFile(Text, SourceName, Diag);
  if (!S)
    return error(SourceName + " does not compile");
  return std::move(*S);
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

/// The value a method returns: its result, without the new layer state a
/// method that assigns it also returns (issue 12).
ir::Type train::valueType(const ir::Function &F) {
  if (F.returnsLayerState())
    return F.ResultType.getElements()[0];
  return F.ResultType;
}

bool train::isModeParam(const ir::Function &F, unsigned K) {
  llvm::StringRef N = F.getParamName(K);
  const ir::Type &T = F.getParamType(K);
  return (N == "training" && T == ir::Type::scalar(ElementKind::Bool)) ||
         (N == "seed" && T == ir::Type::scalar(ElementKind::I64));
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
  if (Opts.Distributed) {
    auto DP = DataParallel::create();
    if (!DP)
      return DP.takeError();
    I->DP = std::move(*DP);
  }

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
  if (I->DP && !DataParallel::declareGradient(C, Loss))
    return error("internal error: the gradient does not parse");
  if (!C.check())
    return error("cannot train " + Loss);
  std::vector<std::string> Keep = {StepName.str(), LossFn, InitFn};
  if (I->DP)
    Keep.push_back(DataParallel::GradName.str());
  if (HasPredict)
    Keep.push_back(PredictFn);
  if (HasForward)
    Keep.push_back(ForwardFn);
  if (!C.lower(Keep))
    return error("cannot train " + Loss);
  if (I->DP)
    if (llvm::Error E = DataParallel::addUpdate(C.getIR(), *I, LossFn))
      return E;
  if (!C.optimize())
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
  if (I->DP) {
    I->Grad = Find(DataParallel::GradName);
    I->Update = Find(DataParallel::UpdateName);
    if (!I->Grad || !I->Update)
      return error("internal error: the compiled model lacks the halves of "
                   "the train step");
  }
  if (!I->Step || !I->Loss || !I->Init)
    return error("internal error: the compiled model lacks " + Loss +
                 "'s functions");

  // The loss must take a batch of samples and its labels.
  const ir::Function &LF = *I->Loss.F;
  std::vector<unsigned> Own;
  for (unsigned K = 0; K < LF.getNumParams(); ++K)
    if (!(LF.ParamStruct.Count && K >= LF.ParamStruct.First &&
          K < LF.ParamStruct.First + LF.ParamStruct.Count) &&
        !isModeParam(LF, K))
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
  I->LossKind = valueType(LF).getElementKind();
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
    ir::Type R = valueType(*I->Predict.F);
    if (!R.isTensor() || !R.isInt() || R.getRank() != 1)
      I->Predict = EntryPoint();
  }
  if (I->Forward) {
    ir::Type R = valueType(*I->Forward.F);
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
  if (I->DP && MI->NumState)
    return error("--distributed does not support layer state yet (" +
                 I->Instance + " has " + llvm::Twine(MI->NumState) +
                 " state members)");
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
  std::vector<EntryPoint *> Entries = {&I->Step,    &I->Loss,    &I->Init,
                                       &I->Predict, &I->Forward, &I->Grad,
                                       &I->Update};
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
unsigned Trainer::getRank() const { return P->DP ? P->DP->getRank() : 0; }
unsigned Trainer::getNumProcesses() const {
  return P->DP ? P->DP->getSize() : 1;
}
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

