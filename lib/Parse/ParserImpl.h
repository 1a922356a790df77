//===- ParserImpl.h - Internals of lib/Parse ------------------*- C++ -*-===//
//
// Private to lib/Parse: this header sees the ANTLR runtime and the generated
// parser, which must never leak into include/nnc.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_PARSE_PARSERIMPL_H
#define NNC_LIB_PARSE_PARSERIMPL_H

#include "nnc/AST/AST.h"
#include "nnc/Support/Diagnostics.h"

#include "NNLexer.h"
#include "NNParser.h"
#include "antlr4-runtime.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/SMLoc.h"
#include <cstdint>
#include <vector>

namespace nnc::parse {

/// Deepest expression nesting the parser accepts, both for the right-nested
/// chains the ANTLR parser recurses on (`- - x`, `a ^ b ^ c`, `else if`) and
/// for the trees the AST builder produces. Later stages walk expressions
/// recursively, so the limit protects them as well.
constexpr unsigned MaxExprDepth = 20000;

/// Deepest nesting of grammar rule invocations the parser enters. One level
/// of expression nesting costs up to about six (`-a.f(...)`: the operand,
/// the member and the call, the argument list, the argument), so this never
/// rejects an expression within MaxExprDepth; it bounds the parser's stack,
/// time and memory where the lexer pass cannot see the nesting, as in an
/// `else if` chain whose conditions contain operators.
constexpr unsigned MaxRuleDepth = 8 * MaxExprDepth;

/// The stack the parser runs with: room for MaxRuleDepth invocations of
/// the generated rule functions and ANTLR's prediction below each, with
/// the sanitizers' larger frames. Address space only: pages are touched
/// as deep as the input goes.
constexpr size_t ParserStackBytes = size_t(512) << 20;

/// Thrown once the diagnostic engine is saturated: parsing stops at once.
struct StopParsing {};

/// Maps ANTLR's code point indices to pointers into the source buffer.
/// ANTLR reads UTF-32, while SMLoc points at UTF-8 bytes.
class SourceLocator {
public:
  /// \p CpToByte holds the byte offset of every code point plus one past the
  /// end; it is empty when the text is ASCII and code point I is byte
  /// \p BaseOffset + I.
  SourceLocator(const char *BufferStart, size_t BaseOffset,
                size_t NumCodePoints, std::vector<uint32_t> CpToByte)
      : BufferStart(BufferStart), BaseOffset(BaseOffset),
        NumCodePoints(NumCodePoints), CpToByte(std::move(CpToByte)) {}

  /// The location of code point \p Index; indices past the end (and ANTLR's
  /// INVALID_INDEX of conjured tokens) clamp to the end of the text.
  llvm::SMLoc getLoc(size_t Index) const {
    if (Index > NumCodePoints)
      Index = NumCodePoints;
    size_t Byte = CpToByte.empty() ? BaseOffset + Index : CpToByte[Index];
    return llvm::SMLoc::getFromPointer(BufferStart + Byte);
  }
  llvm::SMLoc getStart(const antlr4::Token *T) const {
    return getLoc(T->getStartIndex());
  }
  /// One past the last character of \p T; EOF ends where it starts.
  llvm::SMLoc getEnd(const antlr4::Token *T) const {
    size_t Start = T->getStartIndex(), Stop = T->getStopIndex();
    if (Stop == INVALID_INDEX || Stop < Start)
      return getLoc(Start);
    return getLoc(Stop + 1);
  }
  llvm::SMRange getRange(const antlr4::Token *T) const {
    return llvm::SMRange(getStart(T), getEnd(T));
  }
  /// The source text of \p T, straight from the buffer (Token::getText
  /// would convert ANTLR's UTF-32 back to UTF-8 for every call).
  std::string getText(const antlr4::Token *T) const {
    llvm::SMRange R = getRange(T);
    return std::string(R.Start.getPointer(),
                       R.End.getPointer() - R.Start.getPointer());
  }
  /// From the first token of \p Ctx to the end of its last one. A rule that
  /// matched nothing has its stop token before its start token.
  llvm::SMRange getRange(const antlr4::ParserRuleContext *Ctx) const {
    const antlr4::Token *Start = Ctx->start, *Stop = Ctx->stop;
    if (!Start)
      return llvm::SMRange();
    llvm::SMLoc Begin = getStart(Start);
    if (!Stop || Stop->getTokenIndex() < Start->getTokenIndex())
      return llvm::SMRange(Begin, Begin);
    return llvm::SMRange(Begin, getEnd(Stop));
  }

private:
  const char *BufferStart;
  size_t BaseOffset;
  size_t NumCodePoints;
  std::vector<uint32_t> CpToByte;
};

/// Whether the spelling of an INT or FLOAT token is a number nnc accepts:
/// an integer up to the largest i64, or a float with digits in its exponent
/// (`1e` is not) that does not overflow a double (underflow rounds to 0).
bool isValidNumber(llvm::StringRef Spelling);

/// The errors the lexer pass finds (characters no token starts with,
/// unterminated comments, invalid number literals), reported in source
/// order with the parser's: each one just before the first later
/// diagnostic, so that the first N errors of a file are the ones
/// -ferror-limit=N shows.
class LexicalErrors {
public:
  /// \p Tokens must be filled already.
  LexicalErrors(antlr4::TokenStream &Tokens, const SourceLocator &Locs,
                DiagnosticEngine &Diags)
      : Tokens(Tokens), Locs(Locs), Diags(Diags) {}

