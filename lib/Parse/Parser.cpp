//===- Parser.cpp - parseModule: from .nn text to the AST -----------------===//
//
// The steps, each of which can end the parse with an empty module:
//   1. The buffer must be UTF-8 without NUL bytes: ANTLR reads code points,
//      which we decode ourselves and map back to byte locations, and a NUL
//      is never meant.
//   2. The lexer runs over the whole input first. Its tokens are checked for
//      nesting deep enough to exhaust the stack of ANTLR's recursive-descent
//      parser. Unexpected characters and unterminated comments are reported
//      as the parser passes them, so that all errors come in source order.
//   3. The generated parser builds a parse tree; NNErrorStrategy reports
//      syntax errors and recovers.
//   4. The AST builder turns every declaration that parsed into nnc::ast.
// ANTLR reports some failures by throwing; nothing thrown escapes this file.
//
//===----------------------------------------------------------------------===//

#include "nnc/Parse/Parser.h"
#include "ParserImpl.h"
#include "nnc/Support/Stack.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include <algorithm>
#include <cstring>
#include <exception>

using namespace nnc;
using namespace nnc::parse;
using nnc_antlr::NNLexer;
using nnc_antlr::NNParser;

namespace {

/// What validateSource found in the buffer.
struct SourceText {
  /// Bytes skipped at the start (a UTF-8 byte order mark).
  size_t BaseOffset = 0;
  size_t NumCodePoints = 0;
  /// Byte offset of every code point plus the end; empty for ASCII text.
  std::vector<uint32_t> CpToByte;
};

} // namespace

/// Decodes one UTF-8 sequence at \p S[I]; returns its length, or 0 if it is
/// malformed (overlong forms, surrogates and values past U+10FFFF included).
static unsigned decodeUTF8(const unsigned char *S, size_t I, size_t N,
                           uint32_t &CodePoint) {
  unsigned char C = S[I];
  unsigned Len;
  uint32_t Min;
  if (C < 0x80) {
    CodePoint = C;
    return 1;
  }
  if ((C & 0xE0) == 0xC0) {
    Len = 2;
    CodePoint = C & 0x1F;
    Min = 0x80;
  } else if ((C & 0xF0) == 0xE0) {
    Len = 3;
    CodePoint = C & 0x0F;
    Min = 0x800;
  } else if ((C & 0xF8) == 0xF0) {
    Len = 4;
    CodePoint = C & 0x07;
    Min = 0x10000;
  } else {
    return 0;
  }
  if (N - I < Len)
    return 0;
  for (unsigned K = 1; K != Len; ++K) {
    if ((S[I + K] & 0xC0) != 0x80)
      return 0;
    CodePoint = (CodePoint << 6) | (S[I + K] & 0x3F);
  }
  if (CodePoint < Min || CodePoint > 0x10FFFF ||
      (CodePoint >= 0xD800 && CodePoint <= 0xDFFF))
    return 0;
  return Len;
}

/// Checks that \p Text is NUL-free UTF-8 and maps its code points to bytes.
/// Reports the first offending byte and returns false otherwise.
static bool validateSource(llvm::StringRef Text, DiagnosticEngine &Diags,
                           SourceText &Out) {
  const auto *S = reinterpret_cast<const unsigned char *>(Text.data());
  size_t N = Text.size();
  size_t Begin = 0;
  if (N >= 3 && S[0] == 0xEF && S[1] == 0xBB && S[2] == 0xBF)
    Begin = 3;
  Out.BaseOffset = Begin;

  // Fast path: pure ASCII needs no table.
  bool Ascii = true;
  for (size_t I = Begin; I != N; ++I) {
    if (S[I] == 0 || S[I] >= 0x80) {
      Ascii = false;
      break;
    }
  }
  if (Ascii) {
    Out.NumCodePoints = N - Begin;
    return true;
  }

  Out.CpToByte.reserve(N - Begin + 1);
  for (size_t I = Begin; I != N;) {
    auto Loc = llvm::SMLoc::getFromPointer(Text.data() + I);
    if (S[I] == 0) {
      Diags.report(Loc, DiagID::err_nul_in_source);
      return false;
    }
    uint32_t CodePoint;
    unsigned Len = decodeUTF8(S, I, N, CodePoint);
    if (!Len) {
      Diags.report(Loc, DiagID::err_invalid_utf8);
      return false;
    }
    Out.CpToByte.push_back(static_cast<uint32_t>(I));
    I += Len;
  }
  Out.NumCodePoints = Out.CpToByte.size();
  Out.CpToByte.push_back(static_cast<uint32_t>(N));
  return true;
}

