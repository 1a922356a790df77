//===- Adjoints.h - The adjoint table of a backward sweep -------*- C++ -*-===//
#ifndef NNC_LIB_AD_ADJOINTS_H
#define NNC_LIB_AD_ADJOINTS_H

#include "nnc/IR/IR.h"
#include <optional>
#include <vector>

namespace nnc::ad {

using ir::ValueId;

/// Adjoints of the forward values, indexed by value id. A value that fans
/// out receives one contribution per use; they are summed as they arrive.
class Adjoints {
public:
  Adjoints(ir::Builder &B, std::vector<bool> Active)
      : B(B), Active(std::move(Active)), Adj(this->Active.size()),
        ElementAdj(this->Active.size()) {}

  bool isActive(ValueId V) const { return V < Active.size() && Active[V]; }
  std::optional<ValueId> get(ValueId V) const { return Adj[V]; }

  /// Adds \p G to the adjoint of \p V (if V depends on what we
  /// differentiate with respect to). A tuple's adjoint is kept per element.
  void accumulate(ValueId V, ValueId G);
  /// Adds \p G to the adjoint of element \p I of tuple value \p V.
  void accumulateElement(ValueId V, unsigned I, ValueId G);
  /// The adjoint of tuple value \p V as one value, zeros where no
  /// contribution arrived. Empty if nothing arrived at all.
  std::optional<ValueId> getTuple(ValueId V);
  /// The adjoint of element \p I of tuple value \p V, if any arrived.
  std::optional<ValueId> getElement(ValueId V, unsigned I) const {
    const auto &Elts = ElementAdj[V];
    return I < Elts.size() ? Elts[I] : std::nullopt;
  }

  ir::Builder &builder() { return B; }

private:
  ir::Builder &B;
  std::vector<bool> Active;
  std::vector<std::optional<ValueId>> Adj;
  std::vector<std::vector<std::optional<ValueId>>> ElementAdj;
};

/// Emits the vector-Jacobian product of forward op \p V given its adjoint
/// \p G, accumulating into the adjoints of its operands. False when the op
/// has no rule (a call that should have been expanded).
bool emitVJP(const ir::Module &M, ValueId V, ValueId G, Adjoints &A);

/// The rules of the tensor ops (broadcast, reductions, matmul, ...), for
/// emitVJP. False when \p V is not one of them.
bool emitTensorVJP(ValueId V, ValueId G, Adjoints &A);

/// Convolution and pooling (issue 12): the rules of conv2d, the pools and
/// their gradient ops (ConvRules.cpp).
bool emitWindowVJP(ValueId V, ValueId G, Adjoints &A);

/// Zero of a scalar, tensor or tuple type: the adjoint of a value nothing
/// flows to. A tensor zero is a broadcast scalar 0.
ValueId zeroOf(ir::Builder &B, const ir::Type &T);

/// Copies \p Callee's ops into \p B with parameters mapped to \p Args,
/// expanding calls to functions without a backward rule, so the sweep sees
/// elementary ops and the calls whose rule the user wrote (ir::inlineCall,
/// the copier the inliner and code generation use too).
ValueId cloneExpanded(const ir::Module &M, ir::Builder &B,
                      const ir::Function &Callee,
                      llvm::ArrayRef<ValueId> Args);

/// Appends optimizer \p O's update (TrainStep.cpp) of \p Params given their
/// \p Grads, the optimizer state (the fields of Module::makeOptimizerState)
/// and the hyper-parameters (getHyperParameterNames); returns the new
/// parameters followed by the new state.
std::vector<ValueId> emitOptimizerUpdate(ir::Builder &B, ir::Optimizer O,
                                         llvm::ArrayRef<ValueId> Params,
                                         llvm::ArrayRef<ValueId> Grads,
                                         llvm::ArrayRef<ValueId> State,
                                         llvm::ArrayRef<ValueId> Hyper);

} // namespace nnc::ad

#endif
