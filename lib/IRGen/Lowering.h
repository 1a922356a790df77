//===- Lowering.h - The AST-to-IR walk of lib/IRGen -------------*- C++ -*-===//
//
// Private to lib/IRGen: the class that lowers a module (IRGen.cpp says
// how), declared here for the files that hold its parts: IRGen.cpp (the
// module, layer instances, functions and named transforms), LowerExpr.cpp
// (expressions) and LowerCall.cpp (calls of built-ins, functions and
// methods).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_IRGEN_LOWERING_H
#define NNC_LIB_IRGEN_LOWERING_H

#include "nnc/AST/AST.h"
#include "nnc/IR/IR.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::irgen {

/// \p T in IR, its dimension variables replaced as \p Sub says.
ir::Type lowerType(const ast::Type &T, const DimSubstitution &Sub = {});

/// One layer instance or sub-instance: its sizes and its parameters.
struct InstanceNode {
  std::string Path; // "net", "net.fc1"
  const ast::LayerDecl *Layer = nullptr;
  DimSubstitution Sub;
  /// Flattened parameters, named relative to this node (`W`, `fc1.W`).
  std::vector<std::pair<std::string, ir::Type>> Params;
  /// By member index: a parameter's index in Params, or a sub-layer's
  /// node and the index of its first parameter.
  std::vector<int> ParamIndex;
  std::vector<std::unique_ptr<InstanceNode>> Children;
  std::vector<unsigned> ChildOffset;
  /// The `state` members, depth first, as Params (issue 12): by member
  /// index, a state's index in States or a sub-layer's first one.
  std::vector<std::pair<std::string, ir::Type>> States;
  std::vector<int> StateIndex;
  std::vector<unsigned> ChildStateOffset;
};

class Lowering {
public:
  explicit Lowering(const ast::Module &AM) : AM(AM) {}

  std::unique_ptr<ir::Module> run();

private:
  /// The IR name of the function \p Ref refers to, declaring it if needed.
  std::string nameOf(const ast::FunctionRef &Ref);

  //===--- Layer instances ---===//

  /// The C-visible name of a top-level instance's method, or the internal
  /// name of a sub-instance's.
  static std::string methodName(const InstanceNode &N, llvm::StringRef M);

  void lowerInstance(const ast::LetDecl &I);

  /// Lowers method \p M of instance node \p N once; returns its name.
  std::string methodFunction(InstanceNode &N, const ast::FnDecl &M);

  /// `<inst>_init(seed)`: every parameter of the instance, initialized.
  void lowerInit(InstanceNode &N, llvm::SMLoc Loc);

  void lowerInitValues(ir::Builder &B, InstanceNode &N, ir::ValueId Seed,
                       unsigned &Stream, std::vector<ir::ValueId> &Out,
                       ast::LayerMember::Kind Kind);

  std::string declareDerived(const ast::DerivedSpec &S,
                             llvm::StringRef Preferred, llvm::SMLoc Loc);

  static std::string kindName(ast::DeriveKind K);

  void lowerFunction(const ast::FnDecl &AF);

  void lowerBody(ir::Builder &B, const std::vector<ast::Stmt> &Body);

  ir::ValueId lower(ir::Builder &B, const ast::Expr &E);

  /// An element-wise op on operands broadcast to one shape.
  ir::ValueId elementwise(ir::Builder &B, ir::OpKind K, ir::ValueId L,
                          ir::ValueId R);

  ir::ValueId select(ir::Builder &B, ir::ValueId C, ir::ValueId T,
                     ir::ValueId E);

  ir::ValueId lowerTensorLiteral(ir::Builder &B, const ast::TensorLitExpr &E);

  /// Reduces \p X along \p Axis, or along every axis when it is -1.
  ir::ValueId reduceAll(ir::Builder &B, ir::OpKind K, ir::ValueId X, int Axis);

  /// The number of elements reduced, as a float of kind \p K.
  ir::ValueId countOf(ir::Builder &B, const ir::Type &T, int Axis,
                      ElementKind K);

  ir::ValueId lowerCall(ir::Builder &B, const ast::CallExpr &C);

  ir::ValueId lowerCallValue(ir::Builder &B, const ast::CallExpr &C);

  /// batch_norm (LowerState.h); the new running statistics go to the
  /// state members named by its second and third arguments.
  ir::ValueId lowerBatchNorm(ir::Builder &B, const ast::CallExpr &C,
                             llvm::ArrayRef<ir::ValueId> Args);

  ir::ValueId lowerDropout(ir::Builder &B, const ast::CallExpr &C,
                           ir::ValueId X);

  /// Element-wise ops and statistics (issue 12), whose named arguments are
  /// values (LowerStats.h); nothing for other calls.
  std::optional<ir::ValueId> lowerIssue12(ir::Builder &B,
                                          const ast::CallExpr &C);

  ir::ValueId lowerUserCall(ir::Builder &B, const ast::CallExpr &C,
                            std::vector<ir::ValueId> Args);

  /// Where names of the body being lowered point.
  struct Context {
    InstanceNode *Node = nullptr;
    /// The method's own parameters follow the instance's.
    unsigned NumStateParams = 0;
    DimSubstitution Sub;
    /// In a parameter initializer, randn() draws from Seed.
    ir::ValueId Seed = 0;
    unsigned Stream = 0;
    ir::Type InitType;
    /// In a method (issue 12): the current value of each state field of
    /// Node, and the `training` and `seed` parameters (when it has them).
    std::vector<ir::ValueId> State;
    ir::ValueId Training = 0, StepSeed = 0;
  };
  Context Ctx;

  const ast::Module &AM;
  std::unique_ptr<ir::Module> IRM;
  llvm::DenseMap<const ast::LetDecl *, InstanceNode *> Instances;
  std::vector<std::unique_ptr<InstanceNode>> Roots;
  llvm::StringSet<> Lowered;
  /// Methods that return (value, new state) (issue 12).
  llvm::StringSet<> ReturnsState;
  /// In nnc-repl's wrapper: the latest value of each parameter holding
  /// session state that a call updated.
  llvm::DenseMap<unsigned, ir::ValueId> SessionState;
  /// The stream of the next dropout site: one per site and instance node.
  unsigned NextDropoutStream = 1u << 20;
  std::vector<ir::ValueId> Locals;
  llvm::DenseMap<const ast::DerivedSpec *, std::string> DerivedNames;
  llvm::StringSet<> Taken;
};

} // namespace nnc::irgen

#endif // NNC_LIB_IRGEN_LOWERING_H
