//===- TensorABI.cpp - The C signature of tensor functions ----------------===//
#include "TensorABI.h"
#include "nnc/CodeGen/CodeGen.h"
#include "ScalarOps.h"
#include "llvm/ADT/StringMap.h"

using namespace nnc;
using namespace nnc::codegen;
using ir::OpKind;

static bool hasTensor(const ir::Type &T) {
  for (const ir::Type &L : flattenLeaves(T))
    if (L.isTensor())
      return true;
  return false;
}

bool codegen::usesStatusABI(const ir::Function &F) {
  if (F.ParamStruct.Count || F.ResultStruct.Count)
    return true;
  for (const ir::Op &O : F.Ops)
    if (hasTensor(O.Ty))
      return true;
  return false;
}

namespace {

/// Inlines calls to status-ABI functions, callees first: whether a callee
/// uses the status ABI is known only once its own calls are inlined.
class TensorCallInliner {
public:
  explicit TensorCallInliner(ir::Module &M) : M(M) {
    for (unsigned I = 0; I < M.Functions.size(); ++I)
      Index.try_emplace(M.Functions[I]->Name, I);
    Visit.assign(M.Functions.size(), State::NotSeen);
  }
  void run() {
    for (unsigned I = 0; I < M.Functions.size(); ++I)
      process(I);
  }

private:
  enum class State { NotSeen, InProgress, Done };
  ir::Module &M;
  llvm::StringMap<unsigned> Index;
  std::vector<State> Visit;

  const ir::Function *calleeOf(const ir::Op &O) const {
    if (O.Kind != OpKind::Call)
      return nullptr;
    auto It = Index.find(O.Callee);
    return It == Index.end() ? nullptr : M.Functions[It->second].get();
  }

  bool shouldInline(const ir::Op &O) const {
    const ir::Function *G = calleeOf(O);
    // A callee still in progress is on a cycle (the front end rejects
    // recursion): it stays a call and the emitter reports it.
    return G && Visit[Index.find(G->Name)->second] == State::Done &&
           usesStatusABI(*G) && G->getNumParams() == O.Operands.size();
  }

  void process(unsigned FI) {
    if (Visit[FI] != State::NotSeen)
      return;
    Visit[FI] = State::InProgress;
    for (const ir::Op &O : M.Functions[FI]->Ops)
      if (const ir::Function *G = calleeOf(O))
        process(Index.find(G->Name)->second);
    ir::inlineCallsInto(*M.Functions[FI], [&](const ir::Op &Call) {
      return shouldInline(Call) ? calleeOf(Call) : nullptr;
    });
    Visit[FI] = State::Done;
  }
};

} // namespace

static llvm::Error structError(const ir::Function &F, const std::string &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "internal error: @" + F.Name + ": " + Msg);
}

/// The struct runs of \p F must match their instance field by field: the
/// IR verifier's check, here since code generation may get unverified IR.
static llvm::Error checkStructs(const ir::Module &M, const ir::Function &F) {
  std::string Err = ir::verifyABIStructs(F, M);
  if (Err.empty())
    return llvm::Error::success();
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "internal error: " + Err);
}

llvm::Expected<std::unique_ptr<ir::Module>>
codegen::prepareForCodeGen(const ir::Module &M) {
  auto Copy = std::make_unique<ir::Module>();
  Copy->Name = M.Name;
  Copy->Derived = M.Derived;
  Copy->Instances = M.Instances;
  for (const auto &F : M.Functions)
    Copy->Functions.push_back(std::make_unique<ir::Function>(*F));
  TensorCallInliner(*Copy).run();
  for (const auto &F : Copy->Functions) {
    if (llvm::Error E = checkStructs(*Copy, *F))
      return E;
    if (!usesStatusABI(*F))
      continue;
    for (const ir::Op &O : F->Ops)
      if (O.Kind == OpKind::Call)
        if (const ir::Function *G = Copy->lookup(O.Callee);
            G && usesStatusABI(*G))
          return structError(*F, "a call to @" + G->Name +
                                     ", a tensor function on a call cycle");
  }
  return Copy;
}

static EntryArg makeArg(EntryArg::Kind K, std::string Name) {
  EntryArg A;
  A.K = K;
  A.Name = std::move(Name);
  return A;
}

