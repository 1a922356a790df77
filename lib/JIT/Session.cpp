//===- Session.cpp --------------------------------------------------------===//
#include "nnc/JIT/Session.h"
#include "llvm/ADT/StringExtras.h"

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

StoredTensor::StoredTensor(std::string Name, ElementKind Elem,
                           std::vector<int64_t> Shape)
    : Name(std::move(Name)), Elem(Elem), Shape(std::move(Shape)) {
  Words.assign((getByteSize() + 7) / 8, 0);
}

int64_t StoredTensor::getNumElements() const {
  int64_t N = 1;
  for (int64_t D : Shape)
    N *= D;
  return N;
}

size_t StoredTensor::getByteSize() const {
  return getNumElements() * getElementSize(Elem);
}

std::string StoredTensor::getTypeString() const {
  std::string S = getElementKindName(Elem).str();
  if (Shape.empty())
    return S;
  S += "[";
  for (size_t I = 0; I < Shape.size(); ++I)
    S += (I ? ", " : "") + std::to_string(Shape[I]);
  return S + "]";
}
