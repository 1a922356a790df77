//===- IRParseTypes.cpp - The IR parser: types and dimensions -------------===//
//
// `f32[2, n]`, `(f64, i64[3])`, `2*n`: the types every part of the IR's
// text spells (parameters, results, instances, ops), read where they stand
// and checked for size (a count or byte size that overflows int64_t is an
// error here, as Sema reports it in source). Split from IRParser.cpp,
// whose header gives the grammar.
//
//===----------------------------------------------------------------------===//
#include "IRParserImpl.h"
#include <optional>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::irparser;

/// Deepest nesting of tuple types accepted; the parser, the printer and the
/// verifier all recurse on it.
constexpr unsigned MaxTypeDepth = 256;

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
