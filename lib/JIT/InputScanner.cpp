//===- InputScanner.cpp ---------------------------------------------------===//
#include "nnc/JIT/InputScanner.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

using namespace nnc::jit;

namespace {

/// What a scan of the whole text found.
struct ScanResult {
  int OpenBrackets = 0;
  bool InBlockComment = false;
  /// The last token outside comments: a punctuation character, or a word.
  char LastChar = 0;
  llvm::StringRef LastWord;
  llvm::StringRef FirstWord;
  char FirstChar = 0;
};

ScanResult scan(llvm::StringRef Text) {
  ScanResult R;
  size_t I = 0, N = Text.size();
  auto Note = [&](char C, llvm::StringRef Word) {
    if (!R.FirstChar) {
      R.FirstChar = C;
      R.FirstWord = Word;
    }
    R.LastChar = C;
    R.LastWord = Word;
  };
  while (I < N) {
    char C = Text[I];
    if (C == '/' && I + 1 < N && Text[I + 1] == '/') {
      while (I < N && Text[I] != '\n')
        ++I;
      continue;
    }
    if (C == '/' && I + 1 < N && Text[I + 1] == '*') {
      size_t End = Text.find("*/", I + 2);
      if (End == llvm::StringRef::npos) {
        R.InBlockComment = true;
        return R;
      }
      I = End + 2;
      continue;
    }
    if (llvm::isSpace(C)) {
      ++I;
      continue;
    }
    if (llvm::isAlnum(C) || C == '_' || C == '.') {
      size_t Start = I;
      while (I < N && (llvm::isAlnum(Text[I]) || Text[I] == '_' ||
                       Text[I] == '.'))
        ++I;
      Note(C, Text.slice(Start, I));
      continue;
    }
    if (C == '(' || C == '[' || C == '{')
      ++R.OpenBrackets;
    else if ((C == ')' || C == ']' || C == '}') && R.OpenBrackets > 0)
      --R.OpenBrackets;
    Note(C, llvm::StringRef());
    ++I;
  }
  return R;
}

} // namespace

InputKind nnc::jit::classifyInput(llvm::StringRef Text) {
  ScanResult R = scan(Text);
  if (!R.FirstChar)
    return R.InBlockComment ? InputKind::Expression : InputKind::Empty;
  if (R.FirstChar == ':')
    return InputKind::Command;
  if (R.FirstWord == "fn" || R.FirstWord == "let" || R.FirstWord == "layer")
    return InputKind::Declaration;
  return InputKind::Expression;
}

bool nnc::jit::isInputComplete(llvm::StringRef Text) {
  ScanResult R = scan(Text);
  // A command is one line, whatever its argument holds.
  if (R.FirstChar == ':')
    return true;
  if (R.InBlockComment || R.OpenBrackets > 0)
    return false;
  if (!R.LastWord.empty())
    return !llvm::StringSwitch<bool>(R.LastWord)
                .Cases("fn", "let", "layer", "param", "return", "if", "else",
                       "backward", true)
                .Default(false);
  switch (R.LastChar) {
  case '=': case '+': case '-': case '*': case '/': case '@': case '^':
  case '!': case '<': case '>': case '&': case '|': case ',': case ':':
    return false;
  default:
    return true;
  }
}

bool nnc::jit::endsWithToken(llvm::StringRef Text, char Token) {
  ScanResult R = scan(Text);
  return R.LastWord.empty() && R.LastChar == Token;
}
