//===- Model.h - The compiled entry points the trainer calls ----*- C++ -*-===//
//
// Private to lib/Train: the trainer's state (Trainer::Impl) and the calls of
// the model's entry points through the JIT's slot trampolines, with their
// C arguments laid out as docs/abi.md ("Tensors", "Train steps") says.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_TRAIN_MODEL_H
#define NNC_LIB_TRAIN_MODEL_H

#include "nnc/IR/IR.h"
#include "nnc/JIT/Engine.h"
#include "nnc/Train/Trainer.h"
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace nnc::train {

/// Bytes from aligned_alloc, 64-byte aligned as the ABI asks of workspaces;
/// zeroed when allocated.
class Buffer {
public:
  /// False when the memory could not be allocated.
  bool resize(size_t Bytes);
  uint8_t *data() const { return Ptr.get(); }
  size_t size() const { return Size; }

private:
  struct FreeDeleter {
    void operator()(uint8_t *P) const { std::free(P); }
  };
  std::unique_ptr<uint8_t, FreeDeleter> Ptr;
  size_t Size = 0;
};

/// A compiled entry point and the IR function it was compiled from.
/// Whether parameter \p K of a method is the mode or the dropout seed
/// that layers with state or dropout take (issue 12): `training` (false when
/// evaluating) or `seed` (the step's number in a train step).
bool isModeParam(const ir::Function &F, unsigned K);
/// The value a method returns, without the new layer state that a method
/// that assigns state also returns (issue 12).
ir::Type valueType(const ir::Function &F);

struct EntryPoint {
  const ir::Function *F = nullptr;
  const jit::CompiledModule::Entry *Call = nullptr;
  const jit::CompiledModule::Entry *WorkspaceSize = nullptr;
  explicit operator bool() const { return F != nullptr; }
};

/// The tensor or scalar a non-struct parameter is called with: a pointer
/// and its dimensions, or a scalar's bits.
struct ArgValue {
  const void *Ptr = nullptr;
  std::vector<int64_t> Dims;
  uint64_t ScalarBits = 0;
};

class DataParallel; // Distributed.h

struct Trainer::Impl {
  TrainOptions Opts;
  std::unique_ptr<ir::Module> IR;
  std::unique_ptr<jit::Engine> JIT;
  std::unique_ptr<jit::CompiledModule> Code;
  std::string Instance, Method;
  EntryPoint Step, Loss, Init, Predict, Forward;
  /// With Opts.Distributed: the step in two halves, and the processes.
  EntryPoint Grad, Update;
  std::unique_ptr<DataParallel> DP;
  /// x's element kind and the constant dimensions after the batch; y's kind.
  ElementKind XKind = ElementKind::F32, YKind = ElementKind::I32;
  std::vector<int64_t> SampleDims;
  int64_t SampleSize = 0;
  /// The loss's float kind: the hyper-parameters' type.
  ElementKind LossKind = ElementKind::F32;
  /// forward's classes when it returns [B, C] floats (for argmax), else 0.
  int64_t ForwardClasses = 0;
  std::vector<ParamInfo> Params;
  Buffer ParamStruct, StateStruct;

  /// Calls \p E. \p Arg gives each parameter outside the structs; results
  /// outside the structs are written to \p Results (one per leaf, in order);
  /// \p ResultStruct receives a result struct run. Returns the status.
  int64_t call(const EntryPoint &E,
               const std::function<ArgValue(unsigned)> &Arg,
               llvm::ArrayRef<void *> Results, void *ResultStruct,
               void *Workspace);
  /// The workspace \p E needs with every dimension variable \p B.
  int64_t workspaceSize(const EntryPoint &E, int64_t B);
  /// Calls the init method with \p Seed into ParamStruct.
  llvm::Error init(uint64_t Seed);
};

/// lib/Train's one error site: options, data and checkpoint files that do
/// not fit the model, run-time statuses; none has a place in a .nn file.
llvm::Error error(const llvm::Twine &Message);

/// The message of a status the generated code returned.
std::string describeStatus(int64_t Status);

/// The bits of \p V as a scalar argument of kind \p K.
uint64_t scalarBits(double V, ElementKind K);
/// The loss a call wrote into \p Buf, an f32 or an f64.
double readLoss(const double *Buf, ElementKind K);
/// The value of the optimizer's hyper-parameter \p Name
/// (getHyperParameterNames) in a step at learning rate \p LR.
double getHyperParameter(const TrainOptions &O, llvm::StringRef Name,
                         double LR);

} // namespace nnc::train

#endif // NNC_LIB_TRAIN_MODEL_H
