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
// This file reads the module's declarations (functions, derived functions,
// instances). The lexer is in IRLexer.cpp, types in IRParseTypes.cpp, the
// ops of a function body in IRParseOps.cpp, the checks in
// IRModuleChecks.cpp, the parser class in IRParserImpl.h.
//
//===----------------------------------------------------------------------===//
#include "nnc/IR/IRParser.h"
#include "IRParserImpl.h"
#include <optional>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::irparser;

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