/// Reports a character no token starts with.
static void reportUnexpectedChar(antlr4::Token *T, const SourceLocator &Locs,
                                 DiagnosticEngine &Diags) {
  llvm::SMRange Range = Locs.getRange(T);
  const auto *S =
      reinterpret_cast<const unsigned char *>(Range.Start.getPointer());
  size_t Len = Range.End.getPointer() - Range.Start.getPointer();
  uint32_t CodePoint = 0;
  if (!Len || !decodeUTF8(S, 0, Len, CodePoint))
    return;
  if (CodePoint >= 0x21 && CodePoint < 0x7F) {
    Diags.report(Range, DiagID::err_unexpected_char,
                 std::string(1, static_cast<char>(CodePoint)));
    return;
  }
  if (CodePoint < 0x80) { // control characters: never print them raw
    Diags.report(Range, DiagID::err_unexpected_char,
                 llvm::formatv("\\x{0:X-2}", CodePoint).str());
    return;
  }
  // Name the code point, and show it unless it is invisible or a control
  // character that would garble the terminal: C1 controls, spaces other
  // than U+0020 (a no-break space in quotes looks like an ordinary one),
  // format characters and variation selectors, private use, noncharacters
  // and tags. Emoji and the other characters of planes 1-3 are shown.
  bool Invisible =
      CodePoint <= 0xA0 || CodePoint == 0xAD || CodePoint == 0x34F ||
      CodePoint == 0x61C || CodePoint == 0x1680 || CodePoint == 0x180E ||
      (CodePoint >= 0x2000 && CodePoint <= 0x200F) ||
      (CodePoint >= 0x2028 && CodePoint <= 0x202F) ||
      (CodePoint >= 0x205F && CodePoint <= 0x206F) || CodePoint == 0x3000 ||
      (CodePoint >= 0xE000 && CodePoint <= 0xF8FF) ||
      (CodePoint >= 0xFDD0 && CodePoint <= 0xFDEF) ||
      (CodePoint >= 0xFE00 && CodePoint <= 0xFE0F) || CodePoint == 0xFEFF ||
      (CodePoint >= 0xFFF0 && CodePoint <= 0xFFFB) ||
      (CodePoint & 0xFFFE) == 0xFFFE || CodePoint >= 0xE0000;
  std::string Glyph;
  if (!Invisible)
    Glyph = " '" + std::string(Range.Start.getPointer(), Len) + "'";
  Diags.report(Range, DiagID::err_unexpected_unicode_char,
               llvm::formatv("{0:X-4}", CodePoint).str(), Glyph);
}

bool nnc::parse::isValidNumber(llvm::StringRef Spelling) {
  if (Spelling.find_first_of(".eE") == llvm::StringRef::npos) {
    // The widest integer type is i64; a larger integer literal cannot mean
    // what it says in any context.
    int64_t V;
    return !Spelling.getAsInteger(10, V);
  }
  // `1e`, `2.5e+`: the lexer's BAD_FLOAT.
  size_t E = Spelling.find_first_of("eE");
  if (E != llvm::StringRef::npos) {
    llvm::StringRef Exponent = Spelling.drop_front(E + 1);
    if (Exponent.starts_with("+") || Exponent.starts_with("-"))
      Exponent = Exponent.drop_front();
    if (Exponent.empty())
      return false;
  }
  // APFloat rather than strtod: independent of the C locale, and it tells
  // overflow (an error) from underflow (rounds to zero, accepted).
  llvm::APFloat F(llvm::APFloat::IEEEdouble());
  llvm::Expected<llvm::APFloat::opStatus> Status =
      F.convertFromString(Spelling, llvm::APFloat::rmNearestTiesToEven);
  if (!Status) {
    llvm::consumeError(Status.takeError());
    return false;
  }
  return !(*Status & llvm::APFloat::opOverflow);
}

