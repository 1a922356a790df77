//===- Engine.cpp - ORC LLJIT behind the REPL -----------------------------===//
#include "nnc/JIT/Engine.h"
#include "nnc/JIT/Interrupt.h"
#include "nnc/Support/Limits.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Support/raw_ostream.h"
#include <cstring>

using namespace nnc;
using namespace nnc::jit;

std::unique_ptr<ir::Module> jit::extractFunction(const ir::Module &M,
                                                 llvm::StringRef Name) {
  auto Out = std::make_unique<ir::Module>();
  Out->Name = M.Name;
  llvm::StringSet<> Seen;
  std::vector<const ir::Function *> Work;
  if (const ir::Function *Root = M.lookup(Name)) {
    Work.push_back(Root);
    Seen.insert(Name);
  }
  while (!Work.empty()) {
    const ir::Function *F = Work.back();
    Work.pop_back();
    ir::Function &Copy = Out->addFunction(F->Name);
    Copy = *F;
    if (F->Name != Name)
      Copy.Exported = false;
    for (const ir::Op &O : F->Ops)
      if (O.Kind == ir::OpKind::Call && !Seen.contains(O.Callee))
        if (const ir::Function *Callee = M.lookup(O.Callee)) {
          Seen.insert(O.Callee);
          Work.push_back(Callee);
        }
  }
  return Out;
}

CodeGenOptions jit::getReplCodeGenOptions() {
  CodeGenOptions Opts;
  Opts.OptLevel = 2;
  Opts.CPU = "native"; // the code runs here and now
  return Opts;
}

static llvm::Expected<std::unique_ptr<llvm::TargetMachine>> &hostMachine() {
  // One for the process: creating a TargetMachine costs more than
  // compiling a small expression.
  static llvm::Expected<std::unique_ptr<llvm::TargetMachine>> TM =
      createTargetMachine(getReplCodeGenOptions());
  return TM;
}

