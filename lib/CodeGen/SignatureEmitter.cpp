//===- SignatureEmitter.cpp - The module's interface as JSON -------------===//
//
// `nnc --signature FILE` (docs/abi.md, "The signature file"): every
// exported function with its C parameters, every instance with its
// parameter struct, for bindings that call the library without parsing the
// C header (python/nnc). Printed from the same ModuleABI as the header.
//
//===----------------------------------------------------------------------===//
#include "ModuleABI.h"
#include "llvm/Support/JSON.h"

using namespace nnc;
using namespace nnc::codegen;

/// The version of the format: bumped when a field changes meaning or goes.
static constexpr int SignatureVersion = 1;

/// A dimension: its size, or the product that gives it (`B`, `2*n`).
static llvm::json::Value dimValue(const Dim &D) {
  if (D.isConstant())
    return D.Factor;
  return D.str();
}

static void shapeAttribute(llvm::json::OStream &J, const ir::Type &T) {
  J.attributeArray("shape", [&] {
    for (const Dim &D : T.getShape())
      J.value(dimValue(D));
  });
}

static llvm::StringRef argKind(const EntryArg &A) {
  switch (A.K) {
  case EntryArg::Kind::Scalar:
    return "scalar";
  case EntryArg::Kind::Tensor:
    return "tensor";
  case EntryArg::Kind::DimSize:
    return "size";
  case EntryArg::Kind::ParamStruct:
    return "params";
  case EntryArg::Kind::StateStruct:
    return "state";
  case EntryArg::Kind::Result:
    return "result";
  case EntryArg::Kind::ResultStruct:
    return A.IsGrads ? "grads" : "params_out";
  case EntryArg::Kind::Workspace:
    return "workspace";
  case EntryArg::Kind::WorkspaceSize:
    return "workspace_size";
  }
  return "?";
}

/// One argument, on one line.
static void emitParam(llvm::json::OStream &Outer, const ABIFunction &AF,
                      const ABIParam &P) {
  const EntryArg &A = P.Arg;
  Outer.rawValue([&](llvm::raw_ostream &OS) {
    llvm::json::OStream J(OS);
    J.object([&] {
      J.attribute("kind", argKind(A));
      J.attribute("c_name", P.CName);
      J.attribute("c_type", P.CType);
      switch (A.K) {
      case EntryArg::Kind::Scalar:
      case EntryArg::Kind::Tensor:
      case EntryArg::Kind::Result:
        J.attribute("name", A.Name);
        J.attribute("dtype", getElementKindName(A.Ty.getElementKind()));
        shapeAttribute(J, A.Ty);
        if (A.K == EntryArg::Kind::Tensor)
          J.attributeArray("size_args", [&] {
            for (unsigned R : P.Related)
              J.value(R);
          });
        break;
      case EntryArg::Kind::DimSize:
        J.attribute("tensor_arg", P.Related.front());
        J.attribute("axis", A.Axis);
        J.attribute("dim",
                    dimValue(AF.F->getParamType(A.Index).getShape()[A.Axis]));
        break;
      case EntryArg::Kind::ParamStruct:
      case EntryArg::Kind::ResultStruct:
        J.attribute("instance", A.Instance);
        J.attribute("in_place", A.InPlace);
        break;
      case EntryArg::Kind::StateStruct:
        J.attribute("state", A.Instance);
        J.attribute("in_place", A.InPlace);
        break;
      case EntryArg::Kind::Workspace:
      case EntryArg::Kind::WorkspaceSize:
        break;
      }
    });
  });
}

