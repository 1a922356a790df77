//===- ThreadPool.cpp - Worker threads that generated code keeps ----------===//
//
// The pool's state is a handful of internal globals of the module. A call
// of run publishes a task (function, arguments, stride, count and two
// counters, on the caller's stack) through a pointer, bumps a generation
// counter that wakes the workers, and takes slices itself: every thread,
// the caller included, claims the next slice with an atomic increment
// until none is left, so a worker that is asleep or descheduled delays
// nothing, its slices are done by the others. The caller waits for every
// slice to be done, withdraws the task and waits until no worker is still
// looking at it (`inflight`), so the task never outlives its frame. Workers
// spin on the generation for about a millisecond after their last task,
// then sleep on a condition variable. One task at a time: a `busy` flag
// taken by compare-and-swap; a caller that finds it taken works alone. The
// workers start on the first call (again in a child process after fork,
// found by its pid), and a destructor of the module (llvm.global_dtors: at
// exit, or when a shared library is unloaded) stops and joins them before
// their code goes.
//
// The sleeping handshake is the usual one: a worker counts itself among the
// sleepers, then re-reads the generation under the mutex before it waits;
// run bumps the generation, then reads the sleepers and broadcasts under
// the mutex if there are any. So is the withdrawal: a worker counts itself
// in flight, then reads the task pointer; run clears the pointer, then
// reads the count. All four use sequentially consistent operations, so one
// side sees the other's write.
//
// pthread_mutex_t and pthread_cond_t are 64 zeroed bytes here: glibc's and
// musl's static initializers are all zeros and their types are smaller.
//
//===----------------------------------------------------------------------===//
#include "ThreadPool.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/IntrinsicsX86.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

using namespace nnc;
using namespace nnc::codegen;

namespace {

/// Spins of a waiting worker before it sleeps: about a millisecond with
/// x86's pause (~140 cycles on recent cores), so the products of one call
/// find their workers awake.
constexpr int64_t SpinLimit = 20000;

/// Fields of a task, on the stack of run's caller.
enum TaskField { FnField, ArgsField, StrideField, CountField, NextField,
                 DoneField };

/// The pool's globals, the C library functions it calls, and its three
/// functions.
class PoolEmitter {
public:
  PoolEmitter(llvm::Module &LM, unsigned Threads)
      : LM(LM), Ctx(LM.getContext()), B(Ctx), T(Threads) {}

  llvm::Function *emit();

private:
  llvm::GlobalVariable *global(const char *Name, llvm::Type *Ty,
                               unsigned Align = 8) {
    auto *G = new llvm::GlobalVariable(
        LM, Ty, /*isConstant=*/false, llvm::GlobalValue::InternalLinkage,
        llvm::Constant::getNullValue(Ty), std::string("nnc.pool.") + Name);
    G->setAlignment(llvm::Align(Align));
    return G;
  }
  llvm::FunctionCallee libc(const char *Name, llvm::Type *Ret,
                            llvm::ArrayRef<llvm::Type *> Params) {
    return LM.getOrInsertFunction(
        Name, llvm::FunctionType::get(Ret, Params, false));
  }
  llvm::Function *function(const char *Name, llvm::Type *Ret,
                           llvm::ArrayRef<llvm::Type *> Params) {
    auto *F = llvm::Function::Create(
        llvm::FunctionType::get(Ret, Params, false),
        llvm::GlobalValue::InternalLinkage, Name, LM);
    F->addFnAttr(llvm::Attribute::NoUnwind);
    return F;
  }
  llvm::BasicBlock *block(llvm::Function *F, const char *Name) {
    return llvm::BasicBlock::Create(Ctx, Name, F);
  }
  void pause() {
    if (llvm::Triple(LM.getTargetTriple()).isX86())
      B.CreateIntrinsic(llvm::Intrinsic::x86_sse2_pause, {}, {});
  }
  llvm::Value *atomicLoad(llvm::Type *Ty, llvm::Value *P,
                          llvm::AtomicOrdering O) {
    llvm::LoadInst *L = B.CreateLoad(Ty, P);
    L->setAtomic(O);
    L->setAlignment(llvm::Align(8));
    return L;
  }
  void atomicStore(llvm::Value *V, llvm::Value *P, llvm::AtomicOrdering O) {
    llvm::StoreInst *S = B.CreateStore(V, P);
    S->setAtomic(O);
    S->setAlignment(llvm::Align(8));
  }
  llvm::Value *atomicAdd(llvm::Value *P, llvm::Type *Ty, int64_t By,
                         llvm::AtomicOrdering O) {
    return B.CreateAtomicRMW(llvm::AtomicRMWInst::Add, P,
                             llvm::ConstantInt::get(Ty, By), llvm::Align(8),
                             O);
  }
  llvm::Value *field(llvm::Value *Task, TaskField F) {
    return B.CreateStructGEP(TaskTy, Task, F);
  }
  void lock() { B.CreateCall(Lock, {Mutex}); }
  void unlock() { B.CreateCall(Unlock, {Mutex}); }