void LexicalErrors::reportBefore(size_t TokenIndex) {
  for (size_t E = std::min(TokenIndex, Tokens.size()); Next < E; ++Next) {
    antlr4::Token *T = Tokens.get(Next);
    switch (T->getType()) {
    case NNLexer::ERROR_CHAR:
      reportUnexpectedChar(T, Locs, Diags);
      break;
    case NNLexer::UNTERMINATED_COMMENT:
      Diags.report(Locs.getStart(T), DiagID::err_unterminated_comment);
      break;
    case NNLexer::INT:
    case NNLexer::FLOAT: {
      std::string Spelling = Locs.getText(T);
      if (isValidNumber(Spelling))
        continue;
      Diags.report(Locs.getRange(T), DiagID::err_bad_number, Spelling);
      break;
    }
    default:
      continue;
    }
    if (Diags.isSaturated())
      throw StopParsing();
  }
}

/// The lexer pass before parsing: finds nesting so deep that the
/// recursive-descent parser would exhaust the stack (characters and
/// comments the grammar cannot use are left to \p Lexical, which reports
/// them in order with the parser's errors). Returns false if parsing must
/// not start.
///
/// Brackets are counted exactly. Expressions that nest without brackets are
/// the ones ANTLR parses by recursion: prefix operators (`- - x`), the
/// right-associative `^`, and `else if` chains. Each bracket level counts
/// how many of those are open at that level. An operator that binds looser
/// than all of them (a binary `*`, `+`, comparison, `,`, `;`, ...) closes
/// the prefix operators and '^'s again; an `else if` stays open until the
/// expression around it ends (at a ',' or ';', a keyword, or the end of the
/// bracket level), since the operators in its condition and arms are inside
/// it. (Overlapping chains in one expression are counted together, which
/// only matters near the limit, where the expression is too deep anyway.)
/// Whatever escapes this count is stopped by the parser's DepthGuard.
namespace {
struct NestingLevel {
  /// Prefix operators and '^'s open at this level.
  unsigned Open = 0;
  /// `else if`s open at this level.
  unsigned Chain = 0;
};
} // namespace

static bool scanTokens(const std::vector<antlr4::Token *> &Tokens,
                       const SourceLocator &Locs, DiagnosticEngine &Diags,
                       LexicalErrors &Lexical, const ParseOptions &Opts) {
  unsigned BracketDepth = 0;
  std::vector<NestingLevel> Levels(1);
  unsigned OpenTotal = 0;
  size_t PrevType = antlr4::Token::INVALID_TYPE;
  for (antlr4::Token *T : Tokens) {
    if (Diags.isSaturated())
      return false;
    size_t Type = T->getType();
    switch (Type) {
    case NNLexer::ERROR_CHAR:
    case NNLexer::UNTERMINATED_COMMENT:
      continue;
    case NNLexer::LPAREN:
    case NNLexer::LBRACKET:
    case NNLexer::LBRACE:
      if (++BracketDepth > Opts.BracketDepth) {
        Lexical.reportBefore(T->getTokenIndex());
        Diags.report(Locs.getRange(T), DiagID::err_bracket_depth,
                     Opts.BracketDepth);
        Diags.report(Locs.getStart(T), DiagID::note_bracket_depth);
        return false;
      }
      Levels.emplace_back();
      break;
    case NNLexer::RPAREN:
    case NNLexer::RBRACKET:
    case NNLexer::RBRACE:
      // An unbalanced closer is the parser's to report.
      if (BracketDepth) {
        --BracketDepth;
        OpenTotal -= Levels.back().Open + Levels.back().Chain;
        Levels.pop_back();
      }
      break;
    case NNLexer::MINUS:
    case NNLexer::NOT:
    case NNLexer::CARET:
    case NNLexer::IF: {
      bool AfterOperand =
          PrevType == NNLexer::IDENT || PrevType == NNLexer::INT ||
          PrevType == NNLexer::FLOAT || PrevType == NNLexer::TRUE ||
          PrevType == NNLexer::FALSE || PrevType == NNLexer::RPAREN ||
          PrevType == NNLexer::RBRACKET || PrevType == NNLexer::RBRACE;
      if (Type == NNLexer::MINUS && AfterOperand) {
        // A binary minus.
        OpenTotal -= Levels.back().Open;
        Levels.back().Open = 0;
        break;
      }
      if (Type == NNLexer::IF && PrevType == NNLexer::ELSE)
        ++Levels.back().Chain;
      else
        ++Levels.back().Open;
      if (++OpenTotal > MaxExprDepth) {
        Lexical.reportBefore(T->getTokenIndex());
        Diags.report(Locs.getRange(T), DiagID::err_expr_too_deep, MaxExprDepth);
        return false;
      }
      break;
    }
    case NNLexer::ELSE:
    case NNLexer::DOT:
    case NNLexer::IDENT:
    case NNLexer::INT:
    case NNLexer::FLOAT:
    case NNLexer::TRUE:
    case NNLexer::FALSE:
      break;
    default: {
      // Binary operators below '^', separators and keywords.
      NestingLevel &L = Levels.back();
      OpenTotal -= L.Open;
      L.Open = 0;
      // The end of an expression.
      if (Type == NNLexer::COMMA || Type == NNLexer::SEMI ||
          Type == NNLexer::BACKWARD || Type == NNLexer::FN ||
          Type == NNLexer::LET || Type == NNLexer::RETURN ||
          Type == NNLexer::LAYER || Type == NNLexer::PARAM) {
        OpenTotal -= L.Chain;
        L.Chain = 0;
      }
      break;
    }
    }
    PrevType = Type;
  }
  return !Diags.isSaturated();
}

