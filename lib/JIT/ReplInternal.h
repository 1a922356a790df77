//===- ReplInternal.h - What the REPL's command files share -----*- C++ -*-===//
//
// Helpers of the REPL's commands that both files call; not part of the
// library's interface.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_JIT_REPLINTERNAL_H
#define NNC_LIB_JIT_REPLINTERNAL_H

#include "nnc/JIT/Session.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc::ast {
class Expr;
} // namespace nnc::ast

namespace nnc::jit {

/// Reports an error that has no place in the source, as nnc does.
void reportError(llvm::raw_ostream &Err, llvm::Error E);

/// Whether \p E names a function rather than computing a value: a function
/// of the session, a method of an instance (`net.loss`, not a parameter
/// such as `net.fc1.W`), or a transform of one (`grad(f)`).
bool isFunctionValued(const ast::Expr &E, const Session &S);

/// The argument of a command without blanks and a trailing `;`.
Input stripArgument(Input Arg);

} // namespace nnc::jit

#endif // NNC_LIB_JIT_REPLINTERNAL_H