static llvm::Error takeHostMachineError() {
  auto &TM = hostMachine();
  if (TM)
    return llvm::Error::success();
  std::string Message = llvm::toString(TM.takeError());
  TM = llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

llvm::Expected<std::unique_ptr<llvm::Module>>
jit::emitOptimizedModule(const ir::Module &M, llvm::LLVMContext &Ctx) {
  if (llvm::Error E = takeHostMachineError())
    return E;
  llvm::TargetMachine &TM = **hostMachine();
  CodeGenOptions Opts = getReplCodeGenOptions();
  auto LM = emitLLVMModule(M, Ctx, TM, Opts);
  if (!LM)
    return LM.takeError();
  optimizeLLVMModule(**LM, TM, Opts.OptLevel);
  return LM;
}

llvm::Expected<std::string> jit::emitAssembly(const ir::Module &M) {
  llvm::LLVMContext Ctx;
  auto LM = emitOptimizedModule(M, Ctx);
  if (!LM)
    return LM.takeError();
  llvm::SmallString<1024> Asm;
  llvm::raw_svector_ostream OS(Asm);
  if (llvm::Error E =
          emitMachineCode(**LM, **hostMachine(), OutputKind::Assembly, OS))
    return E;
  return std::string(Asm);
}

/// The scalar leaves of \p T, in the order the C ABI flattens them.
static void flatten(const ir::Type &T, std::vector<ElementKind> &Out) {
  if (T.isScalar()) {
    Out.push_back(T.getElementKind());
    return;
  }
  for (const ir::Type &E : T.getElements())
    flatten(E, Out);
}

/// The arguments of \p Callee's parameters \p Params, read through the
/// pointers at Slots[ArgBase + I] as the C ABI passes them: a scalar by
/// value (a bool stored as one byte), a tensor as its pointer followed by
/// its sizes, which are constants here.
static std::vector<llvm::Value *>
loadArgs(llvm::IRBuilder<> &B, llvm::Function &Callee, llvm::Value *Slots,
         llvm::ArrayRef<ir::Type> Params, unsigned ArgBase) {
  std::vector<llvm::Value *> Args;
  for (unsigned I = 0; I < Params.size(); ++I) {
    llvm::Value *Ptr = B.CreateLoad(
        B.getPtrTy(),
        B.CreateConstInBoundsGEP1_64(B.getInt64Ty(), Slots, ArgBase + I));
    const ir::Type &T = Params[I];
    if (T.isTensor()) {
      Args.push_back(Ptr);
      for (const Dim &D : T.getShape())
        Args.push_back(B.getInt64(D.Factor));
      continue;
    }
    llvm::Type *Ty = Callee.getArg(Args.size())->getType();
    if (Ty->isIntegerTy(1))
      Args.push_back(B.CreateTrunc(B.CreateLoad(B.getInt8Ty(), Ptr), Ty));
    else
      Args.push_back(B.CreateLoad(Ty, Ptr));
  }
  return Args;
}

/// Adds `void Entry(ptr Slots)` calling \p Callee and storing leaf I of its
/// result at Slots + 8 I (a bool as one byte, as C stores it).
static void addTrampoline(llvm::Module &LM, llvm::Function &Callee,
                          const ir::Type &ResultType, llvm::StringRef Entry,
                          llvm::ArrayRef<ir::Type> Params, unsigned ArgBase) {
  llvm::LLVMContext &Ctx = LM.getContext();
  llvm::IRBuilder<> B(Ctx);
  auto *FT = llvm::FunctionType::get(B.getVoidTy(), {B.getPtrTy()}, false);
  auto *F = llvm::Function::Create(FT, llvm::GlobalValue::ExternalLinkage,
                                   Entry, LM);
  B.SetInsertPoint(llvm::BasicBlock::Create(Ctx, "entry", F));
  llvm::Value *Slots = F->getArg(0);
  std::vector<llvm::Value *> Args = loadArgs(B, Callee, Slots, Params, ArgBase);
  if (ResultType.isScalar()) {
    llvm::Value *R = B.CreateCall(&Callee, Args);
    if (R->getType()->isIntegerTy(1))
      R = B.CreateZExt(R, B.getInt8Ty());
    B.CreateStore(R, Slots);
  } else {
    std::vector<ElementKind> Leaves;
    flatten(ResultType, Leaves);
    for (unsigned I = 0; I < Leaves.size(); ++I)
      Args.push_back(B.CreateConstInBoundsGEP1_64(B.getInt8Ty(), Slots, 8 * I));
    B.CreateCall(&Callee, Args);
  }
  B.CreateRetVoid();
}

/// For a status-ABI \p Callee: `void Entry(ptr Slots)` reads the workspace
/// from Slots[1] and leaf I's buffer from Slots[2 + I], and stores the
/// status in Slots[0]; `i64 Entry.size()` returns the workspace size.
static void addStatusTrampoline(llvm::Module &LM, llvm::Function &Callee,
                                unsigned NumLeaves, llvm::StringRef Entry,
                                llvm::Function *SizeFn,
                                llvm::ArrayRef<ir::Type> Params) {
  llvm::LLVMContext &Ctx = LM.getContext();
  llvm::IRBuilder<> B(Ctx);
  auto *FT = llvm::FunctionType::get(B.getVoidTy(), {B.getPtrTy()}, false);
  auto *F = llvm::Function::Create(FT, llvm::GlobalValue::ExternalLinkage,
                                   Entry, LM);
  B.SetInsertPoint(llvm::BasicBlock::Create(Ctx, "entry", F));
  llvm::Value *Slots = F->getArg(0);
  auto Slot = [&](unsigned I) {
    return B.CreateConstInBoundsGEP1_64(B.getInt64Ty(), Slots, I);
  };
  std::vector<llvm::Value *> Args =
      loadArgs(B, Callee, Slots, Params, 2 + NumLeaves);
  for (unsigned I = 0; I < NumLeaves; ++I)
    Args.push_back(B.CreateLoad(B.getPtrTy(), Slot(2 + I)));
  Args.push_back(B.CreateLoad(B.getPtrTy(), Slot(1)));
  llvm::Value *St = B.CreateCall(&Callee, Args);
  B.CreateStore(B.CreateSExt(St, B.getInt64Ty()), Slot(0));
  B.CreateRetVoid();

  auto *SFT = llvm::FunctionType::get(B.getInt64Ty(), {}, false);
  auto *S = llvm::Function::Create(SFT, llvm::GlobalValue::ExternalLinkage,
                                   Entry + ".size", LM);
  B.SetInsertPoint(llvm::BasicBlock::Create(Ctx, "entry", S));
  B.CreateRet(B.CreateCall(SizeFn, {}));
}

CompiledCall::CompiledCall(llvm::orc::ResourceTrackerSP RT,
                           void (*Entry)(void *), ir::Type ResultType,
                           unsigned NumSlots)
    : RT(std::move(RT)), Entry(Entry), ResultType(std::move(ResultType)),
      Slots(NumSlots, 0) {}

using ir::flattenLeaves;

/// The number of elements of a constant shape, or -1.
static int64_t getConstantSize(const ir::Type &T) {
  Dim N = getNumElements(T.getShape());
  return N.isConstant() ? N.Factor : -1;
}

/// The bytes a result leaf of \p T holds: its buffer, then its decoded
/// Value (a Scalar an element); nullopt when that overflows.
static std::optional<uint64_t> getResultBytes(const ir::Type &T) {
  uint64_t N = std::max<int64_t>(1, getConstantSize(T)), Bytes;
  if (__builtin_mul_overflow(N, getElementSize(T.getElementKind()) +
                                    sizeof(Scalar),
                             &Bytes))
    return std::nullopt;
  return Bytes;
}

char ResourceError::ID = 0;

/// \p ByLimit: the session's own cap, not the process's, bounded it.
static llvm::Error tooLarge(uint64_t Need, uint64_t Avail, bool ByLimit) {
  std::string Needed = Need == UINT64_MAX ? std::string("more than 16 EiB")
                                          : formatBytes(Need);
  if (ByLimit)
    return llvm::make_error<ResourceError>(
        "the tensors of this expression need " + Needed +
        " of memory, more than the " + formatBytes(Avail) +
        " one evaluation may allocate (--max-memory)");
  return llvm::make_error<ResourceError>(
      "the tensors of this expression need " + Needed +
      " of memory, but this process may allocate only " + formatBytes(Avail) +
      " more (physical memory, ulimit -v)");
}

llvm::Expected<std::unique_ptr<CompiledCall>>
CompiledCall::create(llvm::orc::ResourceTrackerSP RT, void (*Entry)(void *),
                     ir::Type ResultType, int64_t WorkspaceBytes,
                     uint64_t MemoryLimit) {
  std::vector<ir::Type> Leaves = flattenLeaves(ResultType);
  // 64 bytes of slack to align the workspace as the ABI asks.
  uint64_t Need = uint64_t(WorkspaceBytes) + 64;
  for (const ir::Type &L : Leaves) {
    std::optional<uint64_t> Bytes = getResultBytes(L);
    if (!Bytes || __builtin_add_overflow(Need, *Bytes, &Need))
      Need = UINT64_MAX;
  }
  uint64_t Process = getAllocatableMemory();
  uint64_t Avail = std::min(Process, MemoryLimit);
  bool ByLimit = MemoryLimit < Process;
  if (Need > Avail)
    return tooLarge(Need, Avail, ByLimit);
  std::unique_ptr<CompiledCall> C(
      new CompiledCall(std::move(RT), Entry, std::move(ResultType), 0u));
  C->Status = true;
  C->Slots.assign(2 + Leaves.size(), 0);
  C->ArgBase = C->Slots.size();
  C->Workspace.reset(
      static_cast<unsigned char *>(std::malloc(WorkspaceBytes + 64)));
  if (!C->Workspace)
    return tooLarge(Need, Avail, false);
  uintptr_t WS = reinterpret_cast<uintptr_t>(C->Workspace.get());
  C->Slots[1] = (WS + 63) & ~uintptr_t(63);
  for (const ir::Type &L : Leaves) {
    size_t N = std::max<int64_t>(1, getConstantSize(L));
    // calloc: a result leaf the code does not write (an empty tensor)
    // still decodes to defined bytes.
    C->Buffers.emplace_back(static_cast<unsigned char *>(
        std::calloc(N, getElementSize(L.getElementKind()))));
    if (!C->Buffers.back())
      return tooLarge(Need, Avail, false);
    C->Slots[2 + C->Buffers.size() - 1] =
        reinterpret_cast<uintptr_t>(C->Buffers.back().get());
  }
  return std::move(C);
}

CompiledCall::~CompiledCall() {
  if (llvm::Error E = RT->remove())
    llvm::consumeError(std::move(E)); // the process keeps the memory
}

/// Element \p I of a buffer of element kind \p K.
static Scalar loadElement(ElementKind K, const unsigned char *Bytes,
                          size_t I) {
  switch (K) {
  case ElementKind::F64: {
    double V;
    std::memcpy(&V, Bytes + 8 * I, sizeof V);
    return Scalar::f64(V);
  }
  case ElementKind::F32: {
    float V;
    std::memcpy(&V, Bytes + 4 * I, sizeof V);
    return Scalar::f32(V);
  }
  case ElementKind::I64: {
    int64_t V;
    std::memcpy(&V, Bytes + 8 * I, sizeof V);
    return Scalar::i64(V);
  }
  case ElementKind::I32: {
    int32_t V;
    std::memcpy(&V, Bytes + 4 * I, sizeof V);
    return Scalar::i32(V);
  }
  case ElementKind::Bool:
    return Scalar::boolean(Bytes[I] != 0);
  }
  return Scalar::f64(0);
}

std::optional<StoredTensor> jit::storeValue(std::string Name, const Value &V) {
  if (V.getKind() == Value::TupleValue)
    return std::nullopt;
  bool IsTensor = V.getKind() == Value::TensorValue;
  ElementKind K = IsTensor ? V.getTensorElementKind() : V.getScalar().Kind;
  StoredTensor T(std::move(Name), K,
                 IsTensor ? V.getShape() : std::vector<int64_t>());
  auto *Bytes = static_cast<unsigned char *>(T.data());
  auto Store = [&](size_t I, const Scalar &S) {
    switch (K) {
    case ElementKind::F64: {
      double D = S.Float;
      std::memcpy(Bytes + 8 * I, &D, 8);
      break;
    }
    case ElementKind::F32: {
      float F = static_cast<float>(S.Float);
      std::memcpy(Bytes + 4 * I, &F, 4);
      break;
    }
    case ElementKind::I64:
      std::memcpy(Bytes + 8 * I, &S.Int, 8);
      break;
    case ElementKind::I32: {
      int32_t N = static_cast<int32_t>(S.Int);
      std::memcpy(Bytes + 4 * I, &N, 4);
      break;
    }
    case ElementKind::Bool:
      Bytes[I] = S.Int != 0;
      break;
    }
  };
  if (!IsTensor) {
    Store(0, V.getScalar());
    return T;
  }
  const std::vector<Scalar> &Data = V.getTensorData();
  for (size_t I = 0; I < Data.size(); ++I)
    Store(I, Data[I]);
  return T;
}

Value jit::loadValue(const StoredTensor &T) {
  auto *Bytes = static_cast<const unsigned char *>(T.data());
  if (T.Shape.empty())
    return Value::scalar(loadElement(T.Elem, Bytes, 0));
  std::vector<Scalar> Data;
  int64_t N = T.getNumElements();
  Data.reserve(N);
  for (int64_t I = 0; I < N; ++I)
    Data.push_back(loadElement(T.Elem, Bytes, I));
  return Value::tensor(T.Elem, T.Shape, std::move(Data));
}

static Value decode(const ir::Type &T, const std::vector<uint64_t> &Slots,
                    unsigned &Next) {
  if (T.isTuple()) {
    std::vector<Value> Elements;
    for (const ir::Type &E : T.getElements())
      Elements.push_back(decode(E, Slots, Next));
    return Value::tuple(std::move(Elements));
  }
  return Value::scalar(loadElement(
      T.getElementKind(),
      reinterpret_cast<const unsigned char *>(&Slots[Next++]), 0));
}

template <typename BufferList>
static Value decodeBuffers(const ir::Type &T, const BufferList &Buffers,
                           unsigned &Next) {
  if (T.isTuple()) {
    std::vector<Value> Elements;
    for (const ir::Type &E : T.getElements())
      Elements.push_back(decodeBuffers(E, Buffers, Next));
    return Value::tuple(std::move(Elements));
  }
  const unsigned char *Buf = Buffers[Next++].get();
  if (T.isScalar())
    return Value::scalar(loadElement(T.getElementKind(), Buf, 0));
  std::vector<int64_t> Shape;
  for (const Dim &D : T.getShape())
    Shape.push_back(D.Factor);
  std::vector<Scalar> Data;
  size_t N = getConstantSize(T);
  Data.reserve(N); // weighed against the memory budget by create()
  for (size_t I = 0; I < N; ++I)
    Data.push_back(loadElement(T.getElementKind(), Buf, I));
  return Value::tensor(T.getElementKind(), std::move(Shape), std::move(Data));
}

llvm::Expected<Value> CompiledCall::result() const {
  unsigned Next = 0;
  if (!Status)
    return decode(ResultType, Slots, Next);
  switch (static_cast<int64_t>(Slots[0])) {
  case 0:
    return decodeBuffers(ResultType, Buffers, Next);
  case 1:
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "tensor dimensions disagree (NNC_ERR_SHAPE)");
  case 2:
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "a label or an index is out of range (NNC_ERR_INDEX)");
  default:
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "out of memory (NNC_ERR_NOMEM)");
  }
}

