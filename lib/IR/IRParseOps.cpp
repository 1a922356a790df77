//===- IRParseOps.cpp - The IR parser: the ops of a function body ---------===//
//
// `%y = reduce_sum %x axis=1 : f32[3]`: an op's name, operands, keyword
// attributes and constants, and the values it defines, named so that the
// printer prints the same names again. Apart from the declarations
// (IRParser.cpp, whose header gives the grammar) because an op's syntax
// grows with Ops.def, not with the module's.
//
//===----------------------------------------------------------------------===//
#include "IRParserImpl.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <system_error>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::irparser;

static std::optional<OpKind> lookupOpKind(llvm::StringRef Name) {
#define OP(Kind, Spelling, NumOperands, Class, Attr, Props)                    \
  if (Name == Spelling)                                                        \
    return OpKind::Kind;
#include "nnc/IR/Ops.def"
  return std::nullopt;
}

static bool isAllDigits(llvm::StringRef S) {
  return !S.empty() && llvm::all_of(S, llvm::isDigit);
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
