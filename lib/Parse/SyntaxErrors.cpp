//===- SyntaxErrors.cpp - Clang-like syntax error messages ----------------===//
//
// ANTLR describes a syntax error by the token it could not use and the set
// of token types it would have accepted. These sets are often long and full
// of operators the user never meant to write, so the reporter folds them
// into the words a person would use ("expression", "declaration") before
// printing, and falls back to a plain "unexpected X" when the list would
// still be long.
//
// Message formats:
//   expected ';'                                    one thing fits
//   unexpected identifier 'y'; expected ',' or ')'  two to four things fit,
//                                                   or the token is extra
//   unexpected ')'                                  more than four fit
// A missing ';' is reported one past the end of the token before it, like
// clang; every other message points at the offending token. A syntax error
// right after an unexpected character (already reported by the lexer pass)
// is not reported.
//
//===----------------------------------------------------------------------===//

#include "ParserImpl.h"

using namespace nnc;
using namespace nnc::parse;
using antlr4::Token;
using antlr4::misc::IntervalSet;
using nnc_antlr::NNParser;

namespace {

/// Token types that can start an expression.
const size_t ExprFirst[] = {
    NNParser::MINUS,    NNParser::NOT,   NNParser::INT,   NNParser::FLOAT,
    NNParser::TRUE,     NNParser::FALSE, NNParser::IDENT, NNParser::LPAREN,
    NNParser::LBRACKET, NNParser::IF};

/// Token types that continue an expression already parsed. After an operand
/// the parser accepts all of them, but a user who stopped there almost never
/// forgot an operator, so they are left out of the expected list.
const size_t ExprContinuation[] = {
    NNParser::DOT,   NNParser::LPAREN, NNParser::CARET, NNParser::STAR,
    NNParser::SLASH, NNParser::AT,     NNParser::PLUS,  NNParser::MINUS,
    NNParser::LT,    NNParser::LE,     NNParser::GT,    NNParser::GE,
    NNParser::EQ,    NNParser::NE,     NNParser::AND,   NNParser::OR};

const size_t DeclFirst[] = {NNParser::FN, NNParser::LET, NNParser::LAYER};
const size_t StmtFirst[] = {NNParser::LET, NNParser::RETURN, NNParser::IDENT};
const size_t MemberFirst[] = {NNParser::PARAM, NNParser::IDENT, NNParser::FN};

template <size_t N>
bool containsAll(const IntervalSet &Set, const size_t (&Types)[N]) {
  for (size_t T : Types)
    if (!Set.contains(T))
      return false;
  return true;
}

template <size_t N> void removeAll(IntervalSet &Set, const size_t (&Types)[N]) {
  for (size_t T : Types)
    Set.remove(T);
}

/// Keeps messages readable when a token is huge (a long identifier).
std::string shorten(std::string Text) {
  constexpr size_t MaxLen = 40;
  if (Text.size() > MaxLen) {
    size_t Cut = MaxLen;
    // Do not cut a UTF-8 sequence in half.
    while (Cut > 0 && (static_cast<unsigned char>(Text[Cut]) & 0xC0) == 0x80)
      --Cut;
    Text = Text.substr(0, Cut) + "...";
  }
  return Text;
}

} // namespace

std::string SyntaxErrorReporter::describeToken(Token *T) const {
  switch (T->getType()) {
  case Token::EOF:
    return "end of input";
  case NNParser::IDENT:
    return "identifier '" + shorten(T->getText()) + "'";
  case NNParser::INT:
  case NNParser::FLOAT:
    return "number '" + shorten(T->getText()) + "'";
  default:
    return "'" + shorten(T->getText()) + "'";
  }
}

std::vector<std::string>
SyntaxErrorReporter::describeExpected(const IntervalSet &Expected) const {
  IntervalSet Set = Expected;
  Set.remove(Token::EPSILON);
  std::vector<std::string> Items;
  bool HasExpr = containsAll(Set, ExprFirst);
  bool HasContinuation = containsAll(Set, ExprContinuation);
  if (containsAll(Set, DeclFirst)) {
    Items.push_back("declaration");
    removeAll(Set, DeclFirst);
    Set.remove(Token::EOF);
  }
  if (containsAll(Set, StmtFirst)) {
    Items.push_back("statement");
    removeAll(Set, StmtFirst);
  }
  if (containsAll(Set, MemberFirst)) {
    Items.push_back("layer member");
    removeAll(Set, MemberFirst);
  }
  if (HasExpr) {
    Items.push_back("expression");
    removeAll(Set, ExprFirst);
  }
  if (HasContinuation)
    removeAll(Set, ExprContinuation);
  // A backward rule is optional wherever it may appear; when the ';' that
  // ends the declaration also fits, the ';' is what is missing.
  if (Set.contains(static_cast<size_t>(NNParser::SEMI)))
    Set.remove(static_cast<size_t>(NNParser::BACKWARD));

  bool SaidNumber = false;
  for (ssize_t T : Set.toList()) {
    if (static_cast<size_t>(T) == Token::EOF) {
      Items.push_back("end of input");
    } else if (T == NNParser::IDENT) {
      Items.push_back("identifier");
    } else if (T == NNParser::INT || T == NNParser::FLOAT) {
      if (!SaidNumber)
        Items.push_back("number");
      SaidNumber = true;
    } else {
      std::string Name = Vocab.getLiteralName(static_cast<size_t>(T));
      Items.push_back(
          Name.empty() ? Vocab.getDisplayName(static_cast<size_t>(T)) : Name);
    }
  }
  return Items;
}