Engine::~Engine() = default;

llvm::Expected<std::unique_ptr<Engine>> Engine::create() {
  // Also initializes the targets, which LLJIT needs.
  if (llvm::Error E = takeHostMachineError())
    return E;
  // Every task (materialization) runs in the calling thread: the REPL runs
  // one input at a time and must not leave threads behind it.
  auto EPC = llvm::orc::SelfExecutorProcessControl::Create(
      nullptr, std::make_unique<llvm::orc::InPlaceTaskDispatcher>());
  if (!EPC)
    return EPC.takeError();
  auto J = llvm::orc::LLJITBuilder()
               .setExecutorProcessControl(std::move(*EPC))
               .create();
  if (!J)
    return J.takeError();
  // Generated code calls libm (tanh, and what LLVM turns intrinsics into):
  // resolve it, and anything else, from this process.
  auto Gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*J)->getDataLayout().getGlobalPrefix());
  if (!Gen)
    return Gen.takeError();
  (*J)->getMainJITDylib().addGenerator(std::move(*Gen));
  std::unique_ptr<Engine> E(new Engine());
  E->J = std::move(*J);
  return E;
}

llvm::Expected<std::unique_ptr<CompiledCall>>
Engine::compile(const ir::Module &M, llvm::StringRef Name) {
  const ir::Function *F = M.lookup(Name);
  if (!F)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "internal error: no function '" + Name +
                                       "' to run");
  std::vector<ir::Type> Params;
  for (unsigned I = 0; I < F->getNumParams(); ++I) {
    Params.push_back(F->getParamType(I));
    if (Params.back().isTensor() && getConstantSize(Params.back()) < 0)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "internal error: a parameter of unknown size " + Params.back().str());
  }
  std::unique_ptr<ir::Module> Sub = extractFunction(M, Name);
  std::string Unique = (Name + "." + llvm::Twine(NextId)).str();
  bool Status = hasStatusABI(*F);
  // Internal: it is reached through the trampoline only, which inlines it.
  // A status-ABI function stays exported under a name of its own, since
  // only exported ones come with a workspace-size function.
  Sub->lookup(Name)->Exported = Status;
  Sub->lookup(Name)->Name = Unique;
  Name = Unique;
  auto Ctx = std::make_unique<llvm::LLVMContext>();
  // Ctrl-C skips the remaining passes (nnc/JIT/Interrupt.h).
  Ctx->setOptPassGate(getInterruptGate());
  if (llvm::Error E = takeHostMachineError())
    return E;
  CodeGenOptions Opts = getReplCodeGenOptions();
  llvm::TargetMachine &TM = **hostMachine();
  auto LM = emitLLVMModule(*Sub, *Ctx, TM, Opts);
  if (!LM)
    return LM.takeError();
  std::string Entry = "__nnc_run_" + std::to_string(NextId++);
  if (Status) {
    // Every dimension is a constant here: the function has no parameters.
    std::vector<ir::Type> Leaves = flattenLeaves(F->ResultType);
    for (const ir::Type &L : Leaves)
      if (getConstantSize(L) < 0)
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "internal error: a result of unknown size " + L.str());
    llvm::Function *SizeFn =
        (*LM)->getFunction(getWorkspaceSizeSymbol(*Sub->lookup(Name), Opts));
    if (!SizeFn)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "internal error: no workspace size");
    addStatusTrampoline(**LM, *(*LM)->getFunction(Name), Leaves.size(), Entry,
                        SizeFn, Params);
  } else {
    addTrampoline(**LM, *(*LM)->getFunction(Name), F->ResultType, Entry, Params,
                  std::max<unsigned>(1, flattenLeaves(F->ResultType).size()));
  }
  optimizeLLVMModule(**LM, TM, Opts.OptLevel);
  // Ctrl-C during the passes: machine code would never run. (The REPL
  // prints "interrupted" itself.)
  if (wasInterrupted())
    return llvm::errorCodeToError(
        std::make_error_code(std::errc::interrupted));
  (*LM)->setDataLayout(J->getDataLayout());

  llvm::orc::ResourceTrackerSP RT =
      J->getMainJITDylib().createResourceTracker();
  if (llvm::Error E = J->addIRModule(
          RT, llvm::orc::ThreadSafeModule(std::move(*LM), std::move(Ctx))))
    return E;
  auto Addr = J->lookup(Entry);
  if (!Addr) {
    llvm::consumeError(RT->remove());
    return Addr.takeError();
  }
  if (Status) {
    auto SizeAddr = J->lookup(Entry + ".size");
    if (!SizeAddr) {
      llvm::consumeError(RT->remove());
      return SizeAddr.takeError();
    }
    // A size that overflows (-1) cannot pass Sema's checks; a huge one is
    // weighed against what this process may allocate.
    int64_t Bytes = SizeAddr->toPtr<int64_t (*)()>()();
    auto Call = CompiledCall::create(RT, Addr->toPtr<void (*)(void *)>(),
                                     F->ResultType,
                                     Bytes < 0 ? INT64_MAX - 64 : Bytes,
                                     MemoryLimit);
    if (!Call) {
      llvm::consumeError(RT->remove());
      return Call;
    }
    (*Call)->ArgTypes = Params;
    (*Call)->Slots.resize((*Call)->ArgBase + Params.size(), 0);
    return Call;
  }
  std::vector<ElementKind> Leaves;
  flatten(F->ResultType, Leaves);
  unsigned NumSlots = std::max<unsigned>(1, Leaves.size());
  auto Call = std::make_unique<CompiledCall>(
      RT, Addr->toPtr<void (*)(void *)>(), F->ResultType, NumSlots);
  Call->ArgTypes = Params;
  Call->ArgBase = NumSlots;
  Call->Slots.resize(NumSlots + Params.size(), 0);
  return Call;
}

