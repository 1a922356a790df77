//===- TensorABI.h - The C signature of tensor functions --------*- C++ -*-===//
//
// One description of the status ABI (docs/abi.md, "Tensors") that both the
// LLVM emitter and the header emitter read, so the object file and the
// header cannot disagree.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_TENSORABI_H
#define NNC_LIB_CODEGEN_TENSORABI_H

#include "nnc/IR/IR.h"
#include "llvm/Support/Error.h"
#include <memory>
#include <string>
#include <vector>

namespace nnc::codegen {

/// The status codes a status-ABI function returns.
enum Status : int32_t {
  StatusOK = 0,
  StatusShape = 1,
  StatusIndex = 2,
  StatusNoMem = 3,
  StatusArg = 4, // --abi-checks: a null, overlapping or small buffer
};

/// Whether \p F uses the status ABI: a tensor anywhere (a parameter, a
/// result leaf, an op) or an ABI struct.
bool usesStatusABI(const ir::Function &F);

using ir::flattenLeaves;

/// A copy of \p M in which every call to a status-ABI function is inlined,
/// callees first, so code generation never lowers a tensor call; calls
/// between scalar functions stay calls. Checks the ABI structs.
llvm::Expected<std::unique_ptr<ir::Module>>
prepareForCodeGen(const ir::Module &M);

/// One argument of a status-ABI entry point, in C order.
struct EntryArg {
  enum class Kind {
    Scalar,       // an input scalar, by value
    Tensor,       // `const T *name`
    DimSize,      // `int64_t name_dK`, after its tensor
    ParamStruct,  // `const <inst>_params *params`
    Result,       // `T *name`: a scalar or tensor result leaf
    ResultStruct, // `<inst>_grads *grads` or `<inst>_params *params_out`
    StateStruct,  // `<inst>_<opt>_state_t *state`, updated in place
    Workspace,    // `void *workspace`
    WorkspaceSize, // `int64_t workspace_size`, with --abi-checks
  };
  Kind K = Kind::Scalar;
  std::string Name;     // the C name before keyword escaping
  unsigned Index = 0;   // Scalar, Tensor, DimSize: parameter; Result: leaf
  unsigned Axis = 0;    // DimSize
  ir::Type Ty;          // Scalar, Tensor, Result: the value's type
  std::string Instance; // the structs
  bool IsGrads = false; // ResultStruct
  /// ParamStruct, StateStruct: the function writes its new values back
  /// (a train step), so it is not `const`.
  bool InPlace = false;
};
/// The C parameters of \p F's entry point; \p ABIChecks adds the size of
/// the workspace after it.
std::vector<EntryArg> getEntryArgs(const ir::Function &F,
                                   bool ABIChecks = false);

/// A field of an instance struct: C's layout, each field at the next
/// offset aligned to its element size.
struct StructField {
  std::string Name; // the layer path: `fc1.W`
  std::string CName;
  ir::Type Ty;
  uint64_t Offset = 0;
  uint64_t NumElements = 1;
};
struct StructLayout {
  std::vector<StructField> Fields;
  uint64_t Size = 0;
};
StructLayout layoutInstance(const ir::Module::Instance &I);
/// The layout of an instance's gradient struct: its parameters' fields,
/// without the state members that follow them (issue 12).
StructLayout layoutGrads(const ir::Module::Instance &I);

/// `fc1.W` -> `fc1_W`: a C identifier for an instance or parameter name.
std::string cIdentifier(llvm::StringRef Name);
/// The C type names of an instance's structs (`net_params`, `net_grads`).
std::string paramsStructName(llvm::StringRef Prefix, llvm::StringRef Instance);
std::string gradsStructName(llvm::StringRef Prefix, llvm::StringRef Instance);
/// `net_adam_state_t`: the optimizer state struct named \p State
/// (`net.adam`, ir::Module::makeOptimizerState).
std::string stateStructName(llvm::StringRef Prefix, llvm::StringRef State);

/// The symbol of the workspace size function of \p F.
std::string workspaceSizeSymbol(llvm::StringRef Prefix, const ir::Function &F);

} // namespace nnc::codegen

#endif
