//===- GraphInternal.h - What lib/Graph's files share ----------*- C++ -*-===//
#ifndef NNC_LIB_GRAPH_GRAPHINTERNAL_H
#define NNC_LIB_GRAPH_GRAPHINTERNAL_H

#include "nnc/Graph/Graph.h"
#include "nnc/IR/IR.h"
#include <map>

namespace nnc::graph {

inline llvm::Error error(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// Sizes of dimension variables.
using Bindings = std::map<std::string, int64_t>;

/// The point a function is drawn at: each parameter's value as .nn
/// source (a literal), and the sizes of its dimension variables.
struct Point {
  std::vector<std::string> Args;
  Bindings Dims;
};

/// Gives every parameter of \p F (a method of \p Instance when that is not
/// empty, whose initializer in \p M is \p InitName) its value from \p Opts:
/// numbers, .npy files, randn, values given, the initializer's.
llvm::Expected<Point> bindParameters(const ir::Function &F,
                                     llvm::StringRef Instance,
                                     const ir::Module &M,
                                     const GraphOptions &Opts,
                                     jit::Engine &JIT,
                                     llvm::StringRef InitName);

/// How a callee is named in the picture: `fc1.forward` for the IR's
/// `net.fc1.forward`, `net.forward` for `net_forward`.
std::string displayName(llvm::StringRef IRName, llvm::StringRef Instance);

/// `f32[4,3]`.
std::string formatType(ElementKind K, llvm::ArrayRef<int64_t> Shape);
/// \p T with its dimensions' sizes (`(f64, f32[4,3])`).
std::string formatTupleType(const ir::Type &T, const Bindings &Dims);
/// The .nn source of zeros of type \p T.
std::string zeroText(const ir::Type &T, const Bindings &Dims);

} // namespace nnc::graph

#endif // NNC_LIB_GRAPH_GRAPHINTERNAL_H
