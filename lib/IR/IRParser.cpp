//===- IRParser.cpp - The IR's textual form, read back --------------------===//
//
// A hand-written lexer and recursive-descent parser for what Printer.cpp
// writes:
//
//   module   ::= (function | derived | instance)*
//   function ::= 'func' 'internal'? GLOBAL '(' (LOCAL ':' type (',' ...)*)? ')'
//                '->' type ('results' '(' (IDENT (',' IDENT)*)? ')')?
//                ('param_struct' '(' INT ',' INT ',' IDENT ')')?
//                ('result_struct' '(' INT ',' INT ',' IDENT (',' 'grads')? ')')?
//                ('backward' GLOBAL)? '{' op* 'return' LOCAL '}'
//   instance ::= 'instance' IDENT '{' (IDENT ':' type (',' ...)*)? '}'
//   derived  ::= 'func' 'internal'? GLOBAL '=' ('grad' | 'value_and_grad' |
//                'vjp') GLOBAL 'wrt' '(' (INT (',' INT)*)? ')'
//                ('param_struct' ...)? ('result_struct' ...)?
//   op       ::= LOCAL '=' OPNAME operands ':' type
//   type     ::= ('bool' | 'i32' | 'i64' | 'f32' | 'f64') ('[' dim (',' dim)* ']')?
//              | '(' (type (',' type)*)? ')'
//   dim      ::= (INT | IDENT) ('*' (INT | IDENT))*
//
// where GLOBAL is `@name`, LOCAL `%name`, and the operands of an op are
// spelled as the printer spells them (`const 1.5`, `call @f(%a, %b)`,
// `extract %t, 1`, `add %a, %b`, `reduce_sum %x axis=1`, `dim 2*n`,
// `const [1, 2] : f64[2]`). Line breaks are whitespace; `;` starts a
// comment. After a syntax error the parser skips to the next `func`, so
// every declaration reports at most one error.
//
// Types are taken as written. Once the text parsed, the module is checked
// in stages, each only if the previous one passed:
//   1. ir::verifyFunction on every function (types, operands, callees);
//   2. the derived declarations, as Sema checks grad(...) in .nn source,
//      since AD trusts them: the function exists, the result and the wrt
//      parameters are floats, the indices are in range and distinct;
//   3. no recursion (AD would expand it forever), and every derived
//      function a derived declaration needs is declared before it (AD
//      materializes them in order);
//   4. calls to pending derived functions match the signatures AD will
//      give them, and backward rules have the signature AD calls them with.
//
//===----------------------------------------------------------------------===//
#include "nnc/IR/IRParser.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/MemoryBuffer.h"
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <system_error>

using namespace nnc;
using namespace nnc::ir;