  /// Claims and runs slices of \p Task until none is left.
  void emitClaimSlices(llvm::Function *F, llvm::Value *Task);
  llvm::Function *emitWorker();
  llvm::Function *emitStop();

  llvm::Module &LM;
  llvm::LLVMContext &Ctx;
  llvm::IRBuilder<> B;
  unsigned T;
  llvm::Type *I32 = llvm::Type::getInt32Ty(Ctx);
  llvm::Type *I64 = llvm::Type::getInt64Ty(Ctx);
  llvm::Type *Ptr = llvm::PointerType::getUnqual(Ctx);
  llvm::Constant *Null = llvm::ConstantPointerNull::get(
      llvm::PointerType::getUnqual(Ctx));
  llvm::StructType *TaskTy =
      llvm::StructType::get(Ctx, {Ptr, Ptr, I64, I64, I64, I64});
  llvm::Type *Sync = llvm::ArrayType::get(llvm::Type::getInt8Ty(Ctx), 64);
  llvm::GlobalVariable *Mutex = global("mutex", Sync, 64);
  llvm::GlobalVariable *Cond = global("cond", Sync, 64);
  llvm::GlobalVariable *Busy = global("busy", I32, 64);
  llvm::GlobalVariable *Started = global("started", I32);
  llvm::GlobalVariable *Pid = global("pid", I32);
  llvm::GlobalVariable *Gen = global("gen", I64, 64);
  llvm::GlobalVariable *Base = global("base", I64);
  llvm::GlobalVariable *Task = global("task", Ptr, 64);
  llvm::GlobalVariable *Inflight = global("inflight", I64, 64);
  llvm::GlobalVariable *Sleepers = global("sleepers", I64, 64);
  llvm::GlobalVariable *Quit = global("quit", I64);
  llvm::GlobalVariable *Ids =
      global("ids", llvm::ArrayType::get(I64, std::max(1u, T - 1)));
  llvm::FunctionCallee Lock = libc("pthread_mutex_lock", I32, {Ptr});
  llvm::FunctionCallee Unlock = libc("pthread_mutex_unlock", I32, {Ptr});
  llvm::FunctionCallee Wait = libc("pthread_cond_wait", I32, {Ptr, Ptr});
  llvm::FunctionCallee Broadcast = libc("pthread_cond_broadcast", I32, {Ptr});
  llvm::FunctionCallee GetPid = libc("getpid", I32, {});
};

} // namespace

void PoolEmitter::emitClaimSlices(llvm::Function *F, llvm::Value *TaskPtr) {
  llvm::Value *Fn = B.CreateLoad(Ptr, field(TaskPtr, FnField));
  llvm::Value *Args = B.CreateLoad(Ptr, field(TaskPtr, ArgsField));
  llvm::Value *Stride = B.CreateLoad(I64, field(TaskPtr, StrideField));
  llvm::Value *Count = B.CreateLoad(I64, field(TaskPtr, CountField));
  llvm::BasicBlock *Claim = block(F, "claim"), *Run = block(F, "run.slice"),
                   *After = block(F, "claimed.all");
  B.CreateBr(Claim);
  B.SetInsertPoint(Claim);
  llvm::Value *I = atomicAdd(field(TaskPtr, NextField), I64, 1,
                             llvm::AtomicOrdering::Monotonic);
  B.CreateCondBr(B.CreateICmpSLT(I, Count), Run, After);
  B.SetInsertPoint(Run);
  B.CreateCall(llvm::FunctionType::get(B.getVoidTy(), {Ptr}, false), Fn,
               {B.CreateGEP(B.getInt8Ty(), Args, B.CreateMul(I, Stride))});
  atomicAdd(field(TaskPtr, DoneField), I64, 1, llvm::AtomicOrdering::Release);
  B.CreateBr(Claim);
  B.SetInsertPoint(After);
}

