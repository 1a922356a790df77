//===- OptimizerUpdate.cpp - A train step's update, gradients given -------===//
//
// train_step(net.loss, OPT) computes the gradients and applies the update in
// one function. Data-parallel training (lib/Train/Distributed.cpp) needs the
// two apart: each process computes its shard's gradients, the processes sum
// them, and only then is the update applied. This builds that second half
// from the same emitOptimizerUpdate as train_step, so the optimizer stays
// generated code, updated in place through the same parameter and state
// structs, with the same hyper-parameters last.
//
//===----------------------------------------------------------------------===//
#include "Adjoints.h"
#include "nnc/AD/AD.h"

using namespace nnc;
using namespace nnc::ir;

static llvm::Error updateError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "internal error: " + Message.str());
}

llvm::Expected<Function *>
nnc::buildOptimizerUpdate(Module &M, llvm::StringRef Instance, Optimizer O,
                          ElementKind HyperKind, llvm::StringRef Name) {
  const Module::Instance *NetPtr = M.lookupInstance(Instance);
  if (!NetPtr || NetPtr->IsState || NetPtr->Params.empty())
    return updateError("no parameters of instance '" + Instance + "'");
  if (M.lookup(Name))
    return updateError("'" + Name + "' is defined already");
  // Copies: adding an instance or a function may move both.
  const Module::Instance Net = *NetPtr;
  Module::Instance State = Module::makeOptimizerState(Net, O);
  if (!State.Params.empty() && !M.lookupInstance(State.Name))
    M.Instances.push_back(State);

  Function &F = M.addFunction(Name.str());
  F.Exported = true;
  F.InPlace = true;
  Builder B(F);
  unsigned NP = Net.Params.size(), NS = State.Params.size();
  std::vector<ValueId> Params, StateIn, Grads, Hyper;
  for (const auto &[PName, Ty] : Net.Params)
    Params.push_back(B.param(Ty, PName));
  F.ParamStruct = {0, NP, Net.Name, false};
  for (const auto &[SName, Ty] : State.Params)
    StateIn.push_back(B.param(Ty, SName));
  if (NS)
    F.StateStruct = {NP, NS, State.Name, false};
  for (const auto &[PName, Ty] : Net.Params)
    Grads.push_back(B.param(Ty, "d" + PName));
  // In-place results start with the loss (Function::InPlace): the caller
  // passes the step's loss, which it knows, and gets it back, so that this
  // function has a train step's layout and ABI.
  Type Scalar = Type::scalar(HyperKind);
  ValueId Loss = B.param(Scalar, "loss");
  for (const std::string &H : getHyperParameterNames(O))
    Hyper.push_back(B.param(Scalar, H));

  std::vector<ValueId> Leaves = {Loss};
  F.ResultNames.push_back("loss");
  for (ValueId V :
       ad::emitOptimizerUpdate(B, O, Params, Grads, StateIn, Hyper))
    Leaves.push_back(V);
  for (ValueId P : Params)
    F.ResultNames.push_back(F.op(P).Name);
  for (ValueId S : StateIn)
    F.ResultNames.push_back(F.op(S).Name);
  ValueId Result = B.tuple(Leaves);
  F.ResultType = F.typeOf(Result);
  B.ret(Result);
  std::string Why = verifyFunction(F, &M);
  if (!Why.empty())
    return updateError(Why);
  return &F;
}