std::vector<EntryArg> codegen::getEntryArgs(const ir::Function &F,
                                            bool ABIChecks) {
  std::vector<EntryArg> Args;
  const ir::Function::ABIStruct &PS = F.ParamStruct, &RS = F.ResultStruct,
                                 &SS = F.StateStruct;
  for (unsigned I = 0; I < F.getNumParams(); ++I) {
    if (PS.Count && I >= PS.First && I < PS.First + PS.Count) {
      if (I == PS.First) {
        EntryArg A = makeArg(EntryArg::Kind::ParamStruct, "params");
        A.Instance = PS.Instance;
        A.InPlace = F.InPlace;
        Args.push_back(A);
      }
      continue;
    }
    if (SS.Count && I >= SS.First && I < SS.First + SS.Count) {
      if (I == SS.First) {
        EntryArg A = makeArg(EntryArg::Kind::StateStruct, "state");
        A.Instance = SS.Instance;
        A.InPlace = F.InPlace;
        Args.push_back(A);
      }
      continue;
    }
    const ir::Type &T = F.getParamType(I);
    EntryArg A =
        makeArg(T.isTensor() ? EntryArg::Kind::Tensor : EntryArg::Kind::Scalar,
                cIdentifier(F.getParamName(I)));
    A.Index = I;
    A.Ty = T;
    Args.push_back(A);
    for (unsigned Axis = 0; Axis < T.getRank(); ++Axis) {
      EntryArg D = makeArg(EntryArg::Kind::DimSize, A.Name);
      D.Index = I;
      D.Axis = Axis;
      Args.push_back(D);
    }
  }
  std::vector<ir::Type> Leaves = flattenLeaves(F.ResultType);
  std::vector<std::string> Names = F.ResultNames;
  if (Names.size() != Leaves.size()) {
    Names.clear();
    for (unsigned I = 0; I < Leaves.size(); ++I)
      Names.push_back("out" + std::to_string(I));
  }
  for (unsigned I = 0; I < Leaves.size(); ++I) {
    if (F.isUpdatedInPlace(I))
      continue; // written back through the parameter or state struct
    if (RS.Count && I >= RS.First && I < RS.First + RS.Count) {
      if (I == RS.First) {
        EntryArg A = makeArg(EntryArg::Kind::ResultStruct,
                             RS.IsGrads ? "grads" : "params_out");
        A.Instance = RS.Instance;
        A.IsGrads = RS.IsGrads;
        Args.push_back(A);
      }
      continue;
    }
    EntryArg A = makeArg(EntryArg::Kind::Result, cIdentifier(Names[I]));
    A.Index = I;
    A.Ty = Leaves[I];
    Args.push_back(A);
  }
  Args.push_back(makeArg(EntryArg::Kind::Workspace, "workspace"));
  if (ABIChecks)
    Args.push_back(makeArg(EntryArg::Kind::WorkspaceSize, "workspace_size"));
  return Args;
}

StructLayout codegen::layoutInstance(const ir::Module::Instance &I) {
  StructLayout L;
  uint64_t MaxAlign = 1;
  for (const auto &[Name, Ty] : I.Params) {
    StructField F;
    F.Name = Name;
    F.CName = cIdentifier(Name);
    F.Ty = Ty;
    F.NumElements = getNumElements(Ty.getShape()).Factor;
    uint64_t Align = getElementSize(Ty.getElementKind());
    MaxAlign = std::max(MaxAlign, Align);
    F.Offset = (L.Size + Align - 1) / Align * Align;
    L.Size = F.Offset + F.NumElements * Align;
    L.Fields.push_back(F);
  }
  L.Size = (L.Size + MaxAlign - 1) / MaxAlign * MaxAlign;
  return L;
}

StructLayout codegen::layoutGrads(const ir::Module::Instance &I) {
  ir::Module::Instance P = I;
  P.Params.resize(I.getNumParams());
  P.NumState = 0;
  return layoutInstance(P);
}

std::string codegen::cIdentifier(llvm::StringRef Name) {
  std::string S = Name.str();
  for (char &C : S)
    if (!std::isalnum(static_cast<unsigned char>(C)) && C != '_')
      C = '_';
  return S;
}

std::string codegen::paramsStructName(llvm::StringRef Prefix,
                                      llvm::StringRef Instance) {
  // `_t`: a derived function is often named `net_grads`, and a typedef
  // shares C's namespace of ordinary identifiers with functions.
  return Prefix.str() + cIdentifier(Instance) + "_params_t";
}

std::string codegen::gradsStructName(llvm::StringRef Prefix,
                                     llvm::StringRef Instance) {
  return Prefix.str() + cIdentifier(Instance) + "_grads_t";
}

std::string codegen::stateStructName(llvm::StringRef Prefix,
                                     llvm::StringRef State) {
  return Prefix.str() + cIdentifier(State) + "_state_t";
}

std::string codegen::workspaceSizeSymbol(llvm::StringRef Prefix,
                                         const ir::Function &F) {
  return (F.Exported ? Prefix.str() : std::string()) + F.Name +
         "_workspace_size";
}

bool nnc::hasStatusABI(const ir::Function &F) {
  return codegen::usesStatusABI(F);
}

std::string nnc::getWorkspaceSizeSymbol(const ir::Function &F,
                                        const CodeGenOptions &Opts) {
  return codegen::workspaceSizeSymbol(Opts.SymbolPrefix, F);
}
