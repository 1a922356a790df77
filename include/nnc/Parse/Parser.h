//===- Parser.h - From .nn text to the AST ----------------------*- C++ -*-===//
//
// The grammar lives in grammar/NN.g4; ANTLR generates the parser at build
// time. No ANTLR type crosses this header: lib/Parse is the one target built
// with exceptions and RTTI, and it hands out our own AST.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_PARSE_PARSER_H
#define NNC_PARSE_PARSER_H

#include "nnc/AST/AST.h"
#include "nnc/Support/Diagnostics.h"
#include <memory>

namespace nnc {

struct ParseOptions {
  /// Deepest nesting of (), [] and {} accepted, as clang's -fbracket-depth.
  unsigned BracketDepth = 256;
};

/// Parses buffer \p BufferID of the diagnostics' source manager. Syntax
/// errors are reported through \p Diags; the returned module holds every
/// declaration that parsed without an error, so later stages can still
/// check them, and names the others in Module::FailedDecls.
std::unique_ptr<ast::Module> parseModule(unsigned BufferID,
                                         DiagnosticEngine &Diags,
                                         const ParseOptions &Opts = {});

} // namespace nnc

#endif // NNC_PARSE_PARSER_H
