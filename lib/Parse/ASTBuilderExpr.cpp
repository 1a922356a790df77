//===- ASTBuilderExpr.cpp - Expressions from the ANTLR parse tree ---------===//
//
// ASTBuilder's expressions: operators, calls, members, numbers, tensors,
// indexing and `if`, each from the grammar rule it names. Their recursion
// is as deep as the source nests: ASTBuilder.h says how its frames stay
// small.
//
//===----------------------------------------------------------------------===//

#include "ASTBuilder.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <limits>

using namespace nnc;
using namespace nnc::parse;
using nnc_antlr::NNParser;

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
  if (!buildExprs(Elts, Values))
    return nullptr;
  return std::make_unique<ast::TupleExpr>(Locs.getRange(Ctx),
                                          std::move(Values));
}

// expr : '[' ( expr ( ',' expr )* )? ']'   # tensorExpr
ast::ExprPtr ASTBuilder::buildTensor(NNParser::TensorExprContext *Ctx) {
  std::vector<ast::ExprPtr> Values;
  if (!buildExprs(Ctx->expr(), Values))
    return nullptr;
  return std::make_unique<ast::TensorLitExpr>(Locs.getRange(Ctx),
                                              std::move(Values));
}

bool ASTBuilder::buildExprs(const std::vector<NNParser::ExprContext *> &Ctxs,
                            std::vector<ast::ExprPtr> &Values) {
  Values.reserve(Ctxs.size());
  for (NNParser::ExprContext *EC : Ctxs) {
    ast::ExprPtr E = buildExpr(EC);
    if (!E)
      return false;
    Values.push_back(std::move(E));
  }
  return true;
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
