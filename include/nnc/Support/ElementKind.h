//===- ElementKind.h - Scalar element kinds shared by every stage -*- C++ -*-===//
#ifndef NNC_SUPPORT_ELEMENTKIND_H
#define NNC_SUPPORT_ELEMENTKIND_H

#include "llvm/ADT/StringRef.h"
#include <optional>

namespace nnc {

/// The scalar kinds of the language: the element type of every value.
enum class ElementKind { Bool, I32, I64, F32, F64 };

inline llvm::StringRef getElementKindName(ElementKind K) {
  switch (K) {
  case ElementKind::Bool: return "bool";
  case ElementKind::I32: return "i32";
  case ElementKind::I64: return "i64";
  case ElementKind::F32: return "f32";
  case ElementKind::F64: return "f64";
  }
  return "?";
}

inline std::optional<ElementKind> parseElementKind(llvm::StringRef Name) {
  if (Name == "bool") return ElementKind::Bool;
  if (Name == "i32") return ElementKind::I32;
  if (Name == "i64") return ElementKind::I64;
  if (Name == "f32") return ElementKind::F32;
  if (Name == "f64") return ElementKind::F64;
  return std::nullopt;
}

/// The bytes one element takes in memory, at the C ABI and in the IR's
/// size computations (a bool is one byte).
inline unsigned getElementSize(ElementKind K) {
  switch (K) {
  case ElementKind::Bool: return 1;
  case ElementKind::I32:
  case ElementKind::F32: return 4;
  case ElementKind::I64:
  case ElementKind::F64: return 8;
  }
  return 8;
}

inline bool isFloatKind(ElementKind K) {
  return K == ElementKind::F32 || K == ElementKind::F64;
}
inline bool isIntKind(ElementKind K) {
  return K == ElementKind::I32 || K == ElementKind::I64;
}

} // namespace nnc

#endif // NNC_SUPPORT_ELEMENTKIND_H
