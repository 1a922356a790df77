//===- ReservedNames.cpp --------------------------------------------------===//
#include "nnc/Support/ReservedNames.h"
#include "llvm/ADT/StringSet.h"

using namespace nnc;

bool codegen::isReservedInHeader(llvm::StringRef N) {
  static const llvm::StringSet<> Words = {
      // C and C++ keywords.
      "auto", "break", "case", "char", "const", "continue", "default", "do",
      "double", "else", "enum", "extern", "float", "for", "goto", "if",
      "inline", "int", "long", "register", "restrict", "return", "short",
      "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
      "unsigned", "void", "volatile", "while", "bool", "true", "false",
      "class", "delete", "new", "namespace", "operator", "private",
      "protected", "public", "template", "this", "throw", "try", "catch",
      "typename", "virtual", "using", "friend", "mutable", "explicit",
      "export", "nullptr", "and", "or", "not", "xor", "asm", "alignas",
      "alignof", "char8_t", "char16_t", "char32_t", "concept", "consteval",
      "constexpr", "constinit", "co_await", "co_return", "co_yield",
      "decltype", "noexcept", "requires", "static_assert", "thread_local",
      "wchar_t", "dynamic_cast", "static_cast", "const_cast",
      "reinterpret_cast", "typeid", "bitand", "bitor", "compl", "not_eq",
      "or_eq", "xor_eq", "and_eq",
      // Types and macros of <stdbool.h> and <stdint.h>, and errno.
      "errno", "NULL", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t",
      "uint16_t", "uint32_t", "uint64_t", "intptr_t", "uintptr_t",
      "intmax_t", "uintmax_t", "INT8_MIN", "INT16_MIN", "INT32_MIN",
      "INT64_MIN", "INT8_MAX", "INT16_MAX", "INT32_MAX", "INT64_MAX",
      "UINT8_MAX", "UINT16_MAX", "UINT32_MAX", "UINT64_MAX", "INTPTR_MIN",
      "INTPTR_MAX", "UINTPTR_MAX", "INTMAX_MIN", "INTMAX_MAX", "UINTMAX_MAX",
      "PTRDIFF_MIN", "PTRDIFF_MAX", "SIZE_MAX", "SIG_ATOMIC_MIN",
      "SIG_ATOMIC_MAX", "WCHAR_MIN", "WCHAR_MAX", "WINT_MIN", "WINT_MAX",
      "INT8_C", "INT16_C", "INT32_C", "INT64_C", "UINT8_C", "UINT16_C",
      "UINT32_C", "UINT64_C", "INTMAX_C", "UINTMAX_C"};
  if (Words.contains(N))
    return true;
  if (N.starts_with("__"))
    return true;
  if (N.size() >= 2 && N[0] == '_' && N[1] >= 'A' && N[1] <= 'Z')
    return true;
  // <stdint.h>'s families: INT_LEAST8_MAX, UINT_FAST32_MAX, ...
  return N.starts_with("INT_LEAST") || N.starts_with("INT_FAST") ||
         N.starts_with("UINT_LEAST") || N.starts_with("UINT_FAST") ||
         N.starts_with("int_least") || N.starts_with("int_fast") ||
         N.starts_with("uint_least") || N.starts_with("uint_fast");
}

bool codegen::isCLibrarySymbol(llvm::StringRef N) {
  static const llvm::StringSet<> Math = {
      "acos", "asin", "atan", "atan2", "cos", "sin", "tan", "acosh", "asinh",
      "atanh", "cosh", "sinh", "tanh", "exp", "exp2", "exp10", "expm1",
      "frexp", "ilogb", "ldexp", "log", "log10", "log1p", "log2", "logb",
      "modf", "scalbn", "scalbln", "cbrt", "fabs", "hypot", "pow", "pow10",
      "sqrt", "erf", "erfc", "lgamma", "tgamma", "ceil", "floor",
      "nearbyint", "rint", "lrint", "llrint", "round", "lround", "llround",
      "roundeven", "trunc", "fmod", "remainder", "remquo", "copysign", "nan",
      "nextafter", "nexttoward", "fdim", "fmax", "fmin", "fma", "sincos",
      "ldexp"};
  static const llvm::StringSet<> Other = {"memcpy", "memmove", "memset",
                                          "memcmp", "bcmp", "abs", "labs",
                                          "malloc", "free"};
  if (Math.contains(N) || Other.contains(N))
    return true;
  // The float and long double variants: expf, expl, ...
  if (N.ends_with("f") || N.ends_with("l"))
    return Math.contains(N.drop_back());
  return false;
}
