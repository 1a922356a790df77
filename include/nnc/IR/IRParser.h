//===- IRParser.h - From the IR's textual form back to IR -------*- C++ -*-===//
//
// Reads what ir::printModule writes, so tests can feed IR straight to nnc
// (`nnc f.nnir`, or `-x ir`) as LLVM's opt reads .ll files:
//
//   ; a comment, to the end of the line
//   func @f(%x: f64, %k: i32) -> (f64, f64) results(a, b) backward @g {
//     %0 = const -inf : f64
//     %y = call @h(%x, %0) : f64
//     %t = tuple %x, %y : (f64, f64)
//     return %t
//   }
//   func internal @df = grad @f wrt(0)
//
// Whitespace and line breaks are free. Value names map to op ids: `%3` and
// other all-digit names leave the op unnamed, a printer suffix `.N` that
// only made a name unique is dropped again, and every other name becomes
// the op's name hint, so printing a parsed module reproduces its text.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_IR_IRPARSER_H
#define NNC_IR_IRPARSER_H

#include "nnc/IR/IR.h"
#include "nnc/Support/Diagnostics.h"
#include "llvm/Support/Error.h"
#include <memory>

namespace nnc {

/// Parses buffer \p BufferID of the diagnostics' source manager as IR text.
/// Syntax errors and undefined values are reported through \p Diags with
/// their locations. The parsed module then goes through ir::verifyModule,
/// whose complaint is reported at the function as `invalid IR: ...`, and
/// through the checks the rest of the pipeline relies on and the verifier
/// does not make: derived declarations AD can build, in an order it can
/// build them, no recursion, backward rules of the right signature. On any
/// error the result is an llvm::Error that only sums up what was already
/// reported.
llvm::Expected<std::unique_ptr<ir::Module>>
parseIRModule(unsigned BufferID, DiagnosticEngine &Diags);

} // namespace nnc

#endif // NNC_IR_IRPARSER_H