namespace {

/// Counts how deep the parser's rule invocations nest, and stops the parse
/// with err_expr_too_deep past MaxRuleDepth (see there).
class DepthGuard : public antlr4::tree::ParseTreeListener {
public:
  DepthGuard(const SourceLocator &Locs, DiagnosticEngine &Diags,
             LexicalErrors &Lexical)
      : Locs(Locs), Diags(Diags), Lexical(Lexical) {}

  void reset() { Depth = 0; }

  void enterEveryRule(antlr4::ParserRuleContext *Ctx) override {
    if (++Depth <= MaxRuleDepth)
      return;
    // The rule entered last starts the construct that nests too deeply
    // (for a left-recursive chain like `x + x + ...`, its first operand).
    if (antlr4::Token *T = Ctx->start) {
      Lexical.reportBefore(T->getTokenIndex());
      Diags.report(Locs.getStart(T), DiagID::err_expr_too_deep, MaxExprDepth);
    }
    throw StopParsing();
  }
  void exitEveryRule(antlr4::ParserRuleContext *) override { --Depth; }
  void visitTerminal(antlr4::tree::TerminalNode *) override {}
  void visitErrorNode(antlr4::tree::ErrorNode *) override {}

private:
  const SourceLocator &Locs;
  DiagnosticEngine &Diags;
  LexicalErrors &Lexical;
  unsigned Depth = 0;
};

/// ANTLR's input stream, filled with the code points we already decoded
/// (its own UTF-8 decoder is slow and would throw on bad input).
class CodePointStream : public antlr4::ANTLRInputStream {
public:
  explicit CodePointStream(std::u32string CodePoints) {
    _data = std::move(CodePoints);
    p = 0;
  }
};

/// Allocates tokens from large slabs. Every token lives exactly as long as
/// the token stream, so freeing them one by one buys nothing, while a
/// malloc per token costs a good part of the lexer's time.
class TokenArena {
public:
  void *allocate(size_t Size) {
    Size = (Size + 15) & ~size_t(15);
    if (static_cast<size_t>(End - Cur) < Size) {
      size_t SlabSize = std::max<size_t>(Size, size_t(1) << 20);
      Slabs.emplace_back(new char[SlabSize]);
      Cur = Slabs.back().get();
      End = Cur + SlabSize;
    }
    void *P = Cur;
    Cur += Size;
    return P;
  }

private:
  std::vector<std::unique_ptr<char[]>> Slabs;
  char *Cur = nullptr;
  char *End = nullptr;
};

class ArenaToken : public antlr4::CommonToken {
public:
  using CommonToken::CommonToken;
  static void *operator new(size_t Size, TokenArena &Arena) {
    return Arena.allocate(Size);
  }
  // The memory belongs to the arena; deleting a token only destroys it.
  static void operator delete(void *) {}
  static void operator delete(void *, TokenArena &) {}
};

/// CommonTokenFactory without copying token text (we read text from the
/// source buffer) and with arena-allocated tokens.
class ArenaTokenFactory : public antlr4::TokenFactory<antlr4::CommonToken> {
public:
  std::unique_ptr<antlr4::CommonToken>
  create(std::pair<antlr4::TokenSource *, antlr4::CharStream *> Source,
         size_t Type, const std::string &Text, size_t Channel, size_t Start,
         size_t Stop, size_t Line, size_t CharPositionInLine) override {
    std::unique_ptr<antlr4::CommonToken> T(
        new (Arena) ArenaToken(Source, Type, Channel, Start, Stop));
    T->setLine(Line);
    T->setCharPositionInLine(CharPositionInLine);
    if (!Text.empty())
      T->setText(Text);
    return T;
  }
  std::unique_ptr<antlr4::CommonToken>
  create(size_t Type, const std::string &Text) override {
    return std::unique_ptr<antlr4::CommonToken>(new (Arena)
                                                    ArenaToken(Type, Text));
  }

private:
  TokenArena Arena;
};

} // namespace

