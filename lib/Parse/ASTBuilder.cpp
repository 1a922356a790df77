//===- ASTBuilder.cpp - From the ANTLR parse tree to nnc::ast -------------===//
//
// Walks the parse tree of one module and builds the AST, one top-level
// declaration at a time. A declaration in which ANTLR recovered from a
// syntax error by resynchronising (its rule contexts carry an exception, or
// a child the builder needs is missing or was conjured by the error
// strategy) is dropped: the error has been reported, and a half-built
// declaration would only produce confusing follow-up errors. Declarations in
// which ANTLR merely inserted or deleted one token are complete and kept.
//
// Each function names the grammar rule it handles.
//
//===----------------------------------------------------------------------===//

#include "ParserImpl.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Compiler.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <limits>

using namespace nnc;
using namespace nnc::parse;
using nnc_antlr::NNParser;

namespace {

class ASTBuilder {
public:
  ASTBuilder(const SourceLocator &Locs, DiagnosticEngine &Diags,
             LexicalErrors &Lexical)
      : Locs(Locs), Diags(Diags), Lexical(Lexical) {}

  ast::DeclPtr buildTopDecl(NNParser::TopDeclContext *Ctx);

private:
  /// False (and the declaration is dropped) if \p Ctx is missing or ANTLR
  /// recovered from an error inside it.
  bool check(antlr4::ParserRuleContext *Ctx) {
    if (Ctx && !Ctx->exception)
      return true;
    Failed = true;
    return false;
  }
  /// False if \p T is missing or was conjured by single-token insertion.
  bool check(antlr4::Token *T) {
    if (T && T->getStartIndex() != INVALID_INDEX)
      return true;
    Failed = true;
    return false;
  }

  std::unique_ptr<ast::FnDecl> buildFnDecl(NNParser::FnDeclContext *Ctx);
  bool buildBackward(NNParser::BackwardClauseContext *Ctx,
                     ast::BackwardRule &Rule);
  ast::DeclPtr buildDerivedDecl(NNParser::DerivedDeclContext *Ctx);
  ast::DeclPtr buildLetDecl(NNParser::LetDeclContext *Ctx);
  ast::DeclPtr buildLayerDecl(NNParser::LayerDeclContext *Ctx);
  bool buildLayerMember(NNParser::LayerMemberContext *Ctx,
                        ast::LayerMember &Member);
  bool buildParamList(NNParser::ParamListContext *Ctx,
                      std::vector<ast::Param> &Params);
  bool buildType(NNParser::TypeContext *Ctx, ast::TypeSyntax &Type);
  bool buildDim(NNParser::DimContext *Ctx, ast::DimSyntax &Dim);
  bool buildBlock(NNParser::BlockContext *Ctx, std::vector<ast::Stmt> &Body);
  bool buildStmt(NNParser::StmtContext *Ctx, ast::Stmt &S);
  bool buildArgList(NNParser::ArgListContext *Ctx, std::vector<ast::Arg> &Args);

  // Expressions recurse as deep as the source nests. buildExpr keeps its own
  // frame small and hands each kind to a helper that is not inlined into it,
  // so one level of nesting costs two small frames.
  ast::ExprPtr buildExpr(NNParser::ExprContext *Ctx);
  ast::ExprPtr buildExprKind(NNParser::ExprContext *Ctx);
  template <typename CtxT>
  LLVM_ATTRIBUTE_NOINLINE ast::ExprPtr buildBinary(CtxT *Ctx);
  LLVM_ATTRIBUTE_NOINLINE ast::ExprPtr
  buildUnary(NNParser::UnaryExprContext *Ctx);
  LLVM_ATTRIBUTE_NOINLINE ast::ExprPtr
  buildMember(NNParser::MemberExprContext *Ctx);
  LLVM_ATTRIBUTE_NOINLINE ast::ExprPtr
  buildCall(NNParser::CallExprContext *Ctx);
  LLVM_ATTRIBUTE_NOINLINE ast::ExprPtr
  buildNumber(NNParser::NumberExprContext *Ctx);
  LLVM_ATTRIBUTE_NOINLINE ast::ExprPtr
  buildParen(NNParser::ParenExprContext *Ctx);
  LLVM_ATTRIBUTE_NOINLINE ast::ExprPtr
  buildTensor(NNParser::TensorExprContext *Ctx);
  LLVM_ATTRIBUTE_NOINLINE ast::ExprPtr
  buildIndex(NNParser::IndexExprContext *Ctx);
  LLVM_ATTRIBUTE_NOINLINE ast::ExprPtr buildIf(NNParser::IfExprContext *Ctx);
  /// Reports err_expr_too_deep once for the current declaration.
  void reportTooDeep(antlr4::ParserRuleContext *Ctx);