/// ptr nnc.pool.worker(ptr): a worker, until the pool stops.
llvm::Function *PoolEmitter::emitWorker() {
  llvm::Function *F = function("nnc.pool.worker", Ptr, {Ptr});
  llvm::BasicBlock *Entry = block(F, "entry"), *Loop = block(F, "loop"),
                   *Spin = block(F, "spin"), *NoTask = block(F, "no.task"),
                   *Again = block(F, "spin.again"),
                   *SpinMore = block(F, "spin.more"),
                   *Sleep = block(F, "sleep"), *Check = block(F, "wait.check"),
                   *WaitB = block(F, "wait"), *Wake = block(F, "wake"),
                   *Work = block(F, "work"), *Take = block(F, "take"),
                   *Leave = block(F, "leave"), *Exit = block(F, "exit");
  B.SetInsertPoint(Entry);
  // Base is the generation before the task that started the pool, written
  // before pthread_create, so that task wakes the worker too.
  llvm::Value *Seen0 = B.CreateLoad(I64, Base);
  B.CreateBr(Loop);

  B.SetInsertPoint(Loop);
  llvm::PHINode *Seen = B.CreatePHI(I64, 2, "seen");
  Seen->addIncoming(Seen0, Entry);
  B.CreateBr(Spin);

  B.SetInsertPoint(Spin);
  llvm::PHINode *Spins = B.CreatePHI(I64, 3, "spins");
  Spins->addIncoming(B.getInt64(0), Loop);
  llvm::Value *G = atomicLoad(I64, Gen, llvm::AtomicOrdering::Acquire);
  B.CreateCondBr(B.CreateICmpNE(G, Seen), Work, NoTask);

  B.SetInsertPoint(NoTask);
  B.CreateCondBr(
      B.CreateICmpNE(atomicLoad(I64, Quit, llvm::AtomicOrdering::Acquire),
                     B.getInt64(0)),
      Exit, Again);
  B.SetInsertPoint(Again);
  B.CreateCondBr(B.CreateICmpSLT(Spins, B.getInt64(SpinLimit)), SpinMore,
                 Sleep);
  B.SetInsertPoint(SpinMore);
  pause();
  Spins->addIncoming(B.CreateAdd(Spins, B.getInt64(1)), SpinMore);
  B.CreateBr(Spin);

  B.SetInsertPoint(Sleep);
  lock();
  atomicAdd(Sleepers, I64, 1, llvm::AtomicOrdering::SequentiallyConsistent);
  B.CreateBr(Check);
  B.SetInsertPoint(Check);
  llvm::Value *Same = B.CreateICmpEQ(
      atomicLoad(I64, Gen, llvm::AtomicOrdering::SequentiallyConsistent),
      Seen);
  llvm::Value *Running = B.CreateICmpEQ(
      atomicLoad(I64, Quit, llvm::AtomicOrdering::SequentiallyConsistent),
      B.getInt64(0));
  B.CreateCondBr(B.CreateAnd(Same, Running), WaitB, Wake);
  B.SetInsertPoint(WaitB);
  B.CreateCall(Wait, {Cond, Mutex});
  B.CreateBr(Check);
  B.SetInsertPoint(Wake);
  atomicAdd(Sleepers, I64, -1, llvm::AtomicOrdering::SequentiallyConsistent);
  unlock();
  Spins->addIncoming(B.getInt64(0), Wake);
  B.CreateBr(Spin);

  // In flight before looking at the task: run waits for this count to
  // fall to zero before the task's frame goes.
  B.SetInsertPoint(Work);
  atomicAdd(Inflight, I64, 1, llvm::AtomicOrdering::SequentiallyConsistent);
  llvm::Value *TaskPtr =
      atomicLoad(Ptr, Task, llvm::AtomicOrdering::SequentiallyConsistent);
  B.CreateCondBr(B.CreateICmpNE(TaskPtr, Null), Take, Leave);
  B.SetInsertPoint(Take);
  emitClaimSlices(F, TaskPtr);
  B.CreateBr(Leave);
  B.SetInsertPoint(Leave);
  atomicAdd(Inflight, I64, -1, llvm::AtomicOrdering::Release);
  Seen->addIncoming(G, Leave);
  B.CreateBr(Loop);

  B.SetInsertPoint(Exit);
  B.CreateRet(Null);
  return F;
}

