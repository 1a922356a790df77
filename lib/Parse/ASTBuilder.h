//===- ASTBuilder.h - The parse-tree walker of lib/Parse --------*- C++ -*-===//
//
// Private to lib/Parse: the class that builds one top-level declaration's
// AST from its ANTLR parse tree. ASTBuilder.cpp builds declarations, types
// and statements, ASTBuilderExpr.cpp expressions.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_PARSE_ASTBUILDER_H
#define NNC_LIB_PARSE_ASTBUILDER_H

#include "ParserImpl.h"

#include "llvm/Support/Compiler.h"

namespace nnc::parse {

using nnc_antlr::NNParser;

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
  /// The elements of a tuple or a tensor literal; false if one failed.
  bool buildExprs(const std::vector<NNParser::ExprContext *> &Ctxs,
                  std::vector<ast::ExprPtr> &Values);

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

} // namespace nnc::parse

#endif // NNC_LIB_PARSE_ASTBUILDER_H