  const SourceLocator &Locs;
  DiagnosticEngine &Diags;
  /// Reported before a diagnostic at a later token, to keep source order.
  LexicalErrors &Lexical;
  /// The current declaration cannot be built.
  bool Failed = false;
  /// Expression nesting at the node being built.
  unsigned Depth = 0;
};

} // namespace

/// The statement an expression body stands for: `return expr;`.
static ast::Stmt makeReturn(ast::ExprPtr Value) {
  ast::Stmt S;
  S.TheKind = ast::Stmt::Return;
  S.Range = Value->getRange();
  S.Value = std::move(Value);
  return S;
}

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

// topDecl : fnDecl | derivedDecl | layerDecl | letDecl ;
ast::DeclPtr ASTBuilder::buildTopDecl(NNParser::TopDeclContext *Ctx) {
  Failed = false;
  Depth = 0;
  if (!check(Ctx))
    return nullptr;
  ast::DeclPtr D;
  if (auto *F = Ctx->fnDecl())
    D = buildFnDecl(F);
  else if (auto *DD = Ctx->derivedDecl())
    D = buildDerivedDecl(DD);
  else if (auto *L = Ctx->layerDecl())
    D = buildLayerDecl(L);
  else if (auto *LD = Ctx->letDecl())
    D = buildLetDecl(LD);
  if (Failed || !D)
    return nullptr;
  return D;
}

// fnDecl
//   : 'fn' name=IDENT '(' paramList? ')' ('->' result=type)?
//     ( '=' body=expr ( ';' backwardClause? | backwardClause )
//     | block backwardClause?
//     )
//   ;
std::unique_ptr<ast::FnDecl>
ASTBuilder::buildFnDecl(NNParser::FnDeclContext *Ctx) {
  if (!check(Ctx) || !check(Ctx->name))
    return nullptr;
  auto F = std::make_unique<ast::FnDecl>(Locs.getText(Ctx->name),
                                         Locs.getRange(Ctx->name));
  F->Range = Locs.getRange(Ctx);
  if (!buildParamList(Ctx->paramList(), F->Params))
    return nullptr;
  if (Ctx->result) {
    ast::TypeSyntax T;
    if (!buildType(Ctx->result, T))
      return nullptr;
    F->DeclaredResult = std::move(T);
  }
  if (Ctx->body) {
    ast::ExprPtr Body = buildExpr(Ctx->body);
    if (!Body)
      return nullptr;
    F->Body.push_back(makeReturn(std::move(Body)));
    F->IsExprBody = true;
  } else if (!buildBlock(Ctx->block(), F->Body)) {
    return nullptr;
  }
  if (auto *BC = Ctx->backwardClause()) {
    ast::BackwardRule Rule;
    if (!buildBackward(BC, Rule))
      return nullptr;
    F->Backward = std::move(Rule);
  }
  return F;
}

// backwardClause
//   : 'backward' '(' grad=IDENT ')' ( '=' body=expr ';' | block )
//   ;
bool ASTBuilder::buildBackward(NNParser::BackwardClauseContext *Ctx,
                               ast::BackwardRule &Rule) {
  if (!check(Ctx) || !check(Ctx->grad))
    return false;
  Rule.GradName = Locs.getText(Ctx->grad);
  Rule.GradNameRange = Locs.getRange(Ctx->grad);
  Rule.Range = Locs.getRange(Ctx);
  if (Ctx->body) {
    ast::ExprPtr Body = buildExpr(Ctx->body);
    if (!Body)
      return false;
    Rule.Body.push_back(makeReturn(std::move(Body)));
    Rule.IsExprBody = true;
    return true;
  }
  Rule.IsExprBody = false;
  return buildBlock(Ctx->block(), Rule.Body);
}

// derivedDecl : 'fn' name=IDENT '=' value=expr ';' ;
ast::DeclPtr ASTBuilder::buildDerivedDecl(NNParser::DerivedDeclContext *Ctx) {
  if (!check(Ctx) || !check(Ctx->name))
    return nullptr;
  ast::ExprPtr Value = buildExpr(Ctx->value);
  if (!Value)
    return nullptr;
  auto D = std::make_unique<ast::DerivedFnDecl>(
      Locs.getText(Ctx->name), Locs.getRange(Ctx->name), std::move(Value));
  D->Range = Locs.getRange(Ctx);
  return D;
}