  /// Reports the errors in tokens before \p TokenIndex not reported yet.
  /// Throws StopParsing once the error limit is reached.
  void reportBefore(size_t TokenIndex);
  void reportAll() { reportBefore(Tokens.size()); }

private:
  antlr4::TokenStream &Tokens;
  const SourceLocator &Locs;
  DiagnosticEngine &Diags;
  /// The first token not looked at yet.
  size_t Next = 0;
};

/// Turns ANTLR's view of a syntax error (an offending token and the set of
/// token types the parser could have accepted) into one clang-like message.
class SyntaxErrorReporter {
public:
  SyntaxErrorReporter(DiagnosticEngine &Diags, const SourceLocator &Locs,
                      antlr4::TokenStream &Tokens,
                      const antlr4::dfa::Vocabulary &Vocab,
                      LexicalErrors &Lexical)
      : Diags(Diags), Locs(Locs), Tokens(Tokens), Vocab(Vocab),
        Lexical(Lexical) {}

  /// Reports that \p Offending cannot be parsed where one of \p Expected
  /// was needed; \p Extra says the token is superfluous (ANTLR skips it),
  /// so the message names it even when only one thing was expected.
  void report(antlr4::Token *Offending,
              const antlr4::misc::IntervalSet &Expected, bool Extra = false);

private:
  /// False if a diagnostic at \p Loc was already given; throws StopParsing
  /// once the error limit is reached.
  bool claim(llvm::SMLoc Loc);
  /// The last default-channel token before \p T, or null.
  antlr4::Token *getPreviousToken(antlr4::Token *T);
  /// A note after the error when the text looks like another language's
  /// way of saying something .nn says otherwise (`**`, `x[0]`).
  void noteLikelyIntent(antlr4::Token *Offending);
  std::string describeToken(antlr4::Token *T) const;
  std::vector<std::string>
  describeExpected(const antlr4::misc::IntervalSet &Expected) const;

  DiagnosticEngine &Diags;
  const SourceLocator &Locs;
  antlr4::TokenStream &Tokens;
  const antlr4::dfa::Vocabulary &Vocab;
  LexicalErrors &Lexical;
  llvm::DenseSet<const char *> ReportedLocs;
};

/// ANTLR's recovery (single-token insertion and deletion, resynchronisation
/// on follow sets) with our messages, and with lists of declarations,
/// statements and layer members that skip stray tokens instead of giving up
/// on the whole list.
class NNErrorStrategy : public antlr4::DefaultErrorStrategy {
public:
  explicit NNErrorStrategy(SyntaxErrorReporter &Reporter)
      : Reporter(Reporter) {}

  void reportError(antlr4::Parser *P,
                   const antlr4::RecognitionException &E) override;
  void sync(antlr4::Parser *P) override;

  /// Called before each top-level declaration. A declaration that starts
  /// after the token of the last error is a fresh start: leave error
  /// recovery mode, which would otherwise hide an error in its first
  /// tokens. (A declaration that starts at that token, as after
  /// `fn fn(x)`, is debris of the error and stays quiet.)
  void beginDeclaration(antlr4::Parser *P);
  /// Whether the declaration parsed last had a syntax error. Tokens between
  /// it and the next declaration are then debris of that error, like the
  /// '}' of `fn f(x) = { return x; }`, and are skipped without a message.
  bool declarationFailed() const { return DeclarationFailed; }

protected:
  void beginErrorCondition(antlr4::Parser *P) override;
  void
  reportNoViableAlternative(antlr4::Parser *P,
                            const antlr4::NoViableAltException &E) override;
  void reportInputMismatch(antlr4::Parser *P,
                           const antlr4::InputMismatchException &E) override;
  void
  reportFailedPredicate(antlr4::Parser *P,
                        const antlr4::FailedPredicateException &E) override;
  void reportUnwantedToken(antlr4::Parser *P) override;
  void reportMissingToken(antlr4::Parser *P) override;

private:
  SyntaxErrorReporter &Reporter;
  bool DeclarationFailed = false;
};

/// Backstop for lexer errors; the grammar's catch-all ERROR_CHAR rule means
/// the lexer should never call it.
class LexerErrorListener : public antlr4::BaseErrorListener {
public:
  LexerErrorListener(DiagnosticEngine &Diags, const SourceLocator &Locs)
      : Diags(Diags), Locs(Locs) {}
  void syntaxError(antlr4::Recognizer *Recognizer,
                   antlr4::Token *OffendingSymbol, size_t Line,
                   size_t CharPositionInLine, const std::string &Msg,
                   std::exception_ptr E) override;

private:
  DiagnosticEngine &Diags;
  const SourceLocator &Locs;
};

/// Builds the AST of one top-level declaration, or returns null if it
/// contains a syntax error (already reported) or nests too deeply.
ast::DeclPtr buildTopDecl(nnc_antlr::NNParser::TopDeclContext *Ctx,
                          const SourceLocator &Locs, DiagnosticEngine &Diags,
                          LexicalErrors &Lexical);

} // namespace nnc::parse

#endif // NNC_LIB_PARSE_PARSERIMPL_H
