//===- HeaderEmitter.cpp - The C header of a compiled module --------------===//
//
// The header is valid C99 and C++: fixed-width types, `bool` from
// <stdbool.h>, and an extern "C" block.
//
//===----------------------------------------------------------------------===//
#include "nnc/Support/ReservedNames.h"
#include "TensorABI.h"
#include "nnc/CodeGen/CodeGen.h"
#include "llvm/ADT/StringSet.h"

using namespace nnc;

static const char *cType(ElementKind K) {
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

/// The status codes, guarded so that several generated headers can be
/// included together.
static void emitStatusMacros(llvm::raw_ostream &OS) {
  struct {
    const char *Name;
    int Value;
    const char *Meaning;
  } Codes[] = {
      {"NNC_OK", codegen::StatusOK, "success"},
      {"NNC_ERR_SHAPE", codegen::StatusShape,
       "dimensions disagree, are negative, or a size overflows"},
      {"NNC_ERR_INDEX", codegen::StatusIndex, "a label is out of range"},
      {"NNC_ERR_NOMEM", codegen::StatusNoMem,
       "the workspace could not be allocated"},
      {"NNC_ERR_ARG", codegen::StatusArg,
       "--abi-checks: a null or overlapping pointer, or a small workspace"},
  };
  OS << "\n/* Status codes of functions that take or compute tensors. */\n";
  for (const auto &C : Codes)
    OS << "#ifndef " << C.Name << "\n#define " << C.Name << " " << C.Value
       << " /* " << C.Meaning << " */\n#endif\n";
}

static std::string fieldDeclaration(const codegen::StructField &F) {
  std::string Name = F.CName;
  if (codegen::isReservedInHeader(Name))
    Name += '_';
  std::string D = std::string(cType(F.Ty.getElementKind())) + " " + Name;
  if (F.Ty.isTensor()) {
    D += "[";
    for (unsigned I = 0; I < F.Ty.getRank(); ++I)
      D += (I ? " * " : "") + F.Ty.getShape()[I].str();
    D += "]";
  }
  return D + ";";
}

/// The parameter and gradient structs of each layer instance: the same
/// fields, in the instance's order, laid out as C lays them out.
static void emitInstanceStructs(const ir::Module &M, const CodeGenOptions &Opts,
                                llvm::raw_ostream &OS) {
  for (const ir::Module::Instance &I : M.Instances) {
    if (I.Params.empty())
      continue; // C has no empty structs; nothing passes one
    codegen::StructLayout L = codegen::layoutInstance(I);
    if (I.IsState) {
      std::string N = codegen::stateStructName(Opts.SymbolPrefix, I.Name);
      OS << "\n/* The optimizer state of '" << I.Name << "' (" << L.Size
         << " bytes), updated in place by its train steps.\n"
         << "   Start from all zeros (t = 0): memset(&state, 0, sizeof state). "
            "*/\n"
         << "typedef struct " << N << " {\n";
      for (const codegen::StructField &F : L.Fields)
        OS << "  " << fieldDeclaration(F) << "\n";
      OS << "} " << N << ";\n#ifdef __cplusplus\nstatic_assert(sizeof(" << N
         << ") == " << L.Size << ", \"" << N << " has nnc's layout\");\n"
         << "#endif\n";
      continue;
    }
    std::string Names[] = {codegen::paramsStructName(Opts.SymbolPrefix, I.Name),
                           codegen::gradsStructName(Opts.SymbolPrefix, I.Name)};
    OS << "\n/* The parameters of '" << I.Name
       << "' and their gradients: " << L.Size << " bytes each. */\n";
    for (const std::string &N : Names) {
      OS << "typedef struct " << N << " {\n";
      for (const codegen::StructField &F : L.Fields)
        OS << "  " << fieldDeclaration(F) << "\n";
      OS << "} " << N << ";\n";
    }
    OS << "#ifdef __cplusplus\n";
    for (const std::string &N : Names)
      OS << "static_assert(sizeof(" << N << ") == " << L.Size << ", \"" << N
         << " has nnc's layout\");\n";
    OS << "#endif\n";
  }
}

/// Parameter names of one declaration: C-reserved names get a `_`, and a
/// repeated name a number.
class ParamNamer {
public:
  std::string operator()(std::string N) {
    if (codegen::isReservedInHeader(N))
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

/// The declarations of a status-ABI function and its workspace size.
static std::string statusDeclaration(const ir::Function &F,
                                     const CodeGenOptions &Opts,
                                     const std::string &Symbol) {
  ParamNamer Unique;
  std::string Params;
  std::string LastTensor;
  for (const codegen::EntryArg &A : codegen::getEntryArgs(F, Opts.ABIChecks)) {
    if (!Params.empty())
      Params += ", ";
    const char *T = A.Ty.isLeaf() ? cType(A.Ty.getElementKind()) : "";
    switch (A.K) {
    case codegen::EntryArg::Kind::Scalar:
      Params += std::string(T) + " " + Unique(A.Name);
      break;
    case codegen::EntryArg::Kind::Tensor:
      LastTensor = Unique(A.Name);
      Params += "const " + std::string(T) + " *" + LastTensor;
      break;
    case codegen::EntryArg::Kind::DimSize:
      Params += "int64_t " + Unique(LastTensor + "_d" + std::to_string(A.Axis));
      break;
    case codegen::EntryArg::Kind::ParamStruct:
      Params += (A.InPlace ? "" : "const ") +
                codegen::paramsStructName(Opts.SymbolPrefix, A.Instance) +
                " *" + Unique(A.Name);
      break;
    case codegen::EntryArg::Kind::StateStruct:
      Params += codegen::stateStructName(Opts.SymbolPrefix, A.Instance) +
                " *" + Unique(A.Name);
      break;
    case codegen::EntryArg::Kind::Result:
      Params += std::string(T) + " *" + Unique(A.Name);
      break;
    case codegen::EntryArg::Kind::ResultStruct:
      Params +=
          (A.IsGrads
               ? codegen::gradsStructName(Opts.SymbolPrefix, A.Instance)
               : codegen::paramsStructName(Opts.SymbolPrefix, A.Instance)) +
          " *" + Unique(A.Name);
      break;
    case codegen::EntryArg::Kind::Workspace:
      Params += "void *" + Unique(A.Name);
      break;
    case codegen::EntryArg::Kind::WorkspaceSize:
      Params += "int64_t " + Unique(A.Name);
      break;
    }
  }
  std::string Vars;
  for (const std::string &V : F.getDimVars())
    Vars += (Vars.empty() ? "int64_t " : ", int64_t ") +
            (codegen::isReservedInHeader(V) ? V + "_" : V);
  return "int32_t " + Symbol + "(" + Params + ");\nint64_t " +
         codegen::workspaceSizeSymbol(Opts.SymbolPrefix, F) + "(" +
         (Vars.empty() ? "void" : Vars) + ");\n";
}

llvm::Error nnc::emitCHeader(const ir::Module &Original,
                             const CodeGenOptions &Opts,
                             llvm::StringRef SourceName,
                             llvm::raw_ostream &OS) {
  // The same module the code is generated from: which functions use the
  // status ABI is decided after tensor calls are inlined.
  auto Prepared = codegen::prepareForCodeGen(Original);
  if (!Prepared)
    return Prepared.takeError();
  const ir::Module &M = **Prepared;
  std::string Guard = "NNC_GENERATED_";
  for (char C : SourceName)
    Guard +=
        std::isalnum(static_cast<unsigned char>(C))
            ? static_cast<char>(std::toupper(static_cast<unsigned char>(C)))
            : '_';
  Guard += "_H";
  OS << "/* Generated by nnc from " << SourceName << ". Do not edit.\n"
     << "   A function returning several values writes them through the\n"
     << "   pointers that follow its inputs (docs/abi.md). */\n"
     << "#ifndef " << Guard << "\n#define " << Guard << "\n\n"
     << "#include <stdbool.h>\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n";
  bool AnyStatus = false;
  for (const auto &F : M.Functions)
    AnyStatus |= F->Exported && codegen::usesStatusABI(*F);
  if (AnyStatus)
    emitStatusMacros(OS);
  emitInstanceStructs(M, Opts, OS);
  for (const auto &F : M.Functions) {
    if (!F->Exported)
      continue;
    std::string Symbol = Opts.SymbolPrefix + F->Name;
    if (codegen::isReservedInHeader(Symbol))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "function '" + F->Name +
              "' cannot be declared in a C header (a C keyword, macro or "
              "reserved name); rename it or use --prefix");
    if (codegen::usesStatusABI(*F)) {
      OS << "\n" << statusDeclaration(*F, Opts, Symbol);
      continue;
    }
    ParamNamer Unique;
    std::string Params;
    for (unsigned I = 0; I < F->getNumParams(); ++I) {
      if (I)
        Params += ", ";
      Params += std::string(cType(F->getParamType(I).getElementKind())) + " " +
                Unique(F->getParamName(I).str());
    }
    const char *Ret = "void";
    if (F->ResultType.isLeaf()) {
      Ret = cType(F->ResultType.getElementKind());
    } else {
      std::vector<ir::Type> Leaves = codegen::flattenLeaves(F->ResultType);
      std::vector<std::string> Names = getResultNames(*F);
      for (size_t I = 0; I < Leaves.size(); ++I) {
        if (!Params.empty())
          Params += ", ";
        Params += std::string(cType(Leaves[I].getElementKind())) + " *" +
                  Unique(Names[I]);
      }
    }
    if (Params.empty())
      Params = "void";
    OS << "\n" << Ret << " " << Symbol << "(" << Params << ");\n";
  }
  OS << "\n#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n#endif /* "
     << Guard << " */\n";
  return llvm::Error::success();
}
