//===- IRParserImpl.h - The IR parser's lexer and parser --------*- C++ -*-===//
//
// Private to lib/IR: the tokens, the lexer (IRLexer.cpp) and the parser
// class, whose syntax is in IRParser.cpp (declarations), IRParseTypes.cpp
// and IRParseOps.cpp, and whose checks of the parsed module are in
// IRModuleChecks.cpp. IRParser.cpp's header says what the parser reads and
// checks.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_IR_IRPARSERIMPL_H
#define NNC_LIB_IR_IRPARSERIMPL_H

#include "nnc/IR/IR.h"
#include "nnc/Support/Diagnostics.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include <memory>
#include <optional>
#include <vector>

namespace nnc::ir::irparser {

enum class TokKind {
  Eof,
  Error, // already reported
  Ident,
  Global, // @name
  Local,  // %name
  Number,
  LParen,
  RParen,
  LBrace,
  RBrace,
  Comma,
  Colon,
  LBracket,
  RBracket,
  Star,
  Equal,
  Arrow,
};

struct Token {
  TokKind Kind = TokKind::Eof;
  /// The spelling, sigil included.
  llvm::StringRef Text;

  llvm::SMLoc getLoc() const { return llvm::SMLoc::getFromPointer(Text.data()); }
  llvm::SMRange getRange() const {
    return llvm::SMRange(getLoc(),
                         llvm::SMLoc::getFromPointer(Text.data() + Text.size()));
  }
  /// The name of a Global or Local, without its sigil.
  llvm::StringRef getName() const { return Text.drop_front(); }
};

class Lexer {
public:
  Lexer(llvm::StringRef Text, DiagnosticEngine &Diags, bool &Failed)
      : Cur(Text.begin()), End(Text.end()), Diags(Diags), Failed(Failed) {}

  Token lex();
  /// A quiet lexer reports nothing: it skips text after an error, or looks
  /// ahead.
  void setQuiet(bool Q) { Quiet = Q; }

private:
  Token make(TokKind K, const char *Start) {
    return Token{K, llvm::StringRef(Start, Cur - Start)};
  }
  Token lexNumber(const char *Start);
  Token error(const char *Start);

  const char *Cur;
  const char *End;
  DiagnosticEngine &Diags;
  bool &Failed;
  bool Quiet = false;
};

/// The signature of a function, or of a derived function once AD builds it.
struct Signature {
  std::vector<Type> Params;
  Type Result;
};

/// Where the parts of a derived declaration were written.
struct DerivedLocs {
  llvm::SMLoc Kind, Of;
  std::vector<llvm::SMLoc> Wrt;
};

class IRParser {
public:
  IRParser(const llvm::MemoryBuffer &Buffer, DiagnosticEngine &Diags)
      : Diags(Diags), Lex(Buffer.getBuffer(), Diags, Failed) {
    M = std::make_unique<Module>();
    M->Name = Buffer.getBufferIdentifier().str();
  }

  /// The module, or null after an error (reported).
  std::unique_ptr<Module> run();

private:
  /// The values of the function being parsed.
  struct FunctionState {
    Function &F;
    llvm::StringMap<ValueId> Values;
    /// Every name written so far: the names the printer had claimed when
    /// it printed the next one.
    llvm::StringSet<> Used;
    /// The value the current op defines.
    llvm::StringRef Defining;
  };

  // Tokens.
  void consume() { Tok = Lex.lex(); }
  bool is(TokKind K) const { return Tok.Kind == K; }
  bool isKeyword(llvm::StringRef KW) const {
    return Tok.Kind == TokKind::Ident && Tok.Text == KW;
  }
  bool consumeIf(TokKind K) {
    if (!is(K))
      return false;
    consume();
    return true;
  }
  /// Reports the current token where \p Expected was needed; false.
  bool unexpected(llvm::StringRef Expected);
  bool expect(TokKind K, llvm::StringRef Expected) {
    return consumeIf(K) || unexpected(Expected);
  }
  bool expectKeyword(llvm::StringRef KW) {
    if (!isKeyword(KW))
      return unexpected("'" + KW.str() + "'");
    consume();
    return true;
  }
  /// Skips to the next `func` (or the end).
  void recover();

  template <typename... Ts>
  bool error(llvm::SMLoc Loc, DiagID ID, Ts &&...Args) {
    Diags.report(Loc, ID, std::forward<Ts>(Args)...);
    Failed = true;
    return false;
  }

  // Declarations.
  bool parseDecl();
  bool parseFunction(const Token &Name, bool Internal);
  bool parseDerived(const Token &Name, bool Internal);
  bool parseInstance();
  bool parseABIStruct(Function::ABIStruct &S, bool IsResult);
  bool declareGlobal(const Token &Name);
  bool parseType(Type &T, unsigned Depth = 0);
  bool parseDim(Dim &D);
  bool parseAttribute(llvm::StringRef Name, unsigned &Value);
  /// `name=N` (both axes) or `name=[R, C]`: a window's kernel, stride or
  /// padding.
  bool parseAttribute(llvm::StringRef Name, std::array<unsigned, 2> &Value);
  bool parseKeywordAttr(Op &O);
  bool parseTensorConstant(Op &O);
  bool parseIndex(unsigned &Index);

  // Function bodies.
  bool parseOp(FunctionState &S);
  bool parseValue(FunctionState &S, ValueId &V);
  bool parseValueList(FunctionState &S, Op &O);
  bool parseConstant(Op &O, const Token &Literal);
  /// False, with an error, if \p Name is defined already.
  bool checkUndefined(FunctionState &S, const Token &Name);
  bool define(FunctionState &S, const Token &Name, Op O);
  bool isDefinedLater(llvm::StringRef Name) const;

  // Checks of the whole module.
  bool verifyFunctions();
  bool checkDerived();
  std::optional<Signature> checkDerivedDecl(size_t Index);
  std::optional<Signature> trainStepSignature(const DerivedDecl &D,
                                              const Signature &Of);
  bool checkCallGraph();
  bool checkSignatures();
  std::optional<Signature> getSignature(llvm::StringRef Name) const;

  DiagnosticEngine &Diags;
  bool Failed = false;
  Lexer Lex;
  Token Tok;
  std::unique_ptr<Module> M;
  /// Every function and derived function declared, for redefinitions.
  llvm::StringMap<llvm::SMLoc> Globals;
  std::vector<DerivedLocs> DerivedAt;
  /// Where each function says `backward @g`.
  llvm::StringMap<llvm::SMLoc> BackwardAt;
  /// Signatures of the derived declarations, in order, once checked; none
  /// for those with an error.
  std::vector<std::optional<Signature>> DerivedSigs;
};

} // namespace nnc::ir::irparser

#endif // NNC_LIB_IR_IRPARSERIMPL_H
