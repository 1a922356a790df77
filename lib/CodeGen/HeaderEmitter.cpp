//===- HeaderEmitter.cpp - The C header of a compiled module --------------===//
//
// The header is valid C99 and C++: fixed-width types, `bool` from
// <stdbool.h>, and an extern "C" block.
//
//===----------------------------------------------------------------------===//
#include "ModuleABI.h"
#include "nnc/CodeGen/CodeGen.h"
#include "llvm/ADT/STLExtras.h"

using namespace nnc;

/// The status codes, guarded so that several generated headers can be
/// included together.
static void emitStatusMacros(llvm::raw_ostream &OS) {
  OS << "\n/* Status codes of functions that take or compute tensors. */\n";
  for (const codegen::StatusCode &C : codegen::getStatusCodes())
    OS << "#ifndef " << C.Name << "\n#define " << C.Name << " " << C.Value
       << " /* " << C.Meaning << " */\n#endif\n";
}

static std::string fieldDeclaration(const codegen::StructField &F) {
  std::string D = std::string(codegen::getCElementType(F.Ty.getElementKind())) +
                  " " + F.CName;
  if (F.Ty.isTensor()) {
    D += "[";
    for (unsigned I = 0; I < F.Ty.getRank(); ++I)
      D += (I ? " * " : "") + F.Ty.getShape()[I].str();
    D += "]";
  }
  return D + ";";
}

/// The type of the parameter tables' rows, guarded like the status codes.
static void emitParamInfoType(llvm::raw_ostream &OS) {
  OS << "\n/* One row of an instance's parameter table (docs/abi.md). */\n"
     << "#ifndef NNC_PARAM_INFO_DEFINED\n#define NNC_PARAM_INFO_DEFINED\n"
     << "typedef struct nnc_param_info {\n"
     << "  const char *name;     /* the layer path: \"fc1.W\" */\n"
     << "  const char *dtype;    /* \"F32\", \"F64\", \"I32\", \"I64\" or "
        "\"BOOL\" */\n"
     << "  int64_t rank;         /* 0 for a scalar */\n"
     << "  const int64_t *shape; /* rank sizes */\n"
     << "  int64_t offset;       /* of the field in the struct, in bytes */\n"
     << "  int64_t size;         /* of the field, in bytes */\n"
     << "} nnc_param_info;\n#endif\n";
}

/// The parameter and gradient structs of each layer instance (the same
/// fields, in the instance's order, laid out as C lays them out) with the
/// parameter table, and the optimizer-state structs.
static void emitStruct(const codegen::ABIStruct &S, bool Tables,
                       llvm::raw_ostream &OS) {
  const codegen::StructLayout &L = S.Layout;
  const std::string &Inst = S.Instance->Name;
  if (S.IsState) {
    OS << "\n/* The optimizer state of '" << Inst << "' (" << L.Size
       << " bytes), updated in place by its train steps.\n"
       << "   Start from all zeros (t = 0): memset(&state, 0, sizeof state). "
          "*/\n"
       << "typedef struct " << S.CName << " {\n";
    for (const codegen::StructField &F : L.Fields)
      OS << "  " << fieldDeclaration(F) << "\n";
    OS << "} " << S.CName << ";\n#ifdef __cplusplus\nstatic_assert(sizeof("
       << S.CName << ") == " << L.Size << ", \"" << S.CName
       << " has nnc's layout\");\n"
       << "#endif\n";
    return;
  }
  const std::string *Names[] = {&S.CName, &S.GradsCName};
  const codegen::StructLayout *Layouts[] = {&L, &S.GradsLayout};
  if (S.Instance->NumState)
    OS << "\n/* The parameters of '" << Inst << "' (" << L.Size
       << " bytes), then its state members, which its methods that assign\n"
       << "   them update in place, and the parameters' gradients ("
       << S.GradsLayout.Size << " bytes). */\n";
  else
    OS << "\n/* The parameters of '" << Inst
       << "' and their gradients: " << L.Size << " bytes each. */\n";
  for (unsigned K = 0; K < 2; ++K) {
    OS << "typedef struct " << *Names[K] << " {\n";
    for (const codegen::StructField &F : Layouts[K]->Fields)
      OS << "  " << fieldDeclaration(F) << "\n";
    OS << "} " << *Names[K] << ";\n";
  }
  OS << "#ifdef __cplusplus\n";
  for (unsigned K = 0; K < 2; ++K)
    OS << "static_assert(sizeof(" << *Names[K] << ") == " << Layouts[K]->Size
       << ", \"" << *Names[K] << " has nnc's layout\");\n";
  OS << "#endif\n";
  if (!Tables)
    return;
  OS << "/* The fields of " << S.CName << ", in order: " << S.CountSymbol
     << " rows. */\n"
     << "extern const nnc_param_info " << S.TableSymbol << "[];\n"
     << "extern const int64_t " << S.CountSymbol << ";\n";
}