Token *SyntaxErrorReporter::getPreviousToken(Token *T) {
  size_t Index = T->getTokenIndex();
  if (Index == INVALID_INDEX)
    return nullptr;
  while (Index > 0) {
    Token *Prev = Tokens.get(--Index);
    if (Prev->getChannel() == Token::DEFAULT_CHANNEL)
      return Prev;
  }
  return nullptr;
}

bool SyntaxErrorReporter::claim(llvm::SMLoc Loc) {
  if (Diags.isSaturated())
    throw StopParsing();
  return ReportedLocs.insert(Loc.getPointer()).second;
}

void SyntaxErrorReporter::report(Token *Offending, const IntervalSet &Expected,
                                 bool Extra) {
  // Lexical errors come first, the offending token's own included (an
  // invalid number that is also misplaced).
  size_t Index = Offending->getTokenIndex();
  if (Index != INVALID_INDEX)
    Lexical.reportBefore(Index + 1);
  // A character the lexer could not use was reported already, and its
  // removal is the likely cause of this error: say nothing more.
  if (Index != INVALID_INDEX && Index > 0 &&
      Tokens.get(Index - 1)->getType() == NNParser::ERROR_CHAR)
    return;
  std::vector<std::string> Items = describeExpected(Expected);
  std::string What = describeToken(Offending);
  if (Items.size() == 1 && !Extra) {
    // `expected ';'` goes where the ';' belongs: right after the previous
    // token, which is usually on the line the user has to fix.
    llvm::SMLoc Loc = Locs.getStart(Offending);
    if (Items[0] == "';'")
      if (Token *Prev = getPreviousToken(Offending))
        Loc = Locs.getEnd(Prev);
    if (!claim(Loc))
      return;
    Diags.report(Loc, DiagID::err_expected, Items[0]);
  } else {
    llvm::SMRange Range = Locs.getRange(Offending);
    if (!claim(Range.Start))
      return;
    if (Items.empty() || Items.size() > 4) {
      Diags.report(Range, DiagID::err_unexpected_token_simple, What);
    } else {
      std::string List;
      for (size_t I = 0, E = Items.size(); I != E; ++I) {
        if (I)
          List += I + 1 == E ? " or " : ", ";
        List += Items[I];
      }
      Diags.report(Range, DiagID::err_unexpected_token, What, List);
    }
  }
  noteLikelyIntent(Offending);
  if (Diags.isSaturated())
    throw StopParsing();
}

void SyntaxErrorReporter::noteLikelyIntent(Token *Offending) {
  Token *Prev = getPreviousToken(Offending);
  if (!Prev)
    return;
  size_t Type = Offending->getType(), PrevType = Prev->getType();
  // `x ** 2`, as in Python: the second '*' is where parsing fails.
  if (Type == NNParser::STAR && PrevType == NNParser::STAR &&
      Locs.getEnd(Prev) == Locs.getStart(Offending))
    Diags.report(Locs.getRange(Offending), DiagID::note_power_operator);
}

//===----------------------------------------------------------------------===//
// NNErrorStrategy
//===----------------------------------------------------------------------===//

void NNErrorStrategy::reportError(antlr4::Parser *P,
                                  const antlr4::RecognitionException &E) {
  // As DefaultErrorStrategy: stay quiet until a token matched again, so one
  // mistake gives one message.
  if (inErrorRecoveryMode(P))
    return;
  beginErrorCondition(P);
  if (const auto *NVA = dynamic_cast<const antlr4::NoViableAltException *>(&E))
    reportNoViableAlternative(P, *NVA);
  else if (const auto *IM =
               dynamic_cast<const antlr4::InputMismatchException *>(&E))
    reportInputMismatch(P, *IM);
  else if (const auto *FP =
               dynamic_cast<const antlr4::FailedPredicateException *>(&E))
    reportFailedPredicate(P, *FP);
  else
    Reporter.report(E.getOffendingToken() ? E.getOffendingToken()
                                          : P->getCurrentToken(),
                    IntervalSet());
}