// letDecl : 'let' name=IDENT '=' value=expr ';' ;
ast::DeclPtr ASTBuilder::buildLetDecl(NNParser::LetDeclContext *Ctx) {
  if (!check(Ctx) || !check(Ctx->name))
    return nullptr;
  ast::ExprPtr Value = buildExpr(Ctx->value);
  if (!Value)
    return nullptr;
  auto D = std::make_unique<ast::LetDecl>(
      Locs.getText(Ctx->name), Locs.getRange(Ctx->name), std::move(Value));
  D->Range = Locs.getRange(Ctx);
  return D;
}

// layerDecl : 'layer' name=IDENT ( '(' paramList? ')' )? '{' layerMember* '}' ;
ast::DeclPtr ASTBuilder::buildLayerDecl(NNParser::LayerDeclContext *Ctx) {
  if (!check(Ctx) || !check(Ctx->name))
    return nullptr;
  auto L = std::make_unique<ast::LayerDecl>(Locs.getText(Ctx->name),
                                            Locs.getRange(Ctx->name));
  L->Range = Locs.getRange(Ctx);
  if (!buildParamList(Ctx->paramList(), L->Params))
    return nullptr;
  for (NNParser::LayerMemberContext *MC : Ctx->layerMember()) {
    ast::LayerMember Member;
    if (!buildLayerMember(MC, Member))
      return nullptr;
    L->Members.push_back(std::move(Member));
  }
  return L;
}

// layerMember
//   : 'param' name=IDENT ':' type ( '=' init=expr )? ';'   # paramMember
//   | name=IDENT ':' layer=IDENT '(' argList? ')' ';'       # subLayerMember
//   | fnDecl                                                # methodMember
//   ;
bool ASTBuilder::buildLayerMember(NNParser::LayerMemberContext *Ctx,
                                  ast::LayerMember &Member) {
  if (!check(Ctx))
    return false;
  Member.Range = Locs.getRange(Ctx);
  if (auto *P = dynamic_cast<NNParser::ParamMemberContext *>(Ctx)) {
    if (!check(P->name))
      return false;
    Member.TheKind = ast::LayerMember::Param;
    Member.Name = Locs.getText(P->name);
    Member.NameRange = Locs.getRange(P->name);
    ast::TypeSyntax T;
    if (!buildType(P->type(), T))
      return false;
    Member.ParamType = std::move(T);
    if (P->init && !(Member.Init = buildExpr(P->init)))
      return false;
    return true;
  }
  if (auto *St = dynamic_cast<NNParser::StateMemberContext *>(Ctx)) {
    if (!check(St->kw) || !check(St->name))
      return false;
    if (Locs.getText(St->kw) != "state") {
      // Two identifiers in a row: only `state NAME` starts a member so.
      Diags.report(Locs.getRange(St->kw), DiagID::err_expected,
                   "a layer member ('param', 'state', a sub-layer or 'fn')");
      Failed = true;
      return false;
    }
    Member.TheKind = ast::LayerMember::State;
    Member.Name = Locs.getText(St->name);
    Member.NameRange = Locs.getRange(St->name);
    ast::TypeSyntax T;
    if (!buildType(St->type(), T))
      return false;
    Member.ParamType = std::move(T);
    if (St->init && !(Member.Init = buildExpr(St->init)))
      return false;
    return true;
  }
  if (auto *S = dynamic_cast<NNParser::SubLayerMemberContext *>(Ctx)) {
    if (!check(S->name) || !check(S->layer))
      return false;
    Member.TheKind = ast::LayerMember::SubLayer;
    Member.Name = Locs.getText(S->name);
    Member.NameRange = Locs.getRange(S->name);
    Member.LayerName = Locs.getText(S->layer);
    Member.LayerNameRange = Locs.getRange(S->layer);
    return buildArgList(S->argList(), Member.LayerArgs);
  }
  if (auto *M = dynamic_cast<NNParser::MethodMemberContext *>(Ctx)) {
    std::unique_ptr<ast::FnDecl> F = buildFnDecl(M->fnDecl());
    if (!F)
      return false;
    Member.TheKind = ast::LayerMember::Method;
    Member.Name = F->Name;
    Member.NameRange = F->NameRange;
    Member.MethodDecl = std::move(F);
    return true;
  }
  Failed = true;
  return false;
}