/// void nnc.pool.stop(): the module's destructor; wakes the workers with
/// quit set and joins them.
llvm::Function *PoolEmitter::emitStop() {
  llvm::Function *F = function("nnc.pool.stop", B.getVoidTy(), {});
  llvm::BasicBlock *Entry = block(F, "entry"), *Stop = block(F, "stop"),
                   *Join = block(F, "join"), *End = block(F, "end");
  B.SetInsertPoint(Entry);
  llvm::Value *N = B.CreateZExt(B.CreateLoad(I32, Started), I64);
  llvm::Value *Ours =
      B.CreateICmpEQ(B.CreateCall(GetPid), B.CreateLoad(I32, Pid));
  B.CreateCondBr(B.CreateAnd(Ours, B.CreateICmpNE(N, B.getInt64(0))), Stop,
                 End);
  B.SetInsertPoint(Stop);
  atomicStore(B.getInt64(1), Quit,
              llvm::AtomicOrdering::SequentiallyConsistent);
  lock();
  B.CreateCall(Broadcast, {Cond});
  unlock();
  B.CreateBr(Join);
  B.SetInsertPoint(Join);
  llvm::PHINode *I = B.CreatePHI(I64, 2, "i");
  I->addIncoming(B.getInt64(0), Stop);
  B.CreateCall(libc("pthread_join", I32, {I64, Ptr}),
               {B.CreateLoad(I64, B.CreateGEP(I64, Ids, I)), Null});
  llvm::Value *Next = B.CreateAdd(I, B.getInt64(1));
  I->addIncoming(Next, Join);
  B.CreateCondBr(B.CreateICmpSLT(Next, N), Join, End);
  B.SetInsertPoint(End);
  B.CreateStore(B.getInt32(0), Started);
  atomicStore(B.getInt64(0), Quit,
              llvm::AtomicOrdering::SequentiallyConsistent);
  B.CreateRetVoid();
  return F;
}

