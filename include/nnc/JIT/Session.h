//===- Session.h - What a REPL session has accepted -------------*- C++ -*-===//
//
// A session is source text: the declarations accepted so far, each with the
// place it was typed, in the order they were first defined. Every input is
// compiled together with them from scratch (nnc inlines every call, so an
// expression's code never depends on code compiled earlier), which is what
// makes a redefinition visible to every function that calls the old one,
// and what lets a failed input leave the session exactly as it was.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_JIT_SESSION_H
#define NNC_JIT_SESSION_H

#include "nnc/Support/ElementKind.h"
#include "llvm/ADT/StringRef.h"
#include <memory>
#include <string>
#include <vector>

namespace nnc::jit {

/// One input of the REPL: what the user typed (or a file), with the place
/// it came from, so diagnostics name that source and line.
struct Input {
  std::string Text;
  std::string SourceName = "<stdin>";
  /// The line of the source that Text's first line is.
  unsigned Line = 1;
};

/// A tensor or a scalar the session holds: a `let` value, or one parameter
/// of an instance. Its elements are laid out as docs/abi.md passes them
/// (row-major, a bool one byte), in 8-byte words so any element is aligned.
struct StoredTensor {
  /// The value's name, or the parameter's path in its instance (`fc1.W`).
  std::string Name;
  ElementKind Elem = ElementKind::F64;
  /// Empty for a scalar.
  std::vector<int64_t> Shape;
  std::vector<uint64_t> Words;

  StoredTensor() = default;
  StoredTensor(std::string Name, ElementKind Elem, std::vector<int64_t> Shape);
  int64_t getNumElements() const;
  size_t getByteSize() const;
  void *data() { return Words.data(); }
  const void *data() const { return Words.data(); }
  /// `f32[784, 100]`, `i64`: as the language writes the type.
  std::string getTypeString() const;
};

/// An accepted declaration.
struct SessionDecl {
  std::string Name;
  /// Its source text, preceded by blanks that keep its first column. Empty
  /// for a value.
  std::string Text;
  std::string SourceName;
  unsigned Line = 1;
  /// A top-level `let` of a value (`let x = randn(0, [4, 784])`): computed
  /// once, held in Data[0], and passed to every later expression. Not
  /// source: it joins no candidate as a declaration.
  bool IsValue = false;
  /// A value's tensor, or an instance's parameters in the order of its C
  /// struct (depth first). Shared, since outcomes and sessions copy
  /// declarations; replaced as a whole, never changed in place.
  std::shared_ptr<const std::vector<StoredTensor>> Data;
};

class Session {
public:
  const std::vector<SessionDecl> &getDecls() const { return Decls; }
  const SessionDecl *lookup(llvm::StringRef Name) const;
  std::vector<std::string> getNames() const;

  /// Adds \p New: a declaration named like one of the session replaces it
  /// in place, the others come last.
  void apply(const std::vector<SessionDecl> &New);
  void clear() {
    Decls.clear();
    setMode(false, 0);
  }

  /// The mode in which inputs call methods of layers that read `training`
  /// (batch_norm, dropout; issue 12), set by `:mode`: evaluation unless
  /// asked, and in training mode the dropout seed of the next expression.
  bool isTraining() const { return Training.Words[0] != 0; }
  int64_t getSeed() const { return static_cast<int64_t>(Seed.Words[0]); }
  void setMode(bool T, int64_t S) {
    Training.Words[0] = T;
    Seed.Words[0] = static_cast<uint64_t>(S);
  }
  /// The two as expressions' arguments (SessionArgs).
  const StoredTensor &getTrainingArg() const { return Training; }
  const StoredTensor &getSeedArg() const { return Seed; }

private:
  std::vector<SessionDecl> Decls;
  StoredTensor Training{".training", ElementKind::Bool, {}};
  StoredTensor Seed{".seed", ElementKind::I64, {}};
};

} // namespace nnc::jit

#endif // NNC_JIT_SESSION_H
