//===- ModuleABI.cpp - Everything a caller of a compiled module sees ------===//
#include "ModuleABI.h"
#include "nnc/Support/ReservedNames.h"
#include "llvm/ADT/StringSet.h"

using namespace nnc;
using namespace nnc::codegen;

llvm::ArrayRef<StatusCode> codegen::getStatusCodes() {
  static const StatusCode Codes[] = {
      {"NNC_OK", StatusOK, "success"},
      {"NNC_ERR_SHAPE", StatusShape,
       "dimensions disagree, are negative, or a size overflows"},
      {"NNC_ERR_INDEX", StatusIndex, "a label or an index is out of range"},
      {"NNC_ERR_NOMEM", StatusNoMem, "the workspace could not be allocated"},
      {"NNC_ERR_ARG", StatusArg,
       "--abi-checks: a null or overlapping pointer, or a small workspace"},
  };
  return Codes;
}

const char *codegen::getCElementType(ElementKind K) {
  switch (K) {
  case ElementKind::Bool:
    return "bool";
  case ElementKind::I32:
    return "int32_t";
  case ElementKind::I64:
    return "int64_t";
  case ElementKind::F32:
    return "float";
  case ElementKind::F64:
    return "double";
  }
  return "void";
}

namespace {

/// Parameter names of one declaration: C-reserved names get a `_`, and a
/// repeated name a number.
class ParamNamer {
public:
  std::string operator()(std::string N) {
    if (isReservedInHeader(N))
      N += '_';
    std::string Base = N;
    for (unsigned I = 1; Used.contains(N); ++I)
      N = Base + "_" + std::to_string(I);
    Used.insert(N);
    return N;
  }

private:
  llvm::StringSet<> Used;
};

llvm::Error internalError(const ir::Function &F, const llvm::Twine &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "internal error: @" + F.Name + ": " + Msg);
}

} // namespace

/// The C parameters of a status-ABI function, named as the header names
/// them.
static std::vector<ABIParam> statusParams(const ir::Function &F,
                                          const CodeGenOptions &Opts) {
  ParamNamer Unique;
  std::vector<ABIParam> Params;
  std::string LastTensor;
  unsigned LastTensorPos = 0;
  for (const EntryArg &A : getEntryArgs(F, Opts.ABIChecks)) {
    ABIParam P;
    P.Arg = A;
    std::string T = A.Ty.isLeaf() ? getCElementType(A.Ty.getElementKind()) : "";
    const std::string &Pfx = Opts.SymbolPrefix;
    switch (A.K) {
    case EntryArg::Kind::Scalar:
      P.CType = T;
      P.CName = Unique(A.Name);
      break;
    case EntryArg::Kind::Tensor:
      P.CType = "const " + T + " *";
      P.CName = LastTensor = Unique(A.Name);
      LastTensorPos = Params.size();
      break;
    case EntryArg::Kind::DimSize:
      P.CType = "int64_t";
      P.CName = Unique(LastTensor + "_d" + std::to_string(A.Axis));
      P.Related = {LastTensorPos};
      Params[LastTensorPos].Related.push_back(Params.size());
      break;
    case EntryArg::Kind::ParamStruct:
      P.CType = (A.InPlace ? "" : "const ") +
                paramsStructName(Pfx, A.Instance) + " *";
      P.CName = Unique(A.Name);
      break;
    case EntryArg::Kind::StateStruct:
      P.CType = stateStructName(Pfx, A.Instance) + " *";
      P.CName = Unique(A.Name);
      break;
    case EntryArg::Kind::Result:
      P.CType = T + " *";
      P.CName = Unique(A.Name);
      break;
    case EntryArg::Kind::ResultStruct:
      P.CType = (A.IsGrads ? gradsStructName(Pfx, A.Instance)
                           : paramsStructName(Pfx, A.Instance)) +
                " *";
      P.CName = Unique(A.Name);
      break;
    case EntryArg::Kind::Workspace:
      P.CType = "void *";
      P.CName = Unique(A.Name);
      break;
    case EntryArg::Kind::WorkspaceSize:
      P.CType = "int64_t";
      P.CName = Unique(A.Name);
      break;
    }
    Params.push_back(std::move(P));
  }
  return Params;
}

/// The C parameters of a scalar-ABI function: its inputs by value, then an
/// out-pointer per leaf of a tuple result.
static std::vector<ABIParam> scalarParams(const ir::Function &F) {
  ParamNamer Unique;
  std::vector<ABIParam> Params;
  for (unsigned I = 0; I < F.getNumParams(); ++I) {
    ABIParam P;
    P.Arg.K = EntryArg::Kind::Scalar;
    P.Arg.Name = F.getParamName(I).str();
    P.Arg.Index = I;
    P.Arg.Ty = F.getParamType(I);
    P.CType = getCElementType(P.Arg.Ty.getElementKind());
    P.CName = Unique(P.Arg.Name);
    Params.push_back(std::move(P));
  }
  if (F.ResultType.isLeaf())
    return Params;
  std::vector<ir::Type> Leaves = flattenLeaves(F.ResultType);
  std::vector<std::string> Names = getResultNames(F);
  for (unsigned I = 0; I < Leaves.size(); ++I) {
    ABIParam P;
    P.Arg.K = EntryArg::Kind::Result;
    P.Arg.Name = Names[I];
    P.Arg.Index = I;
    P.Arg.Ty = Leaves[I];
    P.CType = std::string(getCElementType(Leaves[I].getElementKind())) + " *";
    P.CName = Unique(Names[I]);
    Params.push_back(std::move(P));
  }
  return Params;
}

