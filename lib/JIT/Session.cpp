//===- Session.cpp --------------------------------------------------------===//
#include "nnc/JIT/Session.h"

using namespace nnc::jit;

const SessionDecl *Session::lookup(llvm::StringRef Name) const {
  for (const SessionDecl &D : Decls)
    if (D.Name == Name)
      return &D;
  return nullptr;
}

std::vector<std::string> Session::getNames() const {
  std::vector<std::string> Names;
  for (const SessionDecl &D : Decls)
    Names.push_back(D.Name);
  return Names;
}

void Session::apply(const std::vector<SessionDecl> &New) {
  for (const SessionDecl &N : New) {
    bool Replaced = false;
    for (SessionDecl &D : Decls)
      if (D.Name == N.Name) {
        D = N;
        Replaced = true;
        break;
      }
    if (!Replaced)
      Decls.push_back(N);
  }
}
