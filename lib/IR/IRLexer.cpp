//===- IRLexer.cpp - The IR's tokens --------------------------------------===//
//
// The lexer of IRParser.cpp: names with their sigils (`@f`, `%x`), numbers
// read greedily, punctuation; whitespace and `;` comments skipped, and a
// character that starts no token reported once.
//
//===----------------------------------------------------------------------===//
#include "IRParserImpl.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FormatVariadic.h"

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::irparser;

static bool isNameChar(char C) {
  return llvm::isAlnum(C) || C == '_' || C == '.';
}

Token Lexer::lex() {
  // Whitespace and `;` comments.
  while (Cur != End) {
    if (*Cur == ';') {
      while (Cur != End && *Cur != '\n')
        ++Cur;
    } else if (*Cur == ' ' || *Cur == '\t' || *Cur == '\n' || *Cur == '\r' ||
               *Cur == '\f' || *Cur == '\v') {
      ++Cur;
    } else {
      break;
    }
  }
  const char *Start = Cur;
  if (Cur == End)
    return make(TokKind::Eof, Start);
  char C = *Cur++;
  switch (C) {
  case '(':
    return make(TokKind::LParen, Start);
  case ')':
    return make(TokKind::RParen, Start);
  case '{':
    return make(TokKind::LBrace, Start);
  case '}':
    return make(TokKind::RBrace, Start);
  case ',':
    return make(TokKind::Comma, Start);
  case '[':
    return make(TokKind::LBracket, Start);
  case ']':
    return make(TokKind::RBracket, Start);
  case '*':
    return make(TokKind::Star, Start);
  case ':':
    return make(TokKind::Colon, Start);
  case '=':
    return make(TokKind::Equal, Start);
  case '-':
    if (Cur != End && *Cur == '>') {
      ++Cur;
      return make(TokKind::Arrow, Start);
    }
    if (Cur != End && (llvm::isAlnum(*Cur) || *Cur == '.'))
      return lexNumber(Start); // -1, -0.5, -inf, -nan
    Cur = Start;
    return error(Start);
  case '@':
  case '%': {
    while (Cur != End && isNameChar(*Cur))
      ++Cur;
    if (Cur - Start > 1)
      return make(C == '@' ? TokKind::Global : TokKind::Local, Start);
    if (!Quiet) {
      Diags.report(llvm::SMLoc::getFromPointer(Start), DiagID::err_expected,
                   std::string("a name after '") + C + "'");
      Failed = true;
    }
    return make(TokKind::Error, Start);
  }
  default:
    break;
  }
  if (llvm::isDigit(C))
    return lexNumber(Start);
  if (llvm::isAlpha(C) || C == '_') {
    while (Cur != End && isNameChar(*Cur))
      ++Cur;
    return make(TokKind::Ident, Start);
  }
  Cur = Start;
  return error(Start);
}

/// A number is read greedily, letters included (`1e+300`, `-inf`, `12ab`);
/// whoever needs its value checks it.
Token Lexer::lexNumber(const char *Start) {
  while (Cur != End) {
    char C = *Cur;
    if (isNameChar(C)) {
      ++Cur;
      continue;
    }
    // The sign of an exponent.
    if ((C == '+' || C == '-') && (Cur[-1] == 'e' || Cur[-1] == 'E') &&
        llvm::isDigit(Start[*Start == '-' ? 1 : 0])) {
      ++Cur;
      continue;
    }
    break;
  }
  return make(TokKind::Number, Start);
}

/// Reports the character at \p Start, which starts no token, and steps
/// over it (a whole UTF-8 sequence when it is one).
Token Lexer::error(const char *Start) {
  unsigned char C = static_cast<unsigned char>(*Start);
  size_t Len = 1;
  llvm::SMLoc Loc = llvm::SMLoc::getFromPointer(Start);
  if (C >= 0x80) {
    Len = llvm::getNumBytesForUTF8(C);
    llvm::UTF32 CodePoint = 0;
    const auto *Src = reinterpret_cast<const llvm::UTF8 *>(Start);
    if (Len > static_cast<size_t>(End - Start) ||
        llvm::convertUTF8Sequence(&Src, Src + Len, &CodePoint,
                                  llvm::strictConversion) != llvm::conversionOK) {
      Len = 1;
      if (!Quiet)
        Diags.report(Loc, DiagID::err_invalid_utf8);
    } else if (!Quiet) {
      Diags.report(llvm::SMRange(Loc, llvm::SMLoc::getFromPointer(Start + Len)),
                   DiagID::err_unexpected_unicode_char,
                   llvm::formatv("{0:X-4}", CodePoint).str(),
                   " '" + std::string(Start, Len) + "'");
    }
  } else if (!Quiet) {
    if (llvm::isPrint(C))
      Diags.report(Loc, DiagID::err_unexpected_char, std::string(1, C));
    else
      Diags.report(Loc, DiagID::err_unexpected_unicode_char,
                   llvm::formatv("{0:X-4}", unsigned(C)).str(), "");
  }
  Failed |= !Quiet;
  Cur = Start + Len;
  return make(TokKind::Error, Start);
}
