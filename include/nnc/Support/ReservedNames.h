//===- ReservedNames.h - Names a C header or object must not define -*- C++ -*-===//
//
// Shared by Sema, which reports a function whose exported symbol would be
// one of these at its name, and CodeGen, which keeps the same checks for IR
// input (-x ir), where no Sema runs.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_RESERVEDNAMES_H
#define NNC_SUPPORT_RESERVEDNAMES_H

#include "llvm/ADT/StringRef.h"

namespace nnc::codegen {

/// Words a declaration in the generated header cannot use as a name: C and
/// C++ keywords, the macros of the headers it includes (<stdbool.h>,
/// <stdint.h>), `errno`, and identifiers the C standard reserves
/// (`_Upper...`, `__...`).
bool isReservedInHeader(llvm::StringRef Name);

/// Symbols of the C library that generated code itself calls (libm, and the
/// memory functions LLVM may emit): exporting one would capture those calls.
bool isCLibrarySymbol(llvm::StringRef Name);

} // namespace nnc::codegen

#endif
