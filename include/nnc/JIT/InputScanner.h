//===- InputScanner.h - Where a REPL input ends, and what it is -*- C++ -*-===//
//
// The REPL reads lines until an input is complete, then decides what it
// holds. Both questions are answered by a light scan of the text (comments
// skipped, brackets counted), not by the parser: an incomplete input is not
// an error yet, it continues on the next line.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_JIT_INPUTSCANNER_H
#define NNC_JIT_INPUTSCANNER_H

#include "llvm/ADT/StringRef.h"

namespace nnc::jit {

enum class InputKind {
  Empty,       // only blanks and comments
  Command,     // `:name ...`
  Declaration, // starts with `fn`, `let` or `layer`
  Expression,  // anything else
};

InputKind classifyInput(llvm::StringRef Text);

/// False while \p Text cannot be a whole input: a bracket or a block
/// comment is open, or it ends with an operator, `=`, `,`, `->` or a keyword
/// that needs something after it. Unbalanced closing brackets make an input
/// complete (the parser reports them).
bool isInputComplete(llvm::StringRef Text);

/// Whether the last token of \p Text (comments skipped) is \p Token.
bool endsWithToken(llvm::StringRef Text, char Token);

} // namespace nnc::jit

#endif // NNC_JIT_INPUTSCANNER_H