/// The declaration of \p AF, and of its workspace size for the status ABI.
static std::string declaration(const codegen::ABIFunction &AF) {
  std::string Params;
  for (const codegen::ABIParam &P : AF.Params) {
    if (!Params.empty())
      Params += ", ";
    llvm::StringRef T(P.CType);
    Params += P.CType + (T.ends_with("*") ? "" : " ") + P.CName;
  }
  if (Params.empty())
    Params = "void";
  std::string D = AF.ReturnCType + " " + AF.Symbol + "(" + Params + ");\n";
  if (!AF.StatusABI)
    return D;
  std::string Vars;
  for (const std::string &V : AF.DimVarCNames)
    Vars += (Vars.empty() ? "int64_t " : ", int64_t ") + V;
  return D + "int64_t " + AF.WorkspaceSizeSymbol + "(" +
         (Vars.empty() ? "void" : Vars) + ");\n";
}

llvm::Error nnc::emitCHeader(const ir::Module &Original,
                             const CodeGenOptions &Opts,
                             llvm::StringRef SourceName,
                             llvm::raw_ostream &OS) {
  auto ABI = codegen::describeModuleABI(Original, Opts, /*ForHeader=*/true);
  if (!ABI)
    return ABI.takeError();
  // The guard names the source and the symbols' prefix: the headers of
  // one .nn compiled with two prefixes (two builds of a model, say with
  // different --threads) are included side by side. The prefix keeps its
  // case, so that `m_` and `M_` differ.
  auto Mangle = [](llvm::StringRef Text, bool Upper) {
    std::string Out;
    for (char C : Text) {
      auto U = static_cast<unsigned char>(C);
      Out += !std::isalnum(U) ? '_' : Upper ? char(std::toupper(U)) : C;
    }
    return Out;
  };
  std::string Guard = "NNC_GENERATED_" + Mangle(SourceName, /*Upper=*/true);
  if (!Opts.SymbolPrefix.empty())
    Guard += "_PREFIX_" + Mangle(Opts.SymbolPrefix, /*Upper=*/false);
  Guard += "_H";
  OS << "/* Generated by nnc from " << SourceName << ". Do not edit.\n"
     << "   A function returning several values writes them through the\n"
     << "   pointers that follow its inputs (docs/abi.md). */\n"
     << "#ifndef " << Guard << "\n#define " << Guard << "\n\n"
     << "#include <stdbool.h>\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n";
  if (ABI->AnyStatusABI)
    emitStatusMacros(OS);
  if (Opts.ParamTables &&
      llvm::any_of(ABI->Structs,
                   [](const codegen::ABIStruct &S) { return !S.IsState; }))
    emitParamInfoType(OS);
  for (const codegen::ABIStruct &S : ABI->Structs)
    emitStruct(S, Opts.ParamTables, OS);
  for (const codegen::ABIFunction &AF : ABI->Functions)
    OS << "\n" << declaration(AF);
  OS << "\n#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n#endif /* "
     << Guard << " */\n";
  return llvm::Error::success();
}
