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

#include "llvm/ADT/StringRef.h"
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

/// An accepted declaration.
struct SessionDecl {
  std::string Name;
  /// Its source text, preceded by blanks that keep its first column.
  std::string Text;
  std::string SourceName;
  unsigned Line = 1;
};

class Session {
public:
  const std::vector<SessionDecl> &getDecls() const { return Decls; }
  const SessionDecl *lookup(llvm::StringRef Name) const;
  std::vector<std::string> getNames() const;

  /// Adds \p New: a declaration named like one of the session replaces it
  /// in place, the others come last.
  void apply(const std::vector<SessionDecl> &New);
  void clear() { Decls.clear(); }

private:
  std::vector<SessionDecl> Decls;
};

} // namespace nnc::jit

#endif // NNC_JIT_SESSION_H