static void emitFunction(llvm::json::OStream &J, const ABIFunction &AF) {
  J.object([&] {
    J.attribute("name", AF.F->Name);
    J.attribute("symbol", AF.Symbol);
    J.attribute("abi", AF.StatusABI ? "status" : "scalar");
    J.attribute("c_return", AF.ReturnCType);
    if (!AF.StatusABI && AF.F->ResultType.isLeaf())
      J.attribute("returns",
                  getElementKindName(AF.F->ResultType.getElementKind()));
    if (!AF.Instance.empty()) {
      J.attribute("instance", AF.Instance);
      J.attribute("method", AF.Method);
    }
    J.attributeArray("args", [&] {
      for (const ABIParam &P : AF.Params)
        emitParam(J, AF, P);
    });
    if (AF.StatusABI) {
      J.attributeBegin("dim_vars");
      J.rawValue([&](llvm::raw_ostream &OS) {
        llvm::json::OStream L(OS);
        L.array([&] {
          for (const std::string &V : AF.DimVars)
            L.value(V);
        });
      });
      J.attributeEnd();
      J.attribute("workspace_size", AF.WorkspaceSizeSymbol);
    }
    if (AF.TrainStep)
      J.attributeObject("train_step", [&] {
        J.attribute("optimizer", getOptimizerName(AF.TrainStep->Opt));
        if (!AF.TrainStep->State.empty())
          J.attribute("state", AF.TrainStep->State);
        J.attributeBegin("hyper_parameters");
        J.rawValue([&](llvm::raw_ostream &OS) {
          llvm::json::OStream L(OS);
          L.array([&] {
            for (const std::string &H : AF.TrainStep->HyperParameters)
              L.value(H);
          });
        });
        J.attributeEnd();
      });
  });
}

static void emitStruct(llvm::json::OStream &J, const ABIStruct &S) {
  J.object([&] {
    J.attribute("name", S.Instance->Name);
    J.attribute("struct", S.CName);
    if (S.IsState) {
      J.attribute("instance", S.Of);
      J.attribute("optimizer", getOptimizerName(S.Opt));
    } else {
      J.attribute("grads_struct", S.GradsCName);
      if (!S.TableSymbol.empty()) {
        J.attribute("table", S.TableSymbol);
        J.attribute("count", S.CountSymbol);
      }
    }
    J.attribute("size", S.Layout.Size);
    // Layer state (issue 12): the fields after the parameters, which
    // the gradient struct does not have.
    if (!S.IsState && S.Instance->NumState) {
      J.attribute("grads_size", S.GradsLayout.Size);
      J.attribute("num_state", S.Instance->NumState);
    }
    unsigned NumParams = S.Instance->getNumParams();
    J.attributeArray("fields", [&] {
      for (size_t K = 0; K < S.Layout.Fields.size(); ++K)
        J.rawValue([&](llvm::raw_ostream &OS) {
          const StructField &F = S.Layout.Fields[K];
          llvm::json::OStream J(OS); // one field a line
          J.object([&] {
            if (!S.IsState && K >= NumParams)
              J.attribute("state", true);
            J.attribute("name", F.Name);
            J.attribute("c_name", F.CName);
            J.attribute("dtype", getElementKindName(F.Ty.getElementKind()));
            shapeAttribute(J, F.Ty);
            J.attribute("offset", F.Offset);
            J.attribute("bytes",
                        F.NumElements * getElementSize(F.Ty.getElementKind()));
          });
        });
    });
  });
}

llvm::Error nnc::emitSignature(const ir::Module &M, const CodeGenOptions &Opts,
                               llvm::StringRef SourceName,
                               llvm::raw_ostream &OS) {
  auto ABI = describeModuleABI(M, Opts, /*ForHeader=*/false);
  if (!ABI)
    return ABI.takeError();
  llvm::json::OStream J(OS, /*IndentSize=*/1);
  J.object([&] {
    J.attribute("nnc_abi", SignatureVersion);
    J.attribute("source", SourceName);
    J.attribute("prefix", Opts.SymbolPrefix);
    J.attribute("abi_checks", Opts.ABIChecks);
    J.attribute("param_tables", Opts.ParamTables);
    J.attributeObject("status_codes", [&] {
      for (const StatusCode &C : getStatusCodes())
        J.attribute(C.Name, C.Value);
    });
    J.attributeArray("functions", [&] {
      for (const ABIFunction &AF : ABI->Functions)
        emitFunction(J, AF);
    });
    J.attributeArray("instances", [&] {
      for (const ABIStruct &S : ABI->Structs)
        if (!S.IsState)
          emitStruct(J, S);
    });
    J.attributeArray("optimizer_states", [&] {
      for (const ABIStruct &S : ABI->Structs)
        if (S.IsState)
          emitStruct(J, S);
    });
  });
  OS << "\n";
  return llvm::Error::success();
}