namespace {

/// Deepest nesting of tuple types accepted; the parser, the printer and the
/// verifier all recurse on it.
constexpr unsigned MaxTypeDepth = 256;

//===----------------------------------------------------------------------===//
// Lexer
//===----------------------------------------------------------------------===//

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

bool isNameChar(char C) {
  return llvm::isAlnum(C) || C == '_' || C == '.';
}

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

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::optional<OpKind> lookupOpKind(llvm::StringRef Name) {
#define OP(Kind, Spelling, NumOperands, Class, Attr, Props)                    \
  if (Name == Spelling)                                                        \
    return OpKind::Kind;
#include "nnc/IR/Ops.def"
  return std::nullopt;
}

std::optional<DeriveKind> lookupDeriveKind(llvm::StringRef Name) {
  for (DeriveKind K : {DeriveKind::Grad, DeriveKind::ValueAndGrad,
                       DeriveKind::Vjp, DeriveKind::TrainStep})
    if (getDeriveKindName(K) == Name)
      return K;
  return std::nullopt;
}

bool isAllDigits(llvm::StringRef S) {
  return !S.empty() && llvm::all_of(S, llvm::isDigit);
}

bool hasFloatLeaves(const Type &T) {
  if (T.isLeaf())
    return T.isFloat();
  return !T.getElements().empty() &&
         llvm::all_of(T.getElements(), hasFloatLeaves);
}

std::string joinTypes(llvm::ArrayRef<Type> Types) {
  std::string S;
  for (size_t I = 0; I < Types.size(); ++I)
    S += (I ? ", " : "") + Types[I].str();
  return S;
}

/// The signature of a function, or of a derived function once AD builds it.
struct Signature {
  std::vector<Type> Params;
  Type Result;
};

/// The signature AD gives `Kind(Of) wrt Wrt` (mirrors Sema's resolveDerive
/// and AD's differentiate): Of's parameters, then for vjp one upstream
/// scalar per component of Of's result; the gradients of the Wrt
/// parameters, one value or a tuple, preceded by the value for
/// value_and_grad.
Signature deriveSignature(DeriveKind Kind, const Signature &Of,
                          llvm::ArrayRef<unsigned> Wrt) {
  Signature S;
  S.Params = Of.Params;
  if (Kind == DeriveKind::Vjp)
    for (Type &L : flattenLeaves(Of.Result))
      S.Params.push_back(std::move(L));
  std::vector<Type> Grads;
  for (unsigned I : Wrt)
    Grads.push_back(Of.Params[I]);
  Type G = Grads.size() == 1 ? Grads[0] : Type::tuple(Grads);
  S.Result = Kind == DeriveKind::ValueAndGrad ? Type::tuple({Of.Result, G}) : G;
  return S;
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

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

bool IRParser::unexpected(llvm::StringRef Expected) {
  if (is(TokKind::Error)) // the lexer has reported it
    return false;
  std::string What;
  switch (Tok.Kind) {
  case TokKind::Eof:
    What = "end of file";
    break;
  case TokKind::Global:
    What = "function name '" + Tok.Text.str() + "'";
    break;
  case TokKind::Local:
    What = "value '" + Tok.Text.str() + "'";
    break;
  case TokKind::Number:
    What = "number '" + Tok.Text.str() + "'";
    break;
  default: // identifiers and punctuation
    What = "'" + Tok.Text.str() + "'";
    break;
  }
  return error(Tok.getLoc(), DiagID::err_unexpected_token, What, Expected);
}

void IRParser::recover() {
  Lex.setQuiet(true);
  while (!is(TokKind::Eof) && !isKeyword("func") && !isKeyword("instance"))
    consume();
  Lex.setQuiet(false);
}

std::unique_ptr<Module> IRParser::run() {
  consume();
  while (!is(TokKind::Eof) && !Diags.isSaturated()) {
    if (isKeyword("instance")) {
      if (!parseInstance())
        recover();
      continue;
    }
    if (!isKeyword("func")) {
      unexpected("'func' or 'instance'");
      recover();
      continue;
    }
    if (!parseDecl())
      recover();
  }
  if (Failed || !verifyFunctions() || !checkDerived() || !checkCallGraph() ||
      !checkSignatures())
    return nullptr;
  return std::move(M);
}

bool IRParser::declareGlobal(const Token &Name) {
  auto [It, Inserted] = Globals.try_emplace(Name.getName(), Name.getLoc());
  if (Inserted)
    return true;
  error(Name.getLoc(), DiagID::err_redefinition, Name.Text);
  Diags.report(It->second, DiagID::note_previous_definition);
  return false;
}

bool IRParser::parseDecl() {
  consume(); // func
  bool Internal = false;
  if (isKeyword("internal")) {
    Internal = true;
    consume();
  }
  if (!is(TokKind::Global))
    return unexpected("a function name");
  Token Name = Tok;
  consume();
  if (!declareGlobal(Name))
    return false;
  if (is(TokKind::Equal))
    return parseDerived(Name, Internal);
  if (is(TokKind::LParen))
    return parseFunction(Name, Internal);
  return unexpected("'(' or '='");
}

bool IRParser::parseType(Type &T, unsigned Depth) {
  if (is(TokKind::Ident)) {
    std::optional<ElementKind> K = parseElementKind(Tok.Text);
    if (!K)
      return error(Tok.getLoc(), DiagID::err_unknown_type, Tok.Text);
    T = Type::scalar(*K);
    llvm::SMLoc Start = Tok.getLoc();
    consume();
    if (!consumeIf(TokKind::LBracket))
      return true;
    Shape S;
    do {
      Dim D;
      if (!parseDim(D))
        return false;
      S.push_back(std::move(D));
    } while (consumeIf(TokKind::Comma));
    if (!expect(TokKind::RBracket, "',' or ']'"))
      return false;
    if (!getNumElements(S).isValid())
      return error(Start, DiagID::err_dim_too_large);
    T = Type::tensor(*K, std::move(S));
    if (!getByteSize(*K, T.getShape()).isValid())
      return error(Start, DiagID::err_tensor_too_large, T.str());
    return true;
  }
  if (!is(TokKind::LParen))
    return unexpected("a type");
  if (Depth >= MaxTypeDepth)
    return error(Tok.getLoc(), DiagID::err_bracket_depth, MaxTypeDepth);
  consume();
  std::vector<Type> Elements;
  if (!is(TokKind::RParen)) {
    do {
      Type E;
      if (!parseType(E, Depth + 1))
        return false;
      Elements.push_back(std::move(E));
    } while (consumeIf(TokKind::Comma));
  }
  if (!expect(TokKind::RParen, "',' or ')'"))
    return false;
  T = Type::tuple(std::move(Elements));
  return true;
}

bool IRParser::parseDim(Dim &D) {
  D = Dim::constant(1);
  do {
    if (is(TokKind::Number)) {
      int64_t N = 0;
      if (Tok.Text.getAsInteger(10, N) || N < 0)
        return error(Tok.getLoc(), DiagID::err_bad_number, Tok.Text);
      D = D * Dim::constant(N);
    } else if (is(TokKind::Ident)) {
      D = D * Dim::var(Tok.Text);
    } else {
      return unexpected("a dimension");
    }
    consume();
  } while (consumeIf(TokKind::Star));
  if (!D.isValid())
    return error(Tok.getLoc(), DiagID::err_dim_too_large);
  return true;
}

bool IRParser::parseAttribute(llvm::StringRef Name, unsigned &Value) {
  if (!expectKeyword(Name) || !expect(TokKind::Equal, "'='"))
    return false;
  if (!is(TokKind::Number))
    return unexpected("an integer");
  if (Tok.Text.getAsInteger(10, Value))
    return error(Tok.getLoc(), DiagID::err_bad_number, Tok.Text);
  consume();
  return true;
}

bool IRParser::parseAttribute(llvm::StringRef Name,
                              std::array<unsigned, 2> &Value) {
  if (!expectKeyword(Name) || !expect(TokKind::Equal, "'='"))
    return false;
  bool List = consumeIf(TokKind::LBracket);
  for (unsigned I = 0; I < (List ? 2 : 1); ++I) {
    if (I && !expect(TokKind::Comma, "','"))
      return false;
    if (!is(TokKind::Number))
      return unexpected("an integer");
    if (Tok.Text.getAsInteger(10, Value[I]))
      return error(Tok.getLoc(), DiagID::err_bad_number, Tok.Text);
    consume();
  }
  if (!List) {
    Value[1] = Value[0];
    return true;
  }
  return expect(TokKind::RBracket, "']'");
}

/// The `name=value` attribute after the operands (Printer.cpp's
/// printKeywordAttr), for the op kinds that carry one.
bool IRParser::parseKeywordAttr(Op &O) {
  unsigned V = 0;
  switch (getAttrKind(O.Kind)) {
  case AttrKind::None:
  case AttrKind::Index: // extract's: parsed as an operand
  case AttrKind::Dim:   // dim's: parsed in place of operands
    return true;
  case AttrKind::Axis:
    if (!parseAttribute("axis", V))
      return false;
    O.setAxis(V);
    return true;
  case AttrKind::Stream:
    if (!parseAttribute("stream", V))
      return false;
    O.setStream(V);
    return true;
  // Slicing and permutation (issue 12, tensorops): `step=[1, 2]`,
  // `perm=[0, 2, 1]`; inferType checks the values.
  case AttrKind::Steps:
  case AttrKind::Perm: {
    bool IsSteps = getAttrKind(O.Kind) == AttrKind::Steps;
    if (!expectKeyword(IsSteps ? "step" : "perm") ||
        !expect(TokKind::Equal, "'='") || !expect(TokKind::LBracket, "'['"))
      return false;
    llvm::SmallVector<int64_t, 4> Values;
    do {
      if (!is(TokKind::Number))
        return unexpected("an integer");
      // A step is any positive int64_t, an axis an unsigned.
      int64_t X = 0;
      if (Tok.Text.getAsInteger(10, X) || X < 0 ||
          (!IsSteps && X > std::numeric_limits<unsigned>::max()))
        return error(Tok.getLoc(), DiagID::err_bad_number, Tok.Text);
      Values.push_back(X);
      consume();
    } while (consumeIf(TokKind::Comma));
    if (!expect(TokKind::RBracket, "',' or ']'"))
      return false;
    if (IsSteps) {
      O.setSteps(Values);
    } else {
      llvm::SmallVector<unsigned, 4> Perm(Values.begin(), Values.end());
      O.setPerm(Perm);
    }
    return true;
  }
  case AttrKind::Window: {
    // Convolution and pooling (issue 12): `[kernel=K] stride=S padding=P`,
    // the kernel for the pools only (the type rule checks which), each
    // one integer or [rows, columns].
    Window W;
    if (is(TokKind::Ident) && Tok.Text == "kernel" &&
        !parseAttribute("kernel", W.Kernel))
      return false;
    if (!parseAttribute("stride", W.Stride) ||
        !parseAttribute("padding", W.Pad))
      return false;
    O.setWindow(W);
    return true;
  }
  }
  return true;
}

/// `[v, v, ...]`: the elements, row-major, read once the type is known.
bool IRParser::parseTensorConstant(Op &O) {
  consume(); // [
  std::vector<Token> Elements;
  if (!is(TokKind::RBracket)) {
    do {
      if (!is(TokKind::Number) && !is(TokKind::Ident))
        return unexpected("a constant");
      Elements.push_back(Tok);
      consume();
    } while (consumeIf(TokKind::Comma));
  }
  if (!expect(TokKind::RBracket, "',' or ']'"))
    return false;
  if (!expect(TokKind::Colon, "':'") || !parseType(O.Ty))
    return false;
  Dim N = getNumElements(O.Ty.getShape());
  if (!O.Ty.isTensor() || !N.isConstant() ||
      N.Factor != static_cast<int64_t>(Elements.size()))
    return error(O.Loc, DiagID::err_ir_bad_constant,
                 llvm::formatv("a list of {0} elements", Elements.size()).str(),
                 O.Ty.str());
  Type Elem = O.Ty.getElementType();
  for (const Token &E : Elements) {
    Op Scalar;
    Scalar.Ty = Elem;
    if (!parseConstant(Scalar, E))
      return false;
    O.Data.push_back(Scalar.getConstAsDouble());
  }
  return true;
}

bool IRParser::parseIndex(unsigned &Index) {
  if (!is(TokKind::Number))
    return unexpected("an index");
  if (Tok.Text.getAsInteger(10, Index))
    return error(Tok.getLoc(), DiagID::err_bad_number, Tok.Text);
  consume();
  return true;
}

bool IRParser::parseDerived(const Token &Name, bool Internal) {
  consume(); // =
  DerivedDecl D;
  DerivedLocs Locs;
  D.Name = Name.getName().str();
  D.Exported = !Internal;
  D.Loc = Name.getLoc();
  std::optional<DeriveKind> K =
      is(TokKind::Ident) ? lookupDeriveKind(Tok.Text) : std::nullopt;
  if (!K)
    return unexpected("'grad', 'value_and_grad', 'vjp' or 'train_step'");
  D.Kind = *K;
  Locs.Kind = Tok.getLoc();
  consume();
  if (!is(TokKind::Global))
    return unexpected("a function name");
  D.Of = Tok.getName().str();
  Locs.Of = Tok.getLoc();
  consume();
  if (!expectKeyword("wrt") || !expect(TokKind::LParen, "'('"))
    return false;
  if (!is(TokKind::RParen)) {
    do {
      Locs.Wrt.push_back(Tok.getLoc());
      unsigned Index = 0;
      if (!parseIndex(Index))
        return false;
      D.Wrt.push_back(Index);
    } while (consumeIf(TokKind::Comma));
  }
  if (!expect(TokKind::RParen, "',' or ')'"))
    return false;
  if (D.Kind == DeriveKind::TrainStep) {
    // `optimizer(adam)`
    if (!expectKeyword("optimizer") || !expect(TokKind::LParen, "'('"))
      return false;
    std::optional<Optimizer> O =
        is(TokKind::Ident) ? lookupOptimizer(Tok.Text) : std::nullopt;
    if (!O)
      return unexpected("'sgd', 'momentum', 'adam' or 'adamw'");
    D.Opt = *O;
    consume();
    if (!expect(TokKind::RParen, "')'"))
      return false;
  }
  if (isKeyword("param_struct")) {
    consume();
    if (!parseABIStruct(D.ParamStruct, /*IsResult=*/false))
      return false;
  }
  if (isKeyword("result_struct")) {
    consume();
    if (!parseABIStruct(D.ResultStruct, /*IsResult=*/true))
      return false;
  }
  if (isKeyword("state_struct")) {
    consume();
    if (!parseABIStruct(D.StateStruct, /*IsResult=*/false))
      return false;
  }
  M->Derived.push_back(std::move(D));
  DerivedAt.push_back(std::move(Locs));
  return true;
}

/// `(FIRST, COUNT, INSTANCE[, grads])`: a run of parameters or result
/// leaves that the C ABI passes as the instance's struct.
bool IRParser::parseABIStruct(Function::ABIStruct &S, bool IsResult) {
  if (!expect(TokKind::LParen, "'('") || !parseIndex(S.First) ||
      !expect(TokKind::Comma, "','") || !parseIndex(S.Count) ||
      !expect(TokKind::Comma, "','"))
    return false;
  if (!is(TokKind::Ident))
    return unexpected("an instance name");
  S.Instance = Tok.Text.str();
  consume();
  if (IsResult && consumeIf(TokKind::Comma)) {
    if (!expectKeyword("grads"))
      return false;
    S.IsGrads = true;
  }
  return expect(TokKind::RParen, "')'");
}

/// `instance net { fc1.W: f32[2, 3], fc1.b: f32[3] }`: the parameters of a
/// layer instance, the fields of its C structs.
bool IRParser::parseInstance() {
  consume(); // instance
  if (!is(TokKind::Ident))
    return unexpected("an instance name");
  Module::Instance I;
  I.Name = Tok.Text.str();
  consume();
  if (isKeyword("state")) {
    consume();
    I.IsState = true;
  }
  if (!expect(TokKind::LBrace, "'{'"))
    return false;
  if (!is(TokKind::RBrace)) {
    do {
      if (!is(TokKind::Ident))
        return unexpected("a parameter name");
      std::string Name = Tok.Text.str();
      consume();
      // `state NAME: T`: a state member (issue 12); they come last.
      bool IsStateField = false;
      if (Name == "state" && is(TokKind::Ident)) {
        Name = Tok.Text.str();
        consume();
        IsStateField = true;
      } else if (I.NumState) {
        return unexpected("a state member ('state NAME: TYPE'): they come "
                          "after the parameters");
      }
      I.NumState += IsStateField;
      Type T;
      if (!expect(TokKind::Colon, "':'") || !parseType(T))
        return false;
      I.Params.emplace_back(std::move(Name), std::move(T));
    } while (consumeIf(TokKind::Comma));
  }
  if (!expect(TokKind::RBrace, "',' or '}'"))
    return false;
  M->Instances.push_back(std::move(I));
  return true;
}

bool IRParser::parseFunction(const Token &Name, bool Internal) {
  auto F = std::make_unique<Function>(Name.getName().str());
  F->Exported = !Internal;
  F->Loc = Name.getLoc();
  FunctionState S{*F, {}, {}, {}};
  consume(); // (
  if (!is(TokKind::RParen)) {
    do {
      if (!is(TokKind::Local))
        return unexpected("a parameter");
      Token PName = Tok;
      consume();
      Op P;
      P.Kind = OpKind::Param;
      P.setIndex(static_cast<unsigned>(F->Ops.size()));
      if (!expect(TokKind::Colon, "':'") || !parseType(P.Ty) ||
          !define(S, PName, std::move(P)))
        return false;
    } while (consumeIf(TokKind::Comma));
  }
  if (!expect(TokKind::RParen, "',' or ')'") ||
      !expect(TokKind::Arrow, "'->'") || !parseType(F->ResultType))
    return false;
  if (isKeyword("results")) {
    consume();
    if (!expect(TokKind::LParen, "'('"))
      return false;
    if (!is(TokKind::RParen)) {
      do {
        if (!is(TokKind::Ident))
          return unexpected("a result name");
        F->ResultNames.push_back(Tok.Text.str());
        consume();
      } while (consumeIf(TokKind::Comma));
    }
    if (!expect(TokKind::RParen, "',' or ')'"))
      return false;
  }
  if (isKeyword("param_struct")) {
    consume();
    if (!parseABIStruct(F->ParamStruct, /*IsResult=*/false))
      return false;
  }
  if (isKeyword("result_struct")) {
    consume();
    if (!parseABIStruct(F->ResultStruct, /*IsResult=*/true))
      return false;
  }
  if (isKeyword("state_struct")) {
    consume();
    if (!parseABIStruct(F->StateStruct, /*IsResult=*/false))
      return false;
  }
  if (isKeyword("in_place")) {
    consume();
    F->InPlace = true;
    // `in_place(K)`: only fields K and up of the param_struct, the layer
    // state a method assigns (issue 12).
    if (consumeIf(TokKind::LParen)) {
      F->UpdatesLayerState = true;
      if (!parseIndex(F->InPlaceField) || !expect(TokKind::RParen, "')'"))
        return false;
    }
  }
  if (isKeyword("backward")) {
    consume();
    if (!is(TokKind::Global))
      return unexpected("a function name");
    F->BackwardFn = Tok.getName().str();
    BackwardAt[F->Name] = Tok.getLoc();
    consume();
  }
  if (!expect(TokKind::LBrace, "'{'"))
    return false;
  while (!isKeyword("return")) {
    if (!is(TokKind::Local))
      return unexpected("an op or 'return'");
    if (!parseOp(S))
      return false;
  }
  Op Ret;
  Ret.Kind = OpKind::Return;
  Ret.Loc = Tok.getLoc();
  consume();
  S.Defining = {};
  ValueId V = 0;
  if (!parseValue(S, V))
    return false;
  Ret.Operands = {V};
  Ret.Ty = F->typeOf(V);
  F->Ops.push_back(std::move(Ret));
  if (!expect(TokKind::RBrace, "'}' after the return"))
    return false;
  M->Functions.push_back(std::move(F));
  return true;
}

bool IRParser::parseOp(FunctionState &S) {
  Token Name = Tok;
  consume();
  if (!checkUndefined(S, Name) || !expect(TokKind::Equal, "'='"))
    return false;
  if (!is(TokKind::Ident))
    return unexpected("an op");
  Token OpName = Tok;
  std::optional<OpKind> K = lookupOpKind(OpName.Text);
  if (!K)
    return error(OpName.getLoc(), DiagID::err_ir_unknown_op, OpName.Text);
  if (*K == OpKind::Param)
    return error(OpName.getLoc(), DiagID::err_ir_misplaced_op, OpName.Text,
                 "parameters are declared in the function's signature");
  if (*K == OpKind::Return)
    return error(OpName.getLoc(), DiagID::err_ir_misplaced_op, OpName.Text,
                 "write 'return %value'");
  consume();

  Op O;
  O.Kind = *K;
  O.Loc = Name.getLoc();
  S.Defining = Name.getName();
  Token Literal;
  switch (*K) {
  case OpKind::Const:
    if (is(TokKind::LBracket)) {
      if (!parseTensorConstant(O))
        return false;
      return define(S, Name, std::move(O));
    }
    if (!is(TokKind::Number) && !is(TokKind::Ident))
      return unexpected("a constant");
    Literal = Tok;
    consume();
    break;
  case OpKind::Call:
    if (!is(TokKind::Global))
      return unexpected("a function name");
    O.Callee = Tok.getName().str();
    consume();
    if (!expect(TokKind::LParen, "'('"))
      return false;
    if (!is(TokKind::RParen) && !parseValueList(S, O))
      return false;
    if (!expect(TokKind::RParen, "',' or ')'"))
      return false;
    break;
  case OpKind::Extract: {
    ValueId V = 0;
    unsigned Index = 0;
    if (!parseValue(S, V) || !expect(TokKind::Comma, "','") ||
        !parseIndex(Index))
      return false;
    O.Operands = {V};
    O.setIndex(Index);
    break;
  }
  case OpKind::DimValue: {
    Dim D;
    if (!parseDim(D))
      return false;
    O.setDim(std::move(D));
    break;
  }
  default:
    if (!is(TokKind::Colon) && !is(TokKind::Ident) && !parseValueList(S, O))
      return false;
    if (!parseKeywordAttr(O))
      return false;
    int Arity = getOpArity(*K);
    if (Arity >= 0 && O.Operands.size() != static_cast<size_t>(Arity)) {
      size_t N = O.Operands.size();
      return error(OpName.getLoc(), DiagID::err_ir_operand_count, OpName.Text,
                   Arity, Arity == 1 ? "" : "s", N, N == 1 ? "was" : "were");
    }
    break;
  }
  if (!expect(TokKind::Colon, "':'") || !parseType(O.Ty))
    return false;
  if (O.Kind == OpKind::Const && !parseConstant(O, Literal))
    return false;
  return define(S, Name, std::move(O));
}

bool IRParser::parseValueList(FunctionState &S, Op &O) {
  do {
    ValueId V = 0;
    if (!parseValue(S, V))
      return false;
    O.Operands.push_back(V);
  } while (consumeIf(TokKind::Comma));
  return true;
}

bool IRParser::parseValue(FunctionState &S, ValueId &V) {
  if (!is(TokKind::Local))
    return unexpected("a value");
  llvm::StringRef Name = Tok.getName();
  auto It = S.Values.find(Name);
  if (It == S.Values.end()) {
    if (Name == S.Defining || isDefinedLater(Name))
      return error(Tok.getLoc(), DiagID::err_ir_use_before_def, Name);
    return error(Tok.getLoc(), DiagID::err_ir_undefined_value, Name);
  }
  V = It->second;
  consume();
  return true;
}

/// Whether `%Name =` follows in the current function.
bool IRParser::isDefinedLater(llvm::StringRef Name) const {
  Lexer Ahead = Lex;
  Ahead.setQuiet(true);
  Token T = Ahead.lex();
  while (T.Kind != TokKind::Eof &&
         !(T.Kind == TokKind::Ident && T.Text == "func")) {
    Token Next = Ahead.lex();
    if (T.Kind == TokKind::Local && T.getName() == Name &&
        Next.Kind == TokKind::Equal)
      return true;
    T = Next;
  }
  return false;
}

bool IRParser::parseConstant(Op &O, const Token &Literal) {
  llvm::StringRef Text = Literal.Text;
  bool OK = false;
  if (O.Ty.isFloat()) {
    // The printer writes std::to_chars' shortest form, which reads back
    // exactly; `nan`, `-nan`, `inf` and `-inf` included.
    double V = 0;
    auto [End, EC] = std::from_chars(Text.begin(), Text.end(), V);
    OK = EC == std::errc() && End == Text.end() &&
         (Literal.Kind == TokKind::Number || Text == "inf" || Text == "nan");
    // As Builder::constant: an f32 constant holds a float's value.
    O.FloatValue = O.Ty.getElementKind() == ElementKind::F32
                       ? static_cast<double>(static_cast<float>(V))
                       : V;
  } else if (O.Ty.isBool()) {
    OK = Literal.Kind == TokKind::Ident && (Text == "true" || Text == "false");
    O.IntValue = Text == "true";
  } else if (O.Ty.isInt()) {
    int64_t V = 0;
    OK = Literal.Kind == TokKind::Number && !Text.getAsInteger(10, V);
    if (O.Ty.getElementKind() == ElementKind::I32)
      OK &= V >= std::numeric_limits<int32_t>::min() &&
            V <= std::numeric_limits<int32_t>::max();
    O.IntValue = V;
  }
  if (!OK)
    return error(Literal.getLoc(), DiagID::err_ir_bad_constant, Text,
                 O.Ty.str());
  return true;
}

/// The name hint that makes the printer print \p Written again: none for
/// the printer's numbers, `x` for the `x.N` it makes of a second `x`.
static std::string getNameHint(llvm::StringRef Written,
                               const llvm::StringSet<> &Used) {
  if (isAllDigits(Written))
    return "";
  size_t Dot = Written.rfind('.');
  if (Dot != llvm::StringRef::npos && Dot != 0 &&
      isAllDigits(Written.drop_front(Dot + 1))) {
    // The printer claims Base, Base.1, Base.2, ...: the first one free.
    llvm::StringRef Base = Written.take_front(Dot);
    if (!isAllDigits(Base) && Used.contains(Base)) {
      for (unsigned I = 1;; ++I) {
        std::string Claimed = (Base + "." + llvm::Twine(I)).str();
        if (Claimed == Written)
          return Base.str();
        if (!Used.contains(Claimed))
          break;
      }
    }
  }
  return Written.str();
}

bool IRParser::checkUndefined(FunctionState &S, const Token &Name) {
  auto It = S.Values.find(Name.getName());
  if (It == S.Values.end())
    return true;
  error(Name.getLoc(), DiagID::err_redefinition, Name.Text);
  Diags.report(S.F.Ops[It->second].Loc, DiagID::note_previous_definition);
  return false;
}

bool IRParser::define(FunctionState &S, const Token &Name, Op O) {
  if (!checkUndefined(S, Name))
    return false;
  llvm::StringRef N = Name.getName();
  S.Values[N] = static_cast<ValueId>(S.F.Ops.size());
  O.Name = getNameHint(N, S.Used);
  O.Loc = Name.getLoc();
  S.Used.insert(N);
  S.F.Ops.push_back(std::move(O));
  return true;
}

//===----------------------------------------------------------------------===//
// Checks of the parsed module
//===----------------------------------------------------------------------===//

/// The op a verifier message names (`@f: op 3 (add): ...`), if any.
static std::optional<size_t> getVerifiedOp(llvm::StringRef Message) {
  size_t At = Message.find(": op ");
  if (At == llvm::StringRef::npos)
    return std::nullopt;
  llvm::StringRef Digits =
      Message.drop_front(At + 5).take_while(llvm::isDigit);
  size_t Index;
  if (Digits.getAsInteger(10, Index))
    return std::nullopt;
  return Index;
}

bool IRParser::verifyFunctions() {
  bool OK = true;
  for (const auto &F : M->Functions) {
    std::string Err = verifyFunction(*F, M.get());
    if (Err.empty())
      continue;
    OK = error(F->Loc, DiagID::err_ir_invalid, Err);
    std::optional<size_t> I = getVerifiedOp(Err);
    if (I && *I < F->Ops.size())
      Diags.report(F->Ops[*I].Loc, DiagID::note_ir_invalid_op, *I);
  }
  return OK;
}

std::optional<Signature> IRParser::getSignature(llvm::StringRef Name) const {
  if (const Function *F = M->lookup(Name)) {
    Signature S;
    for (unsigned I = 0, E = F->getNumParams(); I < E; ++I)
      S.Params.push_back(F->getParamType(I));
    S.Result = F->ResultType;
    return S;
  }
  for (size_t I = 0; I < DerivedSigs.size(); ++I)
    if (M->Derived[I].Name == Name)
      return DerivedSigs[I];
  return std::nullopt;
}

bool IRParser::checkDerived() {
  bool OK = true;
  for (size_t DI = 0; DI < M->Derived.size(); ++DI) {
    DerivedSigs.push_back(checkDerivedDecl(DI));
    OK &= DerivedSigs.back().has_value();
  }
  return OK;
}

std::optional<Signature> IRParser::checkDerivedDecl(size_t DI) {
  const DerivedDecl &D = M->Derived[DI];
  const DerivedLocs &Locs = DerivedAt[DI];
  auto Fail = [&](llvm::SMLoc Loc, DiagID ID, auto &&...Args) {
    error(Loc, ID, std::forward<decltype(Args)>(Args)...);
    return std::nullopt;
  };
  if (D.Of == D.Name)
    return Fail(Locs.Of, DiagID::err_recursion, "@" + D.Of);
  std::optional<Signature> Of = getSignature(D.Of);
  // A method that assigns layer state returns (value, new state): its
  // derivatives see the value (issue 12).
  if (const Function *OF = M->lookup(D.Of);
      Of && OF && OF->returnsLayerState() && OF->ResultType.isTuple())
    Of->Result = OF->ResultType.getElements()[0];
  if (!Of) {
    for (size_t I = 0; I < M->Derived.size(); ++I)
      if (M->Derived[I].Name == D.Of) {
        if (I < DI) // it failed: already reported
          return std::nullopt;
        return Fail(Locs.Of, DiagID::err_ir_derived_order, D.Name, D.Of);
      }
    return Fail(Locs.Of, DiagID::err_unknown_function_ref, "@" + D.Of);
  }
  std::string Kind = ("'" + getDeriveKindName(D.Kind) + "'").str();
  if (D.Kind != DeriveKind::Vjp && (!Of->Result.isFloat() || !Of->Result.isScalar()))
    return Fail(Locs.Kind, DiagID::err_grad_nonscalar, Kind, "@" + D.Of,
                Of->Result.str());
  if (D.Kind == DeriveKind::Vjp && !hasFloatLeaves(Of->Result))
    return Fail(Locs.Kind, DiagID::err_vjp_result, "@" + D.Of,
                Of->Result.str());
  if (D.Wrt.empty())
    return Fail(D.Loc, DiagID::err_ir_wrt_empty, D.Name);
  for (size_t WI = 0; WI < D.Wrt.size(); ++WI) {
    unsigned I = D.Wrt[WI];
    size_t N = Of->Params.size();
    if (I >= N)
      return Fail(Locs.Wrt[WI], DiagID::err_ir_wrt_range, I, D.Of, N,
                  N == 1 ? "" : "s");
    if (!Of->Params[I].isFloat())
      return Fail(Locs.Wrt[WI], DiagID::err_ir_wrt_not_float, I,
                  Of->Params[I].str());
    if (llvm::is_contained(llvm::ArrayRef(D.Wrt).take_front(WI), I))
      return Fail(Locs.Wrt[WI], DiagID::err_ir_wrt_duplicate, I);
  }
  if (D.Kind == DeriveKind::TrainStep)
    return trainStepSignature(D, *Of);
  return deriveSignature(D.Kind, *Of, D.Wrt);
}

/// The signature AD gives a train step (ReverseMode.cpp): Of's parameters
/// but `training` (a step runs in training mode, issue 12), the optimizer
/// state, the hyper-parameters; the loss, the new parameters, the new
/// layer state and the new optimizer state. Its structs must be those
/// IRGen declares: the instance's fields first (its parameters, all of
/// them differentiated, then its state members), and the state
/// Module::makeOptimizerState gives.
std::optional<Signature> IRParser::trainStepSignature(const DerivedDecl &D,
                                                      const Signature &Of) {
  auto Invalid = [&](const std::string &Msg) -> std::optional<Signature> {
    error(D.Loc, DiagID::err_ir_invalid, "@" + D.Name + ": " + Msg);
    return std::nullopt;
  };
  const Module::Instance *Net = M->lookupInstance(D.ParamStruct.Instance);
  if (!Net || Net->IsState || D.ParamStruct.First != 0 ||
      D.ParamStruct.Count != Net->Params.size() ||
      D.Wrt.size() != Net->getNumParams() || D.ResultStruct.Count)
    return Invalid("a train step differentiates every parameter of the "
                   "instance of its param_struct, which come first");
  for (unsigned I = 0; I < Net->Params.size(); ++I)
    if ((I < D.Wrt.size() && D.Wrt[I] != I) || I >= Of.Params.size() ||
        Of.Params[I] != Net->Params[I].second)
      return Invalid("wrt and param_struct differ");
  Module::Instance Want = Module::makeOptimizerState(*Net, D.Opt);
  const Module::Instance *State =
      D.StateStruct.Count ? M->lookupInstance(D.StateStruct.Instance)
                          : nullptr;
  if (Want.Params.empty() ? D.StateStruct.Count != 0
                          : !State || !State->IsState ||
                                State->Params != Want.Params ||
                                D.StateStruct.Count != Want.Params.size())
    return Invalid("the state_struct is not the state of '" +
                   getOptimizerName(D.Opt).str() + "' for '" + Net->Name +
                   "'");
  // The `training` parameter after the struct, as AD finds it.
  int Training = -1;
  if (const Function *F = M->lookup(D.Of))
    for (unsigned I = D.ParamStruct.Count; I < F->getNumParams(); ++I)
      if (F->getParamName(I) == "training" &&
          F->getParamType(I) == Type::scalar(ElementKind::Bool))
        Training = I;
  Signature S;
  for (unsigned I = 0; I < Of.Params.size(); ++I)
    if (static_cast<int>(I) != Training)
      S.Params.push_back(Of.Params[I]);
  std::vector<Type> Results = {Of.Result};
  for (unsigned I = 0; I < Net->Params.size(); ++I)
    Results.push_back(Of.Params[I]);
  for (const auto &Field : Want.Params) {
    S.Params.push_back(Field.second);
    Results.push_back(Field.second);
  }
  for (size_t I = 0; I < getHyperParameterNames(D.Opt).size(); ++I)
    S.Params.push_back(Of.Result);
  S.Result = Type::tuple(std::move(Results));
  return S;
}

/// Recursion, direct or through derived functions, would make AD expand
/// calls forever (the .nn front end rejects it). And AD materializes the
/// derived functions in order, so each must come after the derived
/// functions its expansion meets: those its function calls, or for a
/// function with a backward rule, those the rule calls; meeting itself
/// there (a rule calling the gradient being built) is recursion too.
bool IRParser::checkCallGraph() {
  // Nodes: the functions, then the derived declarations.
  size_t NF = M->Functions.size(), N = NF + M->Derived.size();
  llvm::StringMap<unsigned> Index;
  for (size_t I = 0; I < NF; ++I)
    Index.try_emplace(M->Functions[I]->Name, I);
  for (size_t I = 0; I < M->Derived.size(); ++I)
    Index.try_emplace(M->Derived[I].Name, NF + I);
  struct Edge {
    unsigned To;
    llvm::SMLoc Loc;
  };
  // Calls (a derived function "calls" the one it derives), and what AD
  // expands.
  std::vector<std::vector<Edge>> Calls(N), Expands(N);
  for (size_t I = 0; I < NF; ++I) {
    const Function &F = *M->Functions[I];
    for (const Op &O : F.Ops)
      if (O.Kind == OpKind::Call)
        if (auto It = Index.find(O.Callee); It != Index.end())
          Calls[I].push_back({It->second, O.Loc});
    if (F.BackwardFn.empty())
      Expands[I] = Calls[I];
    else if (auto It = Index.find(F.BackwardFn); It != Index.end())
      Expands[I].push_back({It->second, BackwardAt[F.Name]});
  }
  for (size_t I = 0; I < M->Derived.size(); ++I)
    if (auto It = Index.find(M->Derived[I].Of); It != Index.end()) {
      Calls[NF + I].push_back({It->second, DerivedAt[I].Of});
      Expands[NF + I] = Calls[NF + I];
    }
  auto NameOf = [&](unsigned V) {
    return V < NF ? M->Functions[V]->Name : M->Derived[V - NF].Name;
  };

  // Depth-first, without recursion: a chain of calls may be long.
  enum class State : uint8_t { NotSeen, OnPath, Done };
  std::vector<State> Visit(N, State::NotSeen);
  std::vector<std::pair<unsigned, size_t>> Stack;
  for (unsigned Root = 0; Root < N; ++Root) {
    if (Visit[Root] != State::NotSeen)
      continue;
    Visit[Root] = State::OnPath;
    Stack.push_back({Root, 0});
    while (!Stack.empty()) {
      auto &[V, Next] = Stack.back();
      if (Next == Calls[V].size()) {
        Visit[V] = State::Done;
        Stack.pop_back();
        continue;
      }
      const Edge &E = Calls[V][Next++];
      if (Visit[E.To] == State::OnPath)
        return error(E.Loc, DiagID::err_recursion, "@" + NameOf(E.To));
      if (Visit[E.To] == State::NotSeen) {
        Visit[E.To] = State::OnPath;
        Stack.push_back({E.To, 0});
      }
    }
  }

  bool OK = true;
  for (size_t DI = 0; DI < M->Derived.size(); ++DI) {
    unsigned Self = NF + DI;
    std::vector<bool> Seen(N, false);
    std::vector<unsigned> Work = {Self};
    while (!Work.empty()) {
      unsigned V = Work.back();
      Work.pop_back();
      for (const Edge &E : Expands[V]) {
        if (Seen[E.To])
          continue;
        Seen[E.To] = true;
        // AD would expand the function it is building.
        if (E.To == Self) {
          OK = error(E.Loc, DiagID::err_recursion, "@" + NameOf(Self));
          Work.clear();
          break;
        }
        Work.push_back(E.To);
      }
    }
  }
  return OK;
}

/// The verifier checks calls to functions, not to derived functions AD has
/// yet to build, nor the signature of backward rules, which AD calls with
/// the function's arguments and the upstream gradient.
bool IRParser::checkSignatures() {
  bool OK = true;
  for (const auto &F : M->Functions) {
    for (size_t I = 0; I < F->Ops.size(); ++I) {
      const Op &O = F->Ops[I];
      if (O.Kind != OpKind::Call || M->lookup(O.Callee))
        continue;
      std::optional<Signature> Sig = getSignature(O.Callee);
      if (!Sig)
        continue;
      const char *Problem = nullptr;
      if (Sig->Params.size() != O.Operands.size())
        Problem = "call arity";
      else if (Sig->Result != O.Ty)
        Problem = "call result type";
      for (size_t J = 0; !Problem && J < O.Operands.size(); ++J)
        if (F->typeOf(O.Operands[J]) != Sig->Params[J])
          Problem = "call argument type";
      if (!Problem)
        continue;
      OK = error(F->Loc, DiagID::err_ir_invalid,
                 llvm::formatv("@{0}: op {1} (call): {2}", F->Name, I, Problem)
                     .str());
      Diags.report(O.Loc, DiagID::note_ir_invalid_op, I);
    }
    if (F->BackwardFn.empty())
      continue;
    const Function *Rule = M->lookup(F->BackwardFn);
    if (!Rule)
      continue; // the verifier has said so
    Signature Want = *getSignature(F->Name);
    std::vector<Type> Grads = Want.Params;
    Want.Params.push_back(F->ResultType);
    Type Result = Grads.size() == 1 ? Grads[0] : Type::tuple(Grads);
    Signature Have = *getSignature(Rule->Name);
    if (Have.Params != Want.Params || Have.Result != Result)
      OK = error(BackwardAt[F->Name], DiagID::err_ir_backward_signature,
                 Rule->Name, F->Name, joinTypes(Want.Params), Result.str());
  }
  return OK;
}

} // namespace

llvm::Expected<std::unique_ptr<Module>>
nnc::parseIRModule(unsigned BufferID, DiagnosticEngine &Diags) {
  const llvm::MemoryBuffer *Buffer =
      Diags.getSourceMgr().getMemoryBuffer(BufferID);
  IRParser P(*Buffer, Diags);
  if (std::unique_ptr<Module> M = P.run())
    return M;
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "'%s' is not valid IR",
                                 Buffer->getBufferIdentifier().str().c_str());
}