llvm::Function *PoolEmitter::emit() {
  llvm::Function *Worker = emitWorker();
  llvm::appendToGlobalDtors(LM, emitStop(), /*Priority=*/65535);

  llvm::Function *F =
      function("nnc.pool.run", B.getVoidTy(), {Ptr, Ptr, I64, I64});
  llvm::Value *Fn = F->getArg(0), *Args = F->getArg(1),
              *Stride = F->getArg(2), *Count = F->getArg(3);
  llvm::BasicBlock *Entry = block(F, "entry"), *Try = block(F, "try"),
                   *Start = block(F, "start"), *Spawn = block(F, "spawn"),
                   *Go = block(F, "go"), *WakeUp = block(F, "wake.up"),
                   *Here = block(F, "here"), *Alone = block(F, "alone");
  B.SetInsertPoint(Entry);
  llvm::Value *TaskPtr = B.CreateAlloca(TaskTy, nullptr, "task");
  B.CreateStore(Fn, field(TaskPtr, FnField));
  B.CreateStore(Args, field(TaskPtr, ArgsField));
  B.CreateStore(Stride, field(TaskPtr, StrideField));
  B.CreateStore(Count, field(TaskPtr, CountField));
  B.CreateStore(B.getInt64(0), field(TaskPtr, NextField));
  B.CreateStore(B.getInt64(0), field(TaskPtr, DoneField));
  B.CreateCondBr(B.CreateICmpSLT(Count, B.getInt64(2)), Alone, Try);

  B.SetInsertPoint(Try);
  llvm::Value *Taken = B.CreateExtractValue(
      B.CreateAtomicCmpXchg(Busy, B.getInt32(0), B.getInt32(1),
                            llvm::MaybeAlign(64),
                            llvm::AtomicOrdering::SequentiallyConsistent,
                            llvm::AtomicOrdering::SequentiallyConsistent),
      1);
  B.CreateCondBr(Taken, Start, Alone);

  B.SetInsertPoint(Start);
  llvm::Value *MyPid = B.CreateCall(GetPid);
  llvm::Value *Fresh = B.CreateOr(
      B.CreateICmpEQ(B.CreateLoad(I32, Started), B.getInt32(0)),
      B.CreateICmpNE(B.CreateLoad(I32, Pid), MyPid));
  B.CreateCondBr(Fresh, Spawn, Go);

  // Start the workers: the first time, or in a child after fork, which
  // has the parent's globals but none of its threads (nor a usable copy of
  // a mutex another thread held).
  B.SetInsertPoint(Spawn);
  B.CreateMemSet(Mutex, B.getInt8(0), 64, llvm::MaybeAlign(64));
  B.CreateMemSet(Cond, B.getInt8(0), 64, llvm::MaybeAlign(64));
  B.CreateStore(B.getInt64(0), Sleepers);
  B.CreateStore(B.getInt64(0), Inflight);
  B.CreateStore(B.getInt64(0), Quit);
  B.CreateStore(Null, Task);
  B.CreateStore(MyPid, Pid);
  B.CreateStore(B.CreateLoad(I64, Gen), Base);
  llvm::FunctionCallee Create =
      libc("pthread_create", I32, {Ptr, Ptr, Ptr, Ptr});
  // Stop at the first thread that cannot start; the others take its share.
  llvm::BasicBlock *Spawned = block(F, "spawned");
  std::vector<std::pair<llvm::Value *, llvm::BasicBlock *>> Made;
  for (unsigned I = 1; I < T; ++I) {
    llvm::Value *Rc = B.CreateCall(
        Create, {B.CreateConstGEP1_64(I64, Ids, I - 1), Null, Worker, Null});
    Made.push_back({B.getInt32(I - 1), B.GetInsertBlock()});
    llvm::BasicBlock *Next = block(F, "spawn.next");
    B.CreateCondBr(B.CreateICmpNE(Rc, B.getInt32(0)), Spawned, Next);
    B.SetInsertPoint(Next);
  }
  Made.push_back({B.getInt32(T - 1), B.GetInsertBlock()});
  B.CreateBr(Spawned);
  B.SetInsertPoint(Spawned);
  llvm::PHINode *N = B.CreatePHI(I32, Made.size(), "made");
  for (auto &[V, BB] : Made)
    N->addIncoming(V, BB);
  B.CreateStore(N, Started);
  B.CreateBr(Go);

  // Publish the task, then the generation that announces it.
  B.SetInsertPoint(Go);
  atomicStore(TaskPtr, Task, llvm::AtomicOrdering::SequentiallyConsistent);
  atomicAdd(Gen, I64, 1, llvm::AtomicOrdering::SequentiallyConsistent);
  llvm::Value *Asleep =
      atomicLoad(I64, Sleepers, llvm::AtomicOrdering::SequentiallyConsistent);
  B.CreateCondBr(B.CreateICmpNE(Asleep, B.getInt64(0)), WakeUp, Here);
  B.SetInsertPoint(WakeUp);
  lock();
  B.CreateCall(Broadcast, {Cond});
  unlock();
  B.CreateBr(Here);

  B.SetInsertPoint(Here);
  emitClaimSlices(F, TaskPtr);
  llvm::BasicBlock *WaitDone = block(F, "wait.done"),
                   *PauseDone = block(F, "wait.done.pause"),
                   *Withdraw = block(F, "withdraw"),
                   *WaitOut = block(F, "wait.out"),
                   *PauseOut = block(F, "wait.out.pause"),
                   *Release = block(F, "release");
  B.CreateBr(WaitDone);
  B.SetInsertPoint(WaitDone);
  llvm::Value *Done = atomicLoad(I64, field(TaskPtr, DoneField),
                                 llvm::AtomicOrdering::Acquire);
  B.CreateCondBr(B.CreateICmpEQ(Done, Count), Withdraw, PauseDone);
  B.SetInsertPoint(PauseDone);
  pause();
  B.CreateBr(WaitDone);
  B.SetInsertPoint(Withdraw);
  atomicStore(Null, Task, llvm::AtomicOrdering::SequentiallyConsistent);
  B.CreateBr(WaitOut);
  B.SetInsertPoint(WaitOut);
  llvm::Value *Out = B.CreateICmpEQ(
      atomicLoad(I64, Inflight, llvm::AtomicOrdering::SequentiallyConsistent),
      B.getInt64(0));
  B.CreateCondBr(Out, Release, PauseOut);
  B.SetInsertPoint(PauseOut);
  pause();
  B.CreateBr(WaitOut);
  B.SetInsertPoint(Release);
  llvm::StoreInst *Free = B.CreateStore(B.getInt32(0), Busy);
  Free->setAtomic(llvm::AtomicOrdering::Release);
  Free->setAlignment(llvm::Align(64));
  B.CreateRetVoid();

  // The pool is busy (or there is one slice): every slice here.
  B.SetInsertPoint(Alone);
  emitClaimSlices(F, TaskPtr);
  B.CreateRetVoid();
  return F;
}

llvm::Function *codegen::getPoolRun(llvm::Module &LM, unsigned Threads) {
  if (llvm::Function *F = LM.getFunction("nnc.pool.run"))
    return F;
  return PoolEmitter(LM, Threads).emit();
}