// paramList : param ( ',' param )* ;
// param     : name=IDENT ( ':' type )? ;
bool ASTBuilder::buildParamList(NNParser::ParamListContext *Ctx,
                                std::vector<ast::Param> &Params) {
  if (!Ctx) // `()`: no parameters
    return true;
  if (!check(Ctx))
    return false;
  for (NNParser::ParamContext *PC : Ctx->param()) {
    if (!check(PC) || !check(PC->name))
      return false;
    ast::Param P;
    P.Name = Locs.getText(PC->name);
    P.Range = Locs.getRange(PC);
    if (auto *TC = PC->type()) {
      ast::TypeSyntax T;
      if (!buildType(TC, T))
        return false;
      P.DeclaredType = std::move(T);
    }
    Params.push_back(std::move(P));
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

// type
//   : name=IDENT ( '[' dim ( ',' dim )* ']' )?   # namedType
//   | '(' type ( ',' type )+ ')'                  # tupleType
//   ;
bool ASTBuilder::buildType(NNParser::TypeContext *Ctx, ast::TypeSyntax &Type) {
  if (!check(Ctx))
    return false;
  Type.Range = Locs.getRange(Ctx);
  if (auto *N = dynamic_cast<NNParser::NamedTypeContext *>(Ctx)) {
    if (!check(N->name))
      return false;
    Type.Name = Locs.getText(N->name);
    Type.HasShape = N->getToken(NNParser::LBRACKET, 0) != nullptr;
    for (NNParser::DimContext *DC : N->dim()) {
      ast::DimSyntax Dim;
      if (!buildDim(DC, Dim))
        return false;
      Type.Dims.push_back(std::move(Dim));
    }
    if (Type.HasShape && Type.Dims.empty()) {
      Failed = true;
      return false;
    }
    return true;
  }
  if (auto *T = dynamic_cast<NNParser::TupleTypeContext *>(Ctx)) {
    Type.IsTuple = true;
    for (NNParser::TypeContext *EC : T->type()) {
      ast::TypeSyntax Elt;
      if (!buildType(EC, Elt))
        return false;
      Type.Elements.push_back(std::move(Elt));
    }
    if (Type.Elements.size() < 2) {
      Failed = true;
      return false;
    }
    return true;
  }
  Failed = true;
  return false;
}

// dim : dimFactor ('*' dimFactor)* ; dimFactor : size=INT | name=IDENT ;
bool ASTBuilder::buildDim(NNParser::DimContext *Ctx, ast::DimSyntax &Dim) {
  if (!check(Ctx))
    return false;
  Dim.Range = Locs.getRange(Ctx);
  for (NNParser::DimFactorContext *FC : Ctx->dimFactor()) {
    if (!check(FC))
      return false;
    ast::DimSyntax::Factor F;
    if (FC->size) {
      if (!check(FC->size))
        return false;
      F.Range = Locs.getRange(FC->size);
      std::string Spelling = Locs.getText(FC->size);
      // An invalid literal was reported by the lexer pass (LexicalErrors).
      if (llvm::StringRef(Spelling).getAsInteger(10, F.Size))
        F.Size = 0;
    } else {
      if (!check(FC->name))
        return false;
      F.Range = Locs.getRange(FC->name);
      F.Name = Locs.getText(FC->name);
    }
    Dim.Factors.push_back(std::move(F));
  }
  if (Dim.Factors.empty()) {
    Failed = true;
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

// block : '{' stmt* '}' ;
bool ASTBuilder::buildBlock(NNParser::BlockContext *Ctx,
                            std::vector<ast::Stmt> &Body) {
  if (!check(Ctx))
    return false;
  for (NNParser::StmtContext *SC : Ctx->stmt()) {
    ast::Stmt S;
    if (!buildStmt(SC, S))
      return false;
    Body.push_back(std::move(S));
  }
  return true;
}

// stmt
//   : 'let' name=IDENT ( ':' type )? '=' value=expr ';'   # letStmt
//   | 'return' value=expr ';'                              # returnStmt
//   ;
bool ASTBuilder::buildStmt(NNParser::StmtContext *Ctx, ast::Stmt &S) {
  if (!check(Ctx))
    return false;
  S.Range = Locs.getRange(Ctx);
  if (auto *L = dynamic_cast<NNParser::LetStmtContext *>(Ctx)) {
    if (!check(L->name))
      return false;
    S.TheKind = ast::Stmt::Let;
    S.Name = Locs.getText(L->name);
    S.NameRange = Locs.getRange(L->name);
    if (auto *TC = L->type()) {
      ast::TypeSyntax T;
      if (!buildType(TC, T))
        return false;
      S.DeclaredType = std::move(T);
    }
    S.Value = buildExpr(L->value);
    return S.Value != nullptr;
  }
  if (auto *A = dynamic_cast<NNParser::AssignStmtContext *>(Ctx)) {
    if (!check(A->name))
      return false;
    S.TheKind = ast::Stmt::Assign;
    S.Name = Locs.getText(A->name);
    S.NameRange = Locs.getRange(A->name);
    S.Value = buildExpr(A->value);
    return S.Value != nullptr;
  }
  if (auto *R = dynamic_cast<NNParser::ReturnStmtContext *>(Ctx)) {
    S.TheKind = ast::Stmt::Return;
    S.Value = buildExpr(R->value);
    return S.Value != nullptr;
  }
  Failed = true;
  return false;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

void ASTBuilder::reportTooDeep(antlr4::ParserRuleContext *Ctx) {
  if (!Failed) {
    if (Ctx->start)
      Lexical.reportBefore(Ctx->start->getTokenIndex());
    Diags.report(Ctx->start ? Locs.getStart(Ctx->start) : llvm::SMLoc(),
                 DiagID::err_expr_too_deep, MaxExprDepth);
  }
  Failed = true;
}

// expr : (every alternative; see buildExprKind)
ast::ExprPtr ASTBuilder::buildExpr(NNParser::ExprContext *Ctx) {
  if (isStackNearlyExhausted())
    return continueOnNewStack([&] { return buildExpr(Ctx); });
  if (Failed || !check(Ctx))
    return nullptr;
  if (Depth >= MaxExprDepth) {
    reportTooDeep(Ctx);
    return nullptr;
  }
  ++Depth;
  ast::ExprPtr E = buildExprKind(Ctx);
  --Depth;
  if (!E)
    Failed = true;
  return E;
}

// expr
//   : base=expr '.' member=IDENT                     # memberExpr
//   | callee=expr '(' argList? ')'                   # callExpr
//   | base=expr '[' indexList ']'                    # indexExpr
//   | <assoc=right> lhs=expr op='^' rhs=expr         # powExpr
//   | op=( '-' | '!' ) operand=expr                  # unaryExpr
//   | lhs=expr op=( '*' | '/' | '@' ) rhs=expr       # mulExpr
//   | lhs=expr op=( '+' | '-' ) rhs=expr             # addExpr
//   | lhs=expr op=( '<' | ... | '!=' ) rhs=expr      # cmpExpr
//   | lhs=expr op='&&' rhs=expr                      # andExpr
//   | lhs=expr op='||' rhs=expr                      # orExpr
//   | tok=( INT | FLOAT )                            # numberExpr
//   | tok=( 'true' | 'false' )                       # boolExpr
//   | name=IDENT                                     # nameExpr
//   | '(' expr ( ',' expr )* ')'                     # parenExpr
//   | '[' ( expr ( ',' expr )* )? ']'                # tensorExpr
//   | ifExpr                                         # ifExprAlt
//   ;
ast::ExprPtr ASTBuilder::buildExprKind(NNParser::ExprContext *Ctx) {
  // Most frequent alternatives first.
  if (auto *C = dynamic_cast<NNParser::NameExprContext *>(Ctx)) {
    if (!check(C->name))
      return nullptr;
    return std::make_unique<ast::NameExpr>(Locs.getRange(C->name),
                                           Locs.getText(C->name));
  }
  if (auto *C = dynamic_cast<NNParser::NumberExprContext *>(Ctx))
    return buildNumber(C);
  if (auto *C = dynamic_cast<NNParser::AddExprContext *>(Ctx))
    return buildBinary(C);
  if (auto *C = dynamic_cast<NNParser::MulExprContext *>(Ctx))
    return buildBinary(C);
  if (auto *C = dynamic_cast<NNParser::CallExprContext *>(Ctx))
    return buildCall(C);
  if (auto *C = dynamic_cast<NNParser::ParenExprContext *>(Ctx))
    return buildParen(C);
  if (auto *C = dynamic_cast<NNParser::UnaryExprContext *>(Ctx))
    return buildUnary(C);
  if (auto *C = dynamic_cast<NNParser::PowExprContext *>(Ctx))
    return buildBinary(C);
  if (auto *C = dynamic_cast<NNParser::MemberExprContext *>(Ctx))
    return buildMember(C);
  if (auto *C = dynamic_cast<NNParser::CmpExprContext *>(Ctx))
    return buildBinary(C);
  if (auto *C = dynamic_cast<NNParser::AndExprContext *>(Ctx))
    return buildBinary(C);
  if (auto *C = dynamic_cast<NNParser::OrExprContext *>(Ctx))
    return buildBinary(C);
  if (auto *C = dynamic_cast<NNParser::BoolExprContext *>(Ctx)) {
    if (!check(C->tok))
      return nullptr;
    return std::make_unique<ast::BoolExpr>(Locs.getRange(C->tok),
                                           C->tok->getType() == NNParser::TRUE);
  }
  if (auto *C = dynamic_cast<NNParser::TensorExprContext *>(Ctx))
    return buildTensor(C);
  if (auto *C = dynamic_cast<NNParser::IndexExprContext *>(Ctx))
    return buildIndex(C);
  if (auto *C = dynamic_cast<NNParser::IfExprAltContext *>(Ctx))
    return buildIf(C->ifExpr());
  // A bare ExprContext: ANTLR failed before choosing an alternative.
  return nullptr;
}

static std::optional<ast::BinaryOp> getBinaryOp(size_t TokenType) {
  switch (TokenType) {
  case NNParser::PLUS:
    return ast::BinaryOp::Add;
  case NNParser::MINUS:
    return ast::BinaryOp::Sub;
  case NNParser::STAR:
    return ast::BinaryOp::Mul;
  case NNParser::SLASH:
    return ast::BinaryOp::Div;
  case NNParser::AT:
    return ast::BinaryOp::MatMul;
  case NNParser::CARET:
    return ast::BinaryOp::Pow;
  case NNParser::LT:
    return ast::BinaryOp::Lt;
  case NNParser::LE:
    return ast::BinaryOp::Le;
  case NNParser::GT:
    return ast::BinaryOp::Gt;
  case NNParser::GE:
    return ast::BinaryOp::Ge;
  case NNParser::EQ:
    return ast::BinaryOp::Eq;
  case NNParser::NE:
    return ast::BinaryOp::Ne;
  case NNParser::AND:
    return ast::BinaryOp::And;
  case NNParser::OR:
    return ast::BinaryOp::Or;
  default:
    return std::nullopt;
  }
}

// expr : lhs=expr op=(...) rhs=expr   (powExpr, mulExpr, addExpr, cmpExpr,
//                                      andExpr, orExpr)
template <typename CtxT> ast::ExprPtr ASTBuilder::buildBinary(CtxT *Ctx) {
  if (!check(Ctx->op))
    return nullptr;
  std::optional<ast::BinaryOp> Op = getBinaryOp(Ctx->op->getType());
  if (!Op)
    return nullptr;
  ast::ExprPtr LHS = buildExpr(Ctx->lhs);
  if (!LHS)
    return nullptr;
  ast::ExprPtr RHS = buildExpr(Ctx->rhs);
  if (!RHS)
    return nullptr;
  return std::make_unique<ast::BinaryExpr>(Locs.getRange(Ctx), *Op,
                                           Locs.getStart(Ctx->op),
                                           std::move(LHS), std::move(RHS));
}

// expr : op=( '-' | '!' ) operand=expr   # unaryExpr
ast::ExprPtr ASTBuilder::buildUnary(NNParser::UnaryExprContext *Ctx) {
  if (!check(Ctx->op))
    return nullptr;
  ast::ExprPtr Operand = buildExpr(Ctx->operand);
  if (!Operand)
    return nullptr;
  ast::UnaryOp Op = Ctx->op->getType() == NNParser::NOT ? ast::UnaryOp::Not
                                                        : ast::UnaryOp::Neg;
  return std::make_unique<ast::UnaryExpr>(Locs.getRange(Ctx), Op,
                                          std::move(Operand));
}

// expr : base=expr '.' member=IDENT   # memberExpr
ast::ExprPtr ASTBuilder::buildMember(NNParser::MemberExprContext *Ctx) {
  if (!check(Ctx->member))
    return nullptr;
  ast::ExprPtr Base = buildExpr(Ctx->base);
  if (!Base)
    return nullptr;
  return std::make_unique<ast::MemberExpr>(Locs.getRange(Ctx), std::move(Base),
                                           Locs.getText(Ctx->member),
                                           Locs.getRange(Ctx->member));
}

// expr : callee=expr '(' argList? ')'   # callExpr
ast::ExprPtr ASTBuilder::buildCall(NNParser::CallExprContext *Ctx) {
  ast::ExprPtr Callee = buildExpr(Ctx->callee);
  if (!Callee)
    return nullptr;
  std::vector<ast::Arg> Args;
  if (!buildArgList(Ctx->argList(), Args))
    return nullptr;
  return std::make_unique<ast::CallExpr>(Locs.getRange(Ctx), std::move(Callee),
                                         std::move(Args));
}

// argList : arg ( ',' arg )* ;
// arg     : ( name=IDENT '=' )? value=expr ;
bool ASTBuilder::buildArgList(NNParser::ArgListContext *Ctx,
                              std::vector<ast::Arg> &Args) {
  if (!Ctx) // `f()`
    return true;
  if (!check(Ctx))
    return false;
  for (NNParser::ArgContext *AC : Ctx->arg()) {
    if (!check(AC))
      return false;
    ast::Arg A;
    if (AC->name) {
      if (!check(AC->name))
        return false;
      A.Name = Locs.getText(AC->name);
      A.NameRange = Locs.getRange(AC->name);
    }
    if (!(A.Value = buildExpr(AC->value)))
      return false;
    Args.push_back(std::move(A));
  }
  return true;
}

/// False for a float literal whose exponent marker has no digits after it.
static bool hasExponentDigits(llvm::StringRef Spelling) {
  size_t E = Spelling.find_first_of("eE");
  if (E == llvm::StringRef::npos)
    return true;
  llvm::StringRef Exponent = Spelling.drop_front(E + 1);
  if (Exponent.starts_with("+") || Exponent.starts_with("-"))
    Exponent = Exponent.drop_front();
  return !Exponent.empty();
}

// expr : tok=( INT | FLOAT )   # numberExpr
ast::ExprPtr ASTBuilder::buildNumber(NNParser::NumberExprContext *Ctx) {
  if (!check(Ctx->tok))
    return nullptr;
  std::string Spelling = Locs.getText(Ctx->tok);
  llvm::SMRange Range = Locs.getRange(Ctx->tok);
  bool IsInteger = Spelling.find_first_of(".eE") == std::string::npos;
  double Value = 0;
  int64_t IntValue = 0;
  bool Bad = false;
  if (IsInteger) {
    // The widest integer type is i64; a larger integer literal cannot mean
    // what it says in any context.
    uint64_t V = 0;
    if (llvm::StringRef(Spelling).getAsInteger(10, V) ||
        V > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      Bad = true;
    else {
      Value = static_cast<double>(V);
      IntValue = static_cast<int64_t>(V);
    }
  } else if (!hasExponentDigits(Spelling)) {
    Bad = true; // `1e`, `2.5e+`: the lexer's BAD_FLOAT
  } else {
    // APFloat rather than strtod: independent of the C locale, and it tells
    // overflow (an error) from underflow (rounds to zero, accepted).
    llvm::APFloat F(llvm::APFloat::IEEEdouble());
    llvm::Expected<llvm::APFloat::opStatus> Status =
        F.convertFromString(Spelling, llvm::APFloat::rmNearestTiesToEven);
    if (!Status) {
      llvm::consumeError(Status.takeError());
      Bad = true;
    } else if (*Status & llvm::APFloat::opOverflow) {
      Bad = true;
    } else {
      Value = F.convertToDouble();
    }
  }
  if (Bad) {
    // The literal is still a number where the grammar wants one. The lexer
    // pass reported it (LexicalErrors, by the same rules), and the error
    // stops compilation, so its value does not matter.
    Value = 0;
  }
  return std::make_unique<ast::NumberExpr>(Range, std::move(Spelling), Value,
                                           IsInteger, IntValue);
}

// expr : '(' expr ( ',' expr )* ')'   # parenExpr
ast::ExprPtr ASTBuilder::buildParen(NNParser::ParenExprContext *Ctx) {
  std::vector<NNParser::ExprContext *> Elts = Ctx->expr();
  if (Elts.empty())
    return nullptr;
  // Grouping: the AST keeps no parentheses.
  if (Elts.size() == 1)
    return buildExpr(Elts[0]);
  std::vector<ast::ExprPtr> Values;
  Values.reserve(Elts.size());
  for (NNParser::ExprContext *EC : Elts) {
    ast::ExprPtr E = buildExpr(EC);
    if (!E)
      return nullptr;
    Values.push_back(std::move(E));
  }
  return std::make_unique<ast::TupleExpr>(Locs.getRange(Ctx),
                                          std::move(Values));
}

// expr : '[' ( expr ( ',' expr )* )? ']'   # tensorExpr
ast::ExprPtr ASTBuilder::buildTensor(NNParser::TensorExprContext *Ctx) {
  std::vector<NNParser::ExprContext *> Elts = Ctx->expr();
  std::vector<ast::ExprPtr> Values;
  Values.reserve(Elts.size());
  for (NNParser::ExprContext *EC : Elts) {
    ast::ExprPtr E = buildExpr(EC);
    if (!E)
      return nullptr;
    Values.push_back(std::move(E));
  }
  return std::make_unique<ast::TensorLitExpr>(Locs.getRange(Ctx),
                                              std::move(Values));
}

// expr      : base=expr '[' indexList ']'   # indexExpr
// indexItem : '...' | start=expr? ':' stop=expr? (':' step=expr?)? | value=expr
ast::ExprPtr ASTBuilder::buildIndex(NNParser::IndexExprContext *Ctx) {
  ast::ExprPtr Base = buildExpr(Ctx->base);
  if (!Base || !check(Ctx->indexList()))
    return nullptr;
  std::vector<ast::IndexItem> Items;
  // An absent part is null; a present one that failed to build fails all.
  auto Part = [&](NNParser::ExprContext *E, ast::ExprPtr &Out) {
    return !E || (Out = buildExpr(E)) != nullptr;
  };
  for (NNParser::IndexItemContext *IC : Ctx->indexList()->indexItem()) {
    if (!check(IC))
      return nullptr;
    ast::IndexItem I;
    I.Range = Locs.getRange(IC);
    if (auto *S = dynamic_cast<NNParser::SliceIndexContext *>(IC)) {
      I.TheKind = ast::IndexItem::Slice;
      if (!Part(S->start, I.Start) || !Part(S->stop, I.Stop) ||
          !Part(S->step, I.Step))
        return nullptr;
    } else if (auto *V = dynamic_cast<NNParser::SingleIndexContext *>(IC)) {
      if (!Part(V->value, I.Start) || !I.Start)
        return nullptr;
    } else {
      I.TheKind = ast::IndexItem::Ellipsis;
    }
    Items.push_back(std::move(I));
  }
  return std::make_unique<ast::IndexExpr>(Locs.getRange(Ctx), std::move(Base),
                                          std::move(Items));
}

// ifExpr
//   : 'if' cond=expr '{' thenExpr=expr '}' 'else'
//     ( '{' elseExpr=expr '}' | elseIf=ifExpr )
//   ;
ast::ExprPtr ASTBuilder::buildIf(NNParser::IfExprContext *Ctx) {
  if (!check(Ctx))
    return nullptr;
  ast::ExprPtr Cond = buildExpr(Ctx->cond);
  if (!Cond)
    return nullptr;
  ast::ExprPtr Then = buildExpr(Ctx->thenExpr);
  if (!Then)
    return nullptr;
  ast::ExprPtr Else;
  if (Ctx->elseExpr) {
    Else = buildExpr(Ctx->elseExpr);
  } else if (Ctx->elseIf) {
    // `else if` nests one level deeper, like any other operand.
    if (Depth >= MaxExprDepth) {
      reportTooDeep(Ctx->elseIf);
      return nullptr;
    }
    ++Depth;
    Else = buildIf(Ctx->elseIf);
    --Depth;
  }
  if (!Else)
    return nullptr;
  return std::make_unique<ast::IfExpr>(Locs.getRange(Ctx), std::move(Cond),
                                       std::move(Then), std::move(Else));
}

ast::DeclPtr nnc::parse::buildTopDecl(NNParser::TopDeclContext *Ctx,
                                      const SourceLocator &Locs,
                                      DiagnosticEngine &Diags,
                                      LexicalErrors &Lexical) {
  return ASTBuilder(Locs, Diags, Lexical).buildTopDecl(Ctx);
}