/// A train step's optimizer, from its state struct (`net.adam`,
/// ir::Module::makeOptimizerState) or, without one, sgd; its
/// hyper-parameters are its last parameters.
static llvm::Expected<TrainStepInfo> describeTrainStep(const ir::Function &F) {
  TrainStepInfo T;
  if (F.StateStruct.Count) {
    T.State = F.StateStruct.Instance;
    std::optional<Optimizer> O =
        lookupOptimizer(llvm::StringRef(T.State).rsplit('.').second);
    if (!O)
      return internalError(F, "the state '" + T.State + "' names no optimizer");
    T.Opt = *O;
  }
  T.HyperParameters = getHyperParameterNames(T.Opt);
  unsigned N = F.getNumParams(), H = T.HyperParameters.size();
  for (unsigned I = 0; I < H; ++I)
    if (N < H || F.getParamName(N - H + I) != T.HyperParameters[I])
      return internalError(F, "a train step without its hyper-parameter '" +
                                  T.HyperParameters[I] + "'");
  return T;
}

static void addStructs(const ir::Module &M, const CodeGenOptions &Opts,
                       ModuleABI &ABI) {
  const std::string &Pfx = Opts.SymbolPrefix;
  for (const ir::Module::Instance &I : M.Instances) {
    if (I.Params.empty())
      continue; // C has no empty structs; nothing passes one
    ABIStruct S;
    S.Instance = &I;
    S.Layout = layoutInstance(I);
    for (StructField &F : S.Layout.Fields)
      if (isReservedInHeader(F.CName))
        F.CName += '_'; // as parameters are
    S.GradsLayout = layoutGrads(I);
    for (StructField &F : S.GradsLayout.Fields)
      if (isReservedInHeader(F.CName))
        F.CName += '_';
    S.IsState = I.IsState;
    if (I.IsState) {
      S.CName = stateStructName(Pfx, I.Name);
      auto [Of, OptName] = llvm::StringRef(I.Name).rsplit('.');
      S.Of = Of.str();
      if (std::optional<Optimizer> O = lookupOptimizer(OptName))
        S.Opt = *O;
    } else {
      S.CName = paramsStructName(Pfx, I.Name);
      S.GradsCName = gradsStructName(Pfx, I.Name);
    }
    if (!I.IsState) {
      // `net_params_t` -> `net_params_table`, `net_params_count`.
      std::string Stem = llvm::StringRef(S.CName).drop_back(2).str();
      S.TableSymbol = Stem + "_table";
      S.CountSymbol = Stem + "_count";
    }
    ABI.Structs.push_back(std::move(S));
  }
}

llvm::Expected<ModuleABI> codegen::describeModuleABI(const ir::Module &Original,
                                                     const CodeGenOptions &Opts,
                                                     bool ForHeader) {
  // The module the code is generated from: which functions use the status
  // ABI is decided after tensor calls are inlined.
  auto Prepared = prepareForCodeGen(Original);
  if (!Prepared)
    return Prepared.takeError();
  ModuleABI ABI;
  ABI.Prepared = std::move(*Prepared);
  const ir::Module &M = *ABI.Prepared;
  addStructs(M, Opts, ABI);
  llvm::StringSet<> Symbols;
  for (const auto &F : M.Functions)
    if (F->Exported)
      Symbols.insert(Opts.SymbolPrefix + F->Name);
  for (const ABIStruct &S : ABI.Structs)
    for (const std::string &T : {S.TableSymbol, S.CountSymbol})
      if (!T.empty() && Symbols.contains(T))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "function '" + T.substr(Opts.SymbolPrefix.size()) +
                "' has the name of the parameter table of '" +
                S.Instance->Name + "'; rename it or the instance");
  for (const auto &FP : M.Functions) {
    const ir::Function &F = *FP;
    if (!F.Exported)
      continue;
    ABIFunction AF;
    AF.F = &F;
    AF.Symbol = Opts.SymbolPrefix + F.Name;
    if (ForHeader && isReservedInHeader(AF.Symbol))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "function '" + F.Name +
              "' cannot be declared in a C header (a C keyword, macro or "
              "reserved name); rename it or use --prefix");
    AF.StatusABI = usesStatusABI(F);
    ABI.AnyStatusABI |= AF.StatusABI;
    if (AF.StatusABI) {
      AF.ReturnCType = "int32_t";
      AF.Params = statusParams(F, Opts);
      AF.WorkspaceSizeSymbol = workspaceSizeSymbol(Opts.SymbolPrefix, F);
      AF.DimVars = F.getDimVars();
      for (const std::string &V : AF.DimVars)
        AF.DimVarCNames.push_back(isReservedInHeader(V) ? V + "_" : V);
    } else {
      AF.ReturnCType = F.ResultType.isLeaf()
                           ? getCElementType(F.ResultType.getElementKind())
                           : "void";
      AF.Params = scalarParams(F);
    }
    AF.Instance = F.ParamStruct.Count    ? F.ParamStruct.Instance
                  : F.ResultStruct.Count ? F.ResultStruct.Instance
                                         : "";
    if (!AF.Instance.empty()) {
      llvm::StringRef Method(F.Name);
      if (!Method.consume_front(cIdentifier(AF.Instance) + "_"))
        Method = F.Name;
      AF.Method = Method.str();
    }
    if (F.isTrainStep()) {
      auto T = describeTrainStep(F);
      if (!T)
        return T.takeError();
      AF.TrainStep = std::move(*T);
    }
    ABI.Functions.push_back(std::move(AF));
  }
  return ABI;
}
