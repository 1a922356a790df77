//===- Distributed.h - Data-parallel training steps -------------*- C++ -*-===//
//
// Private to lib/Train. With TrainOptions::Distributed, every process of an
// MPI job trains the same model on its shard of each global batch: it
// calls `value_and_grad(net.loss, params)` on its samples, the processes
// sum the gradients (each weighted by its share of the batch, since the
// loss is a mean), and every process applies the same update, generated
// by AD (buildOptimizerUpdate) from the gradients given. The parameters
// thus stay equal on every process. docs/training.md, "Several processes
// or machines".
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_TRAIN_DISTRIBUTED_H
#define NNC_LIB_TRAIN_DISTRIBUTED_H

#include "Communicator.h"
#include "Model.h"
#include "nnc/JIT/Candidate.h"
#include <utility>
#include <vector>

namespace nnc::train {

class DataParallel {
public:
  /// The names of the two halves of the step in the compiled module
  /// (`__nnc_` names are reserved, as the fused step's is).
  static constexpr llvm::StringLiteral GradName = "__nnc_grad";
  static constexpr llvm::StringLiteral UpdateName = "__nnc_update";

  /// Trainer::create, before Sema: declares `__nnc_grad =
  /// value_and_grad(<Loss>, params)`. False after an error (reported).
  static bool declareGradient(jit::Candidate &C, llvm::StringRef Loss);
  /// Trainer::create, after AD and before optimization: adds the update.
  static llvm::Error addUpdate(ir::Module &M, const Trainer::Impl &I,
                               llvm::StringRef LossFn);
  /// Joins the MPI job (MPI_Init); an error without MPI.
  static llvm::Expected<std::unique_ptr<DataParallel>> create();

  unsigned getRank() const { return Comm.getRank(); }
  unsigned getSize() const { return Comm.getSize(); }
  bool isRoot() const { return Comm.isRoot(); }

  /// Trainer::fit, before the first step: refuses more processes than
  /// samples in a batch of \p BatchSize, and gives every process process
  /// 0's parameters (its init or checkpoint).
  llvm::Error start(Trainer::Impl &I, int64_t BatchSize);
  /// The samples [first, last) of a global batch of \p N that this process
  /// trains on: consecutive, their counts differing by at most one.
  std::pair<int64_t, int64_t> getShard(int64_t N) const;
  /// One step on this process's shard (\p X, \p Y, \p Local samples) of a
  /// global batch of \p Global: returns the global batch's mean loss.
  llvm::Expected<double> step(Trainer::Impl &I, const void *X, const void *Y,
                              int64_t Local, int64_t Global, double LR);
  /// Whether Ctrl-C reached any process before the last step: all stop
  /// after the same step.
  bool wasInterrupted() const { return Interrupted; }

private:
  explicit DataParallel(Communicator &C) : Comm(C) {}
  Communicator &Comm;
  /// The gradient struct, laid out as the parameter struct.
  Buffer Grads;
  Buffer Workspace;
  int64_t WorkspaceFor = -1;
  /// Runs of consecutive parameters of one type: one sum each.
  struct Run {
    uint64_t Offset, Count;
    data::DType Type;
  };
  std::vector<Run> Runs;
  bool Interrupted = false;
};

} // namespace nnc::train

#endif // NNC_LIB_TRAIN_DISTRIBUTED_H
