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
// Each function names the grammar rule it handles. This file builds
// declarations, types and statements; ASTBuilderExpr.cpp builds expressions.
//
//===----------------------------------------------------------------------===//

#include "ASTBuilder.h"

using namespace nnc;
using namespace nnc::parse;
using nnc_antlr::NNParser;

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

ast::DeclPtr nnc::parse::buildTopDecl(NNParser::TopDeclContext *Ctx,
                                      const SourceLocator &Locs,
                                      DiagnosticEngine &Diags,
                                      LexicalErrors &Lexical) {
  return ASTBuilder(Locs, Diags, Lexical).buildTopDecl(Ctx);
}