static std::u32string decodeSource(llvm::StringRef Text,
                                   const SourceText &Source) {
  const auto *S = reinterpret_cast<const unsigned char *>(Text.data());
  size_t N = Text.size();
  std::u32string CodePoints;
  CodePoints.reserve(Source.NumCodePoints);
  if (Source.CpToByte.empty()) {
    for (size_t I = Source.BaseOffset; I != N; ++I)
      CodePoints.push_back(S[I]);
    return CodePoints;
  }
  for (size_t I = 0; I != Source.NumCodePoints; ++I) {
    uint32_t CodePoint = 0;
    decodeUTF8(S, Source.CpToByte[I], N, CodePoint);
    CodePoints.push_back(CodePoint);
  }
  return CodePoints;
}

/// The ATN state of rule `module` from which it calls `topDecl`. Parsing
/// one declaration at a time from this state gives ANTLR the same follow
/// sets for error recovery as parsing the whole module.
static size_t findTopDeclCallState(const antlr4::atn::ATN &ATN) {
  antlr4::atn::ATNState *TopDeclStart =
      ATN.ruleToStartState[NNParser::RuleTopDecl];
  for (antlr4::atn::ATNState *S : ATN.states) {
    if (!S || S->ruleIndex != NNParser::RuleModule)
      continue;
    for (antlr4::atn::Transition *T : S->transitions)
      if (T->getSerializationType() == antlr4::atn::Transition::RULE &&
          T->target == TopDeclStart)
        return S->stateNumber;
  }
  return antlr4::atn::ATNState::INVALID_STATE_NUMBER;
}

