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
// The lexer is in IRLexer.cpp, the checks in IRModuleChecks.cpp, the
// parser class in IRParserImpl.h.
//
//===----------------------------------------------------------------------===//
#include "nnc/IR/IRParser.h"
#include "IRParserImpl.h"
#include "llvm/ADT/StringExtras.h"
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <system_error>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::irparser;

/// Deepest nesting of tuple types accepted; the parser, the printer and the
/// verifier all recurse on it.
constexpr unsigned MaxTypeDepth = 256;

static std::optional<OpKind> lookupOpKind(llvm::StringRef Name) {
#define OP(Kind, Spelling, NumOperands, Class, Attr, Props)                    \
  if (Name == Spelling)                                                        \
    return OpKind::Kind;
#include "nnc/IR/Ops.def"
  return std::nullopt;
}

static std::optional<DeriveKind> lookupDeriveKind(llvm::StringRef Name) {
  for (DeriveKind K : {DeriveKind::Grad, DeriveKind::ValueAndGrad,
                       DeriveKind::Vjp, DeriveKind::TrainStep})
    if (getDeriveKindName(K) == Name)
      return K;
  return std::nullopt;
}

static bool isAllDigits(llvm::StringRef S) {
  return !S.empty() && llvm::all_of(S, llvm::isDigit);
}

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