void NNErrorStrategy::reportNoViableAlternative(
    antlr4::Parser *P, const antlr4::NoViableAltException &E) {
  Token *Offending =
      E.getOffendingToken() ? E.getOffendingToken() : P->getCurrentToken();
  // When prediction looked ahead several tokens, the expected set of the
  // decision state describes its first token, not the offending one. The
  // ATN configurations that died at the offending token know what they
  // wanted there.
  IntervalSet Expected;
  if (antlr4::atn::ATNConfigSet *Configs = E.getDeadEndConfigs()) {
    const antlr4::atn::ATN &ATN = P->getATN();
    for (const auto &Config : Configs->configs)
      if (Config && Config->state)
        Expected.addAll(ATN.nextTokens(Config->state));
    Expected.remove(Token::EPSILON);
  }
  if (Expected.isEmpty())
    Expected = E.getExpectedTokens();
  Reporter.report(Offending, Expected);
}

void NNErrorStrategy::reportInputMismatch(
    antlr4::Parser *P, const antlr4::InputMismatchException &E) {
  Reporter.report(E.getOffendingToken() ? E.getOffendingToken()
                                        : P->getCurrentToken(),
                  E.getExpectedTokens());
}

void NNErrorStrategy::reportFailedPredicate(
    antlr4::Parser *P, const antlr4::FailedPredicateException &E) {
  // The grammar's only predicates are the precedence checks of expr.
  Reporter.report(E.getOffendingToken() ? E.getOffendingToken()
                                        : P->getCurrentToken(),
                  IntervalSet());
}

void NNErrorStrategy::reportUnwantedToken(antlr4::Parser *P) {
  if (inErrorRecoveryMode(P))
    return;
  beginErrorCondition(P);
  Reporter.report(P->getCurrentToken(), P->getExpectedTokens(),
                  /*Extra=*/true);
}

void NNErrorStrategy::reportMissingToken(antlr4::Parser *P) {
  if (inErrorRecoveryMode(P))
    return;
  beginErrorCondition(P);
  Reporter.report(P->getCurrentToken(), P->getExpectedTokens());
}

void NNErrorStrategy::beginErrorCondition(antlr4::Parser *P) {
  DeclarationFailed = true;
  DefaultErrorStrategy::beginErrorCondition(P);
}

void NNErrorStrategy::beginDeclaration(antlr4::Parser *P) {
  DeclarationFailed = false;
  if (!inErrorRecoveryMode(P))
    return;
  size_t Index = P->getCurrentToken()->getTokenIndex();
  if (Index != INVALID_INDEX && lastErrorIndex >= 0 &&
      Index > static_cast<size_t>(lastErrorIndex))
    endErrorCondition(P);
}

void NNErrorStrategy::sync(antlr4::Parser *P) {
  if (inErrorRecoveryMode(P))
    return;
  const antlr4::atn::ATN &ATN = P->getATN();
  antlr4::atn::ATNState *State = ATN.states[P->getState()];
  size_t LA = P->getTokenStream()->LA(1);
  const IntervalSet &Next = ATN.nextTokens(State);
  if (Next.contains(Token::EPSILON) || Next.contains(LA))
    return;
  // DefaultErrorStrategy throws at the entry of a `x*` loop that cannot
  // start, and the rule then resynchronises on its follow set: a stray token
  // before the first declaration would swallow the whole file. Treat the
  // entry like ANTLR treats the loop's back edge instead: report, skip to
  // something that can start an element or follow the loop, and go on.
  if (State->getStateType() == antlr4::atn::ATNState::STAR_LOOP_ENTRY) {
    reportUnwantedToken(P);
    IntervalSet Resync = P->getExpectedTokens();
    Resync.addAll(getErrorRecoverySet(P));
    consumeUntil(P, Resync);
    return;
  }
  DefaultErrorStrategy::sync(P);
}

//===----------------------------------------------------------------------===//
// LexerErrorListener
//===----------------------------------------------------------------------===//

void LexerErrorListener::syntaxError(antlr4::Recognizer *, Token *, size_t,
                                     size_t, const std::string &Msg,
                                     std::exception_ptr E) {
  size_t Index = INVALID_INDEX;
  try {
    if (E)
      std::rethrow_exception(E);
  } catch (antlr4::LexerNoViableAltException &Ex) {
    Index = Ex.getStartIndex();
  } catch (...) {
  }
  if (!Diags.isSaturated())
    Diags.report(Locs.getLoc(Index), DiagID::err_syntax, Msg);
}