/// Everything that may throw.
static void parseImpl(llvm::StringRef Text, DiagnosticEngine &Diags,
                      const ParseOptions &Opts, ast::Module &M) {
  SourceText Source;
  if (!validateSource(Text, Diags, Source))
    return;
  CodePointStream Input(decodeSource(Text, Source));
  SourceLocator Locs(Text.data(), Source.BaseOffset, Source.NumCodePoints,
                     std::move(Source.CpToByte));

  // Declared first: tokens, conjured ones included, must outlive the token
  // stream, the parser and its error strategy.
  ArenaTokenFactory TokenFactory;
  NNLexer Lexer(&Input);
  Lexer.setTokenFactory(&TokenFactory);
  LexerErrorListener LexerErrors(Diags, Locs);
  Lexer.removeErrorListeners();
  Lexer.addErrorListener(&LexerErrors);
  antlr4::CommonTokenStream Tokens(&Lexer);
  Tokens.fill();
  LexicalErrors Lexical(Tokens, Locs, Diags);
  if (!scanTokens(Tokens.getTokens(), Locs, Diags, Lexical, Opts))
    return;

  // Outlives the parser, which calls it while a StopParsing unwinds.
  DepthGuard Guard(Locs, Diags, Lexical);
  NNParser Parser(&Tokens);
  Parser.removeErrorListeners();
  SyntaxErrorReporter Reporter(Diags, Locs, Tokens, Parser.getVocabulary(),
                               Lexical);
  auto Strategy = std::make_shared<NNErrorStrategy>(Reporter);
  Parser.setErrorHandler(Strategy);
  Parser.addParseListener(&Guard);

  // `module : topDecl* EOF`, run by hand: each declaration's parse tree is
  // freed once its AST is built, so a long file never holds more than one
  // declaration's tree (ANTLR's trees are large).
  size_t CallState = findTopDeclCallState(Parser.getATN());
  NNParser::ModuleContext Root(nullptr,
                               antlr4::atn::ATNState::INVALID_STATE_NUMBER);
  antlr4::misc::IntervalSet DeclStart;
  DeclStart.add(NNParser::FN);
  DeclStart.add(NNParser::LET);
  DeclStart.add(NNParser::LAYER);
  DeclStart.add(antlr4::Token::EOF);
  while (!Diags.isSaturated()) {
    size_t LA = Tokens.LA(1);
    if (LA == antlr4::Token::EOF)
      break;
    if (!DeclStart.contains(LA)) {
      // A stray token between declarations. After a declaration with a
      // syntax error it is debris of that error, already reported.
      if (!Strategy->inErrorRecoveryMode(&Parser) &&
          !Strategy->declarationFailed())
        Reporter.report(Tokens.LT(1), DeclStart, /*Extra=*/true);
      while (!DeclStart.contains(Tokens.LA(1)))
        Tokens.consume();
      continue;
    }
    // The name the declaration is for, remembered in case it fails. A
    // declaration with any error, even one ANTLR recovered from by
    // inserting a token, is dropped: what Sema would say of it is noise.
    unsigned ErrorsBefore = Diags.getNumErrors();
    std::string Name;
    if (Tokens.LA(2) == NNParser::IDENT)
      Name = Locs.getText(Tokens.LT(2));
    Parser.setContext(&Root);
    Parser.setState(CallState);
    Strategy->beginDeclaration(&Parser);
    Guard.reset();
    NNParser::TopDeclContext *Decl = Parser.topDecl();
    if (Diags.isSaturated())
      break;
    ast::DeclPtr D = buildTopDecl(Decl, Locs, Diags, Lexical);
    if (D && Diags.getNumErrors() == ErrorsBefore)
      M.Decls.push_back(std::move(D));
    else if (!Name.empty())
      M.FailedDecls.push_back(std::move(Name));
    Parser.setContext(nullptr);
    Root.children.clear();
    Parser.getTreeTracker().reset();
  }
  Parser.setContext(nullptr);
  Root.children.clear();
  Parser.removeParseListeners();
  if (!Diags.isSaturated())
    Lexical.reportAll();
}

std::unique_ptr<ast::Module> nnc::parseModule(unsigned BufferID,
                                              DiagnosticEngine &Diags,
                                              const ParseOptions &Opts) {
  auto M = std::make_unique<ast::Module>();
  const llvm::MemoryBuffer *Buffer =
      Diags.getSourceMgr().getMemoryBuffer(BufferID);
  M->Name = Buffer->getBufferIdentifier().str();
  llvm::StringRef Text = Buffer->getBuffer();
  // ANTLR's generated parser recurses as deep as the input nests, up to
  // MaxRuleDepth rule invocations, and cannot be told to change stacks:
  // it runs where that much stack is free. The exception it may throw is
  // carried back to this thread.
  std::exception_ptr Thrown;
  runWithStackOf(ParserStackBytes, [&] {
    try {
      parseImpl(Text, Diags, Opts, *M);
    } catch (...) {
      Thrown = std::current_exception();
    }
  });
  try {
    if (Thrown)
      std::rethrow_exception(Thrown);
  } catch (const StopParsing &) {
    // The error limit was reached, or the input nests too deeply (both
    // reported); the driver stops after this stage.
    M->Decls.clear();
  } catch (const std::exception &E) {
    M->Decls.clear();
    Diags.report(llvm::SMLoc::getFromPointer(Text.data()), DiagID::err_syntax,
                 std::string("internal parser error: ") + E.what());
  } catch (...) {
    M->Decls.clear();
    Diags.report(llvm::SMLoc::getFromPointer(Text.data()), DiagID::err_syntax,
                 "internal parser error");
  }
  return M;
}