CompiledModule::~CompiledModule() {
  if (llvm::Error E = RT->remove())
    llvm::consumeError(std::move(E)); // the process keeps the memory
}

const CompiledModule::Entry *
CompiledModule::lookup(llvm::StringRef Symbol) const {
  auto It = Entries.find(Symbol);
  return It == Entries.end() ? nullptr : &It->second;
}

/// Adds `i64 Entry(ptr Args)` that calls \p Callee with LLVM argument I
/// loaded from Args + 8 I, and returns its integer result sign-extended
/// (0 when it returns nothing).
static llvm::Error addSlotTrampoline(llvm::Module &LM, llvm::Function &Callee,
                                     llvm::StringRef Entry) {
  llvm::LLVMContext &Ctx = LM.getContext();
  llvm::IRBuilder<> B(Ctx);
  llvm::Type *Ret = Callee.getReturnType();
  if (!Ret->isVoidTy() && !Ret->isIntegerTy())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "internal error: '" + Callee.getName() +
                                       "' returns no integer");
  auto *FT = llvm::FunctionType::get(B.getInt64Ty(), {B.getPtrTy()}, false);
  auto *F = llvm::Function::Create(FT, llvm::GlobalValue::ExternalLinkage,
                                   Entry, LM);
  B.SetInsertPoint(llvm::BasicBlock::Create(Ctx, "entry", F));
  std::vector<llvm::Value *> Args;
  for (llvm::Argument &A : Callee.args())
    Args.push_back(B.CreateLoad(
        A.getType(),
        B.CreateConstInBoundsGEP1_64(B.getInt64Ty(), F->getArg(0),
                                     Args.size())));
  llvm::Value *R = B.CreateCall(&Callee, Args);
  if (Ret->isVoidTy())
    B.CreateRet(B.getInt64(0));
  else
    B.CreateRet(B.CreateSExtOrTrunc(R, B.getInt64Ty()));
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<CompiledModule>>
Engine::compileModule(const ir::Module &M, llvm::ArrayRef<std::string> Symbols,
                      unsigned Threads) {
  auto Ctx = std::make_unique<llvm::LLVMContext>();
  Ctx->setOptPassGate(getInterruptGate());
  if (llvm::Error E = takeHostMachineError())
    return E;
  CodeGenOptions Opts = getReplCodeGenOptions();
  Opts.Threads = Threads;
  llvm::TargetMachine &TM = **hostMachine();
  auto LM = emitLLVMModule(M, *Ctx, TM, Opts);
  if (!LM)
    return LM.takeError();
  std::string Prefix = "__nnc_slots_";
  std::vector<std::pair<std::string, unsigned>> Made;
  for (const std::string &Sym : Symbols) {
    llvm::Function *Callee = (*LM)->getFunction(Sym);
    if (!Callee || Callee->isDeclaration())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "internal error: no function '" + Sym +
                                         "' in the compiled module");
    if (llvm::Error E = addSlotTrampoline(**LM, *Callee, Prefix + Sym))
      return E;
    Made.emplace_back(Sym, Callee->arg_size());
  }
  optimizeLLVMModule(**LM, TM, Opts.OptLevel);
  if (wasInterrupted())
    return llvm::errorCodeToError(
        std::make_error_code(std::errc::interrupted));
  (*LM)->setDataLayout(J->getDataLayout());
  // The module's exported names (net_loss, ...) would clash with a second
  // compiled copy of the same model: each module gets a JITDylib of its
  // own, which resolves libm, malloc and pthreads from this process.
  auto JD = J->createJITDylib("nnc.module." + std::to_string(NextId++));
  if (!JD)
    return JD.takeError();
  auto Gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      J->getDataLayout().getGlobalPrefix());
  if (!Gen)
    return Gen.takeError();
  JD->addGenerator(std::move(*Gen));
  llvm::orc::ResourceTrackerSP RT = JD->createResourceTracker();
  if (llvm::Error E = J->addIRModule(
          RT, llvm::orc::ThreadSafeModule(std::move(*LM), std::move(Ctx))))
    return E;
  auto Result = std::make_unique<CompiledModule>(RT);
  for (auto &[Sym, NumArgs] : Made) {
    auto Addr = J->lookup(*JD, Prefix + Sym);
    if (!Addr)
      return Addr.takeError();
    Result->Entries[Sym] = {Addr->toPtr<CompiledModule::EntryFn>(), NumArgs};
  }
  return Result;
}
