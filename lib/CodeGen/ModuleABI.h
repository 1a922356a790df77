//===- ModuleABI.h - Everything a caller of a compiled module sees -*- C++
//-*-===//
//
// One description of a module's exported interface — each function's C
// parameters with their names and types, the instance and optimizer-state
// structs with their layouts, the parameter tables — from which the C
// header (HeaderEmitter.cpp), the signature JSON (SignatureEmitter.cpp) and
// the tables in the object file (ParamTables.cpp) are all printed, so none
// of them can disagree with another (docs/abi.md).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_MODULEABI_H
#define NNC_LIB_CODEGEN_MODULEABI_H

#include "TensorABI.h"
#include "nnc/CodeGen/CodeGen.h"
#include "nnc/Support/Optimizer.h"
#include <optional>

namespace nnc::codegen {

/// The statuses of the status ABI, as the header's macros name them.
struct StatusCode {
  const char *Name; // `NNC_ERR_SHAPE`
  int32_t Value;
  const char *Meaning;
};
llvm::ArrayRef<StatusCode> getStatusCodes();

/// The C type of an element (`float`, `int64_t`, `bool`).
const char *getCElementType(ElementKind K);

/// One C parameter of an exported function, in order.
struct ABIParam {
  /// What it is. A scalar-ABI function has only Scalar inputs and Result
  /// out-pointers.
  EntryArg Arg;
  /// The name the header gives it: keywords escaped with `_`, repeats
  /// numbered.
  std::string CName;
  std::string CType; // `const float *`, `int64_t`, `net_params_t *`
  /// Tensor: the positions of its `int64_t` sizes in the parameter list;
  /// DimSize: the position of its tensor.
  std::vector<unsigned> Related;
};

/// What a train step adds to a function (docs/abi.md, "Train steps").
struct TrainStepInfo {
  Optimizer Opt = Optimizer::SGD;
  std::string State; // the state instance (`net.adam`); empty for sgd
  std::vector<std::string> HyperParameters;
};

struct ABIFunction {
  const ir::Function *F = nullptr;
  std::string Symbol;
  bool StatusABI = false;
  /// `int32_t` (the status), a scalar's C type, or `void`.
  std::string ReturnCType;
  std::vector<ABIParam> Params;
  /// The status ABI: `<symbol>_workspace_size` and the C names of its
  /// `int64_t` parameters, one per dimension variable.
  std::string WorkspaceSizeSymbol;
  std::vector<std::string> DimVars, DimVarCNames;
  /// The instance whose structs it takes or fills, and its name as a method
  /// of that instance (`net_forward` -> `forward`); empty for others.
  std::string Instance, Method;
  std::optional<TrainStepInfo> TrainStep;
};

/// A struct of the ABI: an instance's parameters (whose layout its
/// gradients share) or an optimizer's state.
struct ABIStruct {
  const ir::Module::Instance *Instance = nullptr;
  StructLayout Layout;
  /// The gradient struct's: the parameters without the state members.
  StructLayout GradsLayout;
  bool IsState = false;
  std::string CName;      // `net_params_t`, `net_adam_state_t`
  std::string GradsCName; // `net_grads_t`; empty for a state
  /// The symbols of a parameter struct's table and count
  /// (`net_params_table`, `net_params_count`); empty for a state.
  std::string TableSymbol, CountSymbol;
  /// A state: the instance it belongs to and its optimizer.
  std::string Of;
  Optimizer Opt = Optimizer::SGD;
};

struct ModuleABI {
  /// The module as code generation sees it (tensor calls inlined); the
  /// functions point into it.
  std::unique_ptr<ir::Module> Prepared;
  std::vector<ABIStruct> Structs;
  std::vector<ABIFunction> Functions;
  bool AnyStatusABI = false;
};

/// Describes the exported interface of \p M compiled with \p Opts; fails
/// (as an llvm::Error with the message the driver prints) on a function C
/// cannot declare, when \p ForHeader, or on inconsistent IR.
llvm::Expected<ModuleABI> describeModuleABI(const ir::Module &M,
                                            const CodeGenOptions &Opts,
                                            bool ForHeader);

/// Adds the parameter tables of every struct of \p ABI to \p LM
/// (docs/abi.md, "Parameter tables").
llvm::Error emitParamTables(const ModuleABI &ABI, llvm::Module &LM);

} // namespace nnc::codegen

#endif
