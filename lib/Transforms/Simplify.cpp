//===- Simplify.cpp - Constant folding and exact algebraic identities -----===//
//
// Algorithm: the function is rebuilt. Ops are visited in order and emitted
// into a fresh op vector through a value map (old id -> new id); every op is
// simplified as it is emitted, with its operands already in the new
// numbering and already simplified. A rule either names an existing value
// (x * 1 -> x), or builds new ops, which go through the same emitter, so
// they are simplified too and land after their operands: the rebuilt vector
// is in topological order by construction. We can't rewrite in place, since
// a rewrite such as mul(neg a, b) -> neg(mul(a, b)) needs a new op before the
// use, and the IR has no way to insert one.
//
// Why only these rules: the result must be bit-for-bit what the unoptimized
// program computes in IEEE arithmetic (round to nearest). So
//   - no x * 0 -> 0 (x may be NaN, Inf or negative), no x - x -> 0 (NaN, Inf),
//     no reassociation (rounding);
//   - no x + 0.0 -> x: -0.0 + 0.0 is +0.0. x + (-0.0) -> x and x - 0.0 -> x
//     are exact for every x;
//   - negations move freely through mul and div (round-to-nearest is
//     symmetric, the sign of a product or quotient is the xor of the signs),
//     but not through add: (-a) - b is not -(a + b) when a + b is an exact
//     zero (+0.0 vs -0.0);
//   - integer division truncates, and -INT_MIN wraps to INT_MIN, so
//     (-a) / b is not -(a / b) for integers: the div rules are float-only;
//   - folding is exact for the correctly rounded operations (+ - * /, sqrt,
//     conversions); exp, log, sin, cos, tanh and pow fold with the host's
//     libm, which may differ from a cross-compilation target's in the last
//     bit, as LLVM's own folding of those calls does;
//   - float comparisons are never folded for equal operands (NaN).
// A NaN's sign and payload are not considered observable (x * -1 -> neg x).
//
// Tensors. Element-wise ops take operands of one shape, and a constant
// operand of a tensor op is a scalar constant broadcast (a "splat"), so the
// identities look through splats (x * splat(1) -> x) and a folded constant
// of a tensor type is built as a splat: no rewrite changes a type. Only
// scalars are folded; an element-wise op whose operands are all broadcasts
// from one shape is done on the smaller operands and broadcast afterwards
// (exact: each result element is the same scalar operation), which is how
// splats fold. Shape identities: broadcast, reshape and sum_to to the
// operand's own type are the operand; broadcast of broadcast, reshape of
// reshape and transpose of transpose collapse; a reshape of a broadcast is
// a broadcast of a reshape where the axes match up; sum_to of a broadcast that
// added no elements is the broadcast's operand. sum_to(broadcast(x)) in
// general is not x (it sums the copies).
//
// Folding follows the language's defined semantics, which codegen
// implements too (docs/language.md, lib/CodeGen/LLVMEmitter.cpp): f32
// arithmetic is done in float; integers wrap at their width; x / 0 == 0 and
// INT_MIN / -1 == INT_MIN for integers; max(a, b) is `a >= b ? a : b` and
// min(a, b) is `a <= b ? a : b` (ties pick the first operand, a NaN the
// second); float-to-int conversion truncates toward zero and saturates, NaN
// giving 0 (LLVM's fptosi.sat); conversion to bool is `!= 0` (true for NaN).
//
// The rebuild is repeated until a sweep changes nothing. Ops made dead by a
// rewrite stay for DCE; constants made by folding are new ops, which CSE
// deduplicates.
//
// The folds themselves are in Fold.cpp.
//
//===----------------------------------------------------------------------===//
#include "Fold.h"
#include "nnc/IR/IR.h"
#include "nnc/Transforms/Passes.h"
#include "ReshapeBroadcast.h"
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

using namespace nnc;
using namespace nnc::folding;
using namespace nnc::ir;

//===----------------------------------------------------------------------===//
// The rebuilding simplifier
//===----------------------------------------------------------------------===//

namespace {

class Simplifier {
public:
  explicit Simplifier(const Function &F) : F(F) {}

  /// One sweep; returns true if any rule fired.
  bool run(std::vector<Op> &Result);

private:
  const Function &F;
  std::vector<Op> Ops; // the function being built
  bool Changed = false;

  const Op &def(ValueId V) const { return Ops[V]; }

  ValueId append(Op O) {
    Ops.push_back(std::move(O));
    return static_cast<ValueId>(Ops.size() - 1);
  }

  /// Simplifies \p O (operands in the new numbering) and emits it, or what
  /// it simplifies to.
  ValueId emit(Op O);
  /// The rules: a value \p O equals, or nothing if no rule applies.
  std::optional<ValueId> simplifyOp(const Op &O);

  // Builders for replacement ops; they carry the replaced op's location.
  // A constant of a tensor type is a scalar constant broadcast.
  ValueId make(OpKind K, const Type &Ty, llvm::ArrayRef<ValueId> Operands,
               const Op &Replaced) {
    Op N;
    N.Kind = K;
    N.Ty = Ty;
    N.Operands.assign(Operands.begin(), Operands.end());
    N.Loc = Replaced.Loc;
    return emit(std::move(N));
  }
  ValueId makeConst(const Type &Ty, Scalar S, const Op &Replaced) {
    Op N;
    N.Kind = OpKind::Const;
    N.Ty = Ty.getElementType();
    if (Ty.isFloat())
      N.FloatValue = roundFloat(Ty.getElementKind(), S.F);
    else
      N.IntValue = wrapInt(Ty.getElementKind(), S.I);
    N.Loc = Replaced.Loc;
    ValueId C = append(std::move(N));
    if (!Ty.isTensor())
      return C;
    Op Splat;
    Splat.Kind = OpKind::Broadcast;
    Splat.Ty = Ty;
    Splat.Operands = {C};
    Splat.Loc = Replaced.Loc;
    return append(std::move(Splat));
  }
  ValueId makeIntConst(const Type &Ty, int64_t V, const Op &Replaced) {
    Scalar S;
    S.I = V;
    return makeConst(Ty, S, Replaced);
  }

  // Operand tests.
  bool isConst(ValueId V) const { return def(V).isConst(); }
  /// The scalar constant \p V is, directly or broadcast; null otherwise.
  const Op *scalarConst(ValueId V) const {
    const Op *D = &def(V);
    if (D->Kind == OpKind::Broadcast)
      D = &def(D->Operands[0]);
    return D->isConst() && D->Ty.isScalar() ? D : nullptr;
  }
  bool isKind(ValueId V, OpKind K) const { return def(V).Kind == K; }
  ValueId operand(ValueId V, unsigned I = 0) const {
    return def(V).Operands[I];
  }
  /// A constant equal to \p C (float or integer); not for zeros of floats,
  /// whose sign matters.
  bool isConstEq(ValueId V, int64_t C) const {
    const Op *D = scalarConst(V);
    if (!D)
      return false;
    return D->Ty.isFloat() ? D->FloatValue == static_cast<double>(C)
                           : D->IntValue == C;
  }
  bool isFloatZero(ValueId V, bool Negative) const {
    const Op *D = scalarConst(V);
    return D && D->Ty.isFloat() && D->FloatValue == 0 &&
           std::signbit(D->FloatValue) == Negative;
  }
  bool isIntZero(ValueId V) const {
    const Op *D = scalarConst(V);
    return D && !D->Ty.isFloat() && D->IntValue == 0;
  }
  bool isBoolConst(ValueId V, bool B) const {
    const Op *D = scalarConst(V);
    return D && D->Ty.isBool() && D->IntValue == B;
  }
  /// Same value: the same id, or constants (splat or dense) with the same
  /// type and bits.
  bool sameValue(ValueId A, ValueId B) const {
    if (A == B)
      return true;
    const Op &DA = def(A), &DB = def(B);
    if (DA.Ty != DB.Ty)
      return false;
    if (DA.Kind == OpKind::Broadcast && DB.Kind == OpKind::Broadcast)
      return sameValue(DA.Operands[0], DB.Operands[0]);
    if (!DA.isConst() || !DB.isConst())
      return false;
    if (DA.Ty.isTensor())
      return DA.Data.size() == DB.Data.size() &&
             std::memcmp(DA.Data.data(), DB.Data.data(),
                         DA.Data.size() * sizeof(double)) == 0;
    if (DA.Ty.isFloat())
      return std::memcmp(&DA.FloatValue, &DB.FloatValue, sizeof(double)) == 0;
    return DA.IntValue == DB.IntValue;
  }

  std::optional<ValueId> simplifyArith(const Op &O);
  std::optional<ValueId> simplifyOther(const Op &O);
  std::optional<ValueId> simplifyShape(const Op &O);
  std::optional<ValueId> hoistBroadcasts(const Op &O);
};

} // namespace

ValueId Simplifier::emit(Op O) {
  std::optional<ValueId> R = simplifyOp(O);
  if (!R)
    return append(std::move(O));
  Changed = true;
  // The replaced op's name is a better hint than none. A parameter keeps
  // its own (it is part of the signature).
  Op &Repl = Ops[*R];
  if (Repl.Name.empty() && !O.Name.empty() && Repl.Kind != OpKind::Param)
    Repl.Name = O.Name;
  return *R;
}

std::optional<ValueId> Simplifier::simplifyOp(const Op &O) {
  switch (O.Kind) {
  case OpKind::Param:
  case OpKind::Const:
  case OpKind::Return:
  case OpKind::Call:
  case OpKind::Tuple:
    return std::nullopt;
  default:
    break;
  }

  // Fold when every operand is a scalar constant (select only needs its
  // condition; see simplifyOther). Tensors fold through hoistBroadcasts.
  if (O.Kind != OpKind::Select && O.Kind != OpKind::Extract &&
      O.Ty.isScalar()) {
    llvm::SmallVector<const Op *, 3> Args;
    for (ValueId V : O.Operands) {
      if (!isConst(V) || !def(V).Ty.isScalar())
        break;
      Args.push_back(&def(V));
    }
    if (Args.size() == O.Operands.size())
      if (std::optional<Scalar> S = foldOp(O, Args))
        return makeConst(O.Ty, *S, O);
  }
  if (std::optional<ValueId> R = hoistBroadcasts(O))
    return R;

  switch (getOpClass(O.Kind)) {
  case OpClass::Arith:
  case OpClass::Math:
    return simplifyArith(O);
  default:
    return simplifyOther(O);
  }
}

std::optional<ValueId> Simplifier::simplifyArith(const Op &O) {
  const Type &T = O.Ty;
  bool Float = T.isFloat();
  ValueId A = O.Operands[0];
  ValueId B = O.Operands.size() > 1 ? O.Operands[1] : A;
  switch (O.Kind) {
  case OpKind::Add:
    // x + (-0.0) == x for every x, but x + 0.0 is +0.0 for x = -0.0.
    if (Float ? isFloatZero(B, true) : isIntZero(B))
      return A;
    if (Float ? isFloatZero(A, true) : isIntZero(A))
      return B;
    // a + (-b) is a - b by IEEE's definition of subtraction.
    if (isKind(B, OpKind::Neg))
      return make(OpKind::Sub, T, {A, operand(B)}, O);
    if (isKind(A, OpKind::Neg))
      return make(OpKind::Sub, T, {B, operand(A)}, O);
    return std::nullopt;

  case OpKind::Sub:
    // x - 0.0 == x + (-0.0) == x; x - (-0.0) is not (x + 0.0).
    if (Float ? isFloatZero(B, false) : isIntZero(B))
      return A;
    if (!Float && A == B)
      return makeIntConst(T, 0, O);
    if (!Float && isIntZero(A))
      return make(OpKind::Neg, T, {B}, O);
    if (isKind(B, OpKind::Neg))
      return make(OpKind::Add, T, {A, operand(B)}, O);
    return std::nullopt;

  case OpKind::Mul:
    if (isConstEq(B, 1))
      return A;
    if (isConstEq(A, 1))
      return B;
    if (!Float && (isIntZero(A) || isIntZero(B)))
      return makeIntConst(T, 0, O);
    if (isConstEq(B, -1))
      return make(OpKind::Neg, T, {A}, O);
    if (isConstEq(A, -1))
      return make(OpKind::Neg, T, {B}, O);
    // Negations bubble up through products (exact: rounding to nearest is
    // symmetric, and integer products wrap the same way) so that they meet
    // and cancel.
    if (isKind(A, OpKind::Neg) && isKind(B, OpKind::Neg))
      return make(OpKind::Mul, T, {operand(A), operand(B)}, O);
    if (isKind(A, OpKind::Neg))
      return make(OpKind::Neg, T, {make(OpKind::Mul, T, {operand(A), B}, O)},
                  O);
    if (isKind(B, OpKind::Neg))
      return make(OpKind::Neg, T, {make(OpKind::Mul, T, {A, operand(B)}, O)},
                  O);
    return std::nullopt;

  case OpKind::Div:
    if (isConstEq(B, 1))
      return A;
    // Also for integers: x / -1 wraps like -x (INT_MIN / -1 == INT_MIN).
    if (isConstEq(B, -1))
      return make(OpKind::Neg, T, {A}, O);
    // Float only: with truncating integer division, (-INT_MIN) / 2 differs
    // from -(INT_MIN / 2).
    if (!Float)
      return std::nullopt;
    if (isKind(A, OpKind::Neg) && isKind(B, OpKind::Neg))
      return make(OpKind::Div, T, {operand(A), operand(B)}, O);
    if (isKind(A, OpKind::Neg))
      return make(OpKind::Neg, T, {make(OpKind::Div, T, {operand(A), B}, O)},
                  O);
    if (isKind(B, OpKind::Neg))
      return make(OpKind::Neg, T, {make(OpKind::Div, T, {A, operand(B)}, O)},
                  O);
    return std::nullopt;

  case OpKind::Neg:
    if (isKind(A, OpKind::Neg))
      return operand(A);
    return std::nullopt;

  case OpKind::Max:
  case OpKind::Min:
    // One value against itself: whichever operand is picked, it is A.
    if (A == B)
      return A;
    return std::nullopt;

  case OpKind::Abs:
    // |-x| == |x|, also for INT_MIN (-INT_MIN == INT_MIN).
    if (isKind(A, OpKind::Neg))
      return make(OpKind::Abs, T, {operand(A)}, O);
    return std::nullopt;

  case OpKind::Pow:
    if (isConstEq(B, 1))
      return A;
    // pow is correctly rounded x*x for y == 2. (pow(x, -1) is left alone.)
    if (isConstEq(B, 2))
      return make(OpKind::Mul, T, {A, A}, O);
    return std::nullopt;

  default:
    return std::nullopt;
  }
}

std::optional<ValueId> Simplifier::simplifyOther(const Op &O) {
  switch (O.Kind) {
  case OpKind::Lt:
  case OpKind::Le:
  case OpKind::Gt:
  case OpKind::Ge:
  case OpKind::Eq:
  case OpKind::Ne: {
    // x cmp x is known for integers and bools only (NaN != NaN).
    ValueId A = O.Operands[0], B = O.Operands[1];
    if (A != B || def(A).Ty.isFloat())
      return std::nullopt;
    bool Reflexive =
        O.Kind == OpKind::Le || O.Kind == OpKind::Ge || O.Kind == OpKind::Eq;
    return makeIntConst(O.Ty, Reflexive, O);
  }

  case OpKind::And: {
    ValueId A = O.Operands[0], B = O.Operands[1];
    if (isBoolConst(A, true) || A == B)
      return B;
    if (isBoolConst(B, true))
      return A;
    if (isBoolConst(A, false))
      return A;
    if (isBoolConst(B, false))
      return B;
    return std::nullopt;
  }

  case OpKind::Or: {
    ValueId A = O.Operands[0], B = O.Operands[1];
    if (isBoolConst(A, false) || A == B)
      return B;
    if (isBoolConst(B, false))
      return A;
    if (isBoolConst(A, true))
      return A;
    if (isBoolConst(B, true))
      return B;
    return std::nullopt;
  }

  case OpKind::Not:
    // not(cmp) is never turned into the inverse comparison: for floats
    // not(a < b) is not (a >= b) when either is NaN.
    if (isKind(O.Operands[0], OpKind::Not))
      return operand(O.Operands[0]);
    return std::nullopt;

  case OpKind::Select: {
    ValueId C = O.Operands[0], A = O.Operands[1], B = O.Operands[2];
    if (const Op *K = scalarConst(C))
      return K->IntValue ? A : B;
    if (sameValue(A, B))
      return A;
    if (isKind(C, OpKind::Not))
      return make(OpKind::Select, O.Ty, {operand(C), B, A}, O);
    // A bool select on constant arms is its condition or its negation.
    if (isBoolConst(A, true) && isBoolConst(B, false))
      return C;
    if (isBoolConst(A, false) && isBoolConst(B, true))
      return make(OpKind::Not, O.Ty, {C}, O);
    return std::nullopt;
  }

  case OpKind::Convert:
    if (def(O.Operands[0]).Ty == O.Ty)
      return O.Operands[0];
    return std::nullopt;

  case OpKind::Extract: {
    ValueId T = O.Operands[0];
    if (isKind(T, OpKind::Tuple))
      return def(T).Operands[O.getIndex()];
    // extract(select(c, a, b), i) -> select(c, extract(a, i), extract(b, i)):
    // pushes the projection through, so selects of tuples (the adjoints of
    // a tuple-valued `if`) become selects of scalars. Not to a tensor: an
    // element-wise select needs a condition of the arms' shape, and the
    // tuple select picks a whole tensor without computing the other arm
    // (dropout in evaluation, lowerDropout).
    if (isKind(T, OpKind::Select) && !O.Ty.isTensor()) {
      auto Project = [&](ValueId Tuple) {
        Op E = O;
        E.Name.clear();
        E.Operands = {Tuple};
        return emit(std::move(E));
      };
      ValueId A = Project(operand(T, 1));
      ValueId B = Project(operand(T, 2));
      return make(OpKind::Select, O.Ty, {operand(T, 0), A, B}, O);
    }
    return std::nullopt;
  }

  case OpKind::DimValue:
    // A constant dimension is a constant.
    if (O.getDim().isConstant())
      return makeIntConst(O.Ty, O.getDim().Factor, O);
    return std::nullopt;

  default:
    return simplifyShape(O);
  }
}

std::optional<ValueId> Simplifier::hoistBroadcasts(const Op &O) {
  // op(broadcast(a), broadcast(b)) -> broadcast(op(a, b)) when a and b have
  // one shape: the same scalar operations on fewer elements. Splat
  // operands become scalar ops, which fold.
  if (!isElementwise(O.Kind) || !O.Ty.isTensor() || O.Operands.empty())
    return std::nullopt;
  const Shape *From = nullptr;
  for (ValueId V : O.Operands) {
    if (!isKind(V, OpKind::Broadcast))
      return std::nullopt;
    const Shape &S = def(operand(V)).Ty.getShape();
    if (From && S != *From)
      return std::nullopt;
    From = &S;
  }
  Op Small = O;
  Small.Name.clear();
  Small.Ty = Type::tensor(O.Ty.getElementKind(), *From);
  for (ValueId &V : Small.Operands)
    V = operand(V);
  ValueId R = emit(std::move(Small));
  return make(OpKind::Broadcast, O.Ty, {R}, O);
}

std::optional<ValueId> Simplifier::simplifyShape(const Op &O) {
  if (O.Operands.size() != 1)
    return std::nullopt;
  ValueId A = O.Operands[0];
  const Op &D = def(A);
  switch (O.Kind) {
  case OpKind::Broadcast:
  case OpKind::Reshape:
  case OpKind::SumTo:
    // To its own type: nothing to do.
    if (D.Ty == O.Ty)
      return A;
    break;
  default:
    break;
  }
  switch (O.Kind) {
  case OpKind::Broadcast:
    // Broadcasts compose: a dim of x is 1 or kept by the first, and then
    // 1 or kept by the second.
    if (D.Kind == OpKind::Broadcast)
      return make(OpKind::Broadcast, O.Ty, {D.Operands[0]}, O);
    return std::nullopt;
  case OpKind::Reshape:
    // Row-major order is kept by each reshape, so by both.
    if (D.Kind == OpKind::Reshape)
      return make(OpKind::Reshape, O.Ty, {D.Operands[0]}, O);
    // Every element of a splat is the same: splat the new shape.
    if (D.Kind == OpKind::Broadcast && def(D.Operands[0]).Ty.isScalar())
      return make(OpKind::Broadcast, O.Ty, {D.Operands[0]}, O);
    // Otherwise the small operand reshaped, then broadcast, when the axes
    // match up (ReshapeBroadcast.h): a view instead of a tensor in memory.
    if (D.Kind == OpKind::Broadcast)
      if (std::optional<Shape> S = getReshapeBeforeBroadcast(
              def(D.Operands[0]).Ty.getShape(), D.Ty.getShape(),
              O.Ty.getShape()))
        return make(
            OpKind::Broadcast, O.Ty,
            {make(OpKind::Reshape, Type::tensor(O.Ty.getElementKind(), *S),
                  {D.Operands[0]}, O)},
            O);
    return std::nullopt;
  case OpKind::SumTo:
    // A broadcast that added no elements (only dims of 1) summed back: each
    // sum has one term. (Exact but for the sign of a zero: a one-term sum
    // that starts from +0.0 turns -0.0 into +0.0; we take x.)
    if (D.Kind == OpKind::Broadcast && def(D.Operands[0]).Ty == O.Ty &&
        getNumElements(O.Ty.getShape()) == getNumElements(D.Ty.getShape()))
      return D.Operands[0];
    return std::nullopt;
  case OpKind::Transpose:
    if (D.Kind == OpKind::Transpose)
      return D.Operands[0];
    if (D.Kind == OpKind::Broadcast && def(D.Operands[0]).Ty.isScalar())
      return make(OpKind::Broadcast, O.Ty, {D.Operands[0]}, O);
    return std::nullopt;
  case OpKind::Permute: {
    // Issue 12, tensorops. A splat permuted is a splat; two permutations
    // are one (z axis j = y axis p2[j] = x axis p1[p2[j]]), none when that
    // is the identity.
    if (D.Kind == OpKind::Broadcast && def(D.Operands[0]).Ty.isScalar())
      return make(OpKind::Broadcast, O.Ty, {D.Operands[0]}, O);
    if (D.Kind != OpKind::Permute)
      return std::nullopt;
    llvm::SmallVector<unsigned, 4> P;
    for (unsigned A : O.getPerm())
      P.push_back(D.getPerm()[A]);
    if (llvm::all_of(llvm::enumerate(P),
                     [](auto X) { return X.index() == X.value(); }))
      return D.Operands[0];
    Op N;
    N.Kind = OpKind::Permute;
    N.Ty = O.Ty;
    N.Operands = {D.Operands[0]};
    N.setPerm(P);
    N.Loc = O.Loc;
    return emit(std::move(N));
  }
  default:
    return std::nullopt;
  }
}

bool Simplifier::run(std::vector<Op> &Result) {
  Ops.clear();
  Ops.reserve(F.Ops.size());
  Changed = false;
  std::vector<ValueId> Map(F.Ops.size());
  for (size_t I = 0; I < F.Ops.size(); ++I) {
    Op O = F.Ops[I];
    for (ValueId &V : O.Operands)
      V = Map[V];
    Map[I] = emit(std::move(O));
  }
  Result = std::move(Ops);
  return Changed;
}

bool nnc::simplify(Function &F) {
  // Each sweep sees every operand simplified already, so the second sweep
  // normally finds nothing; the bound only guards against a rule cycle.
  constexpr unsigned MaxSweeps = 16;
  bool Any = false;
  for (unsigned I = 0; I < MaxSweeps; ++I) {
    std::vector<Op> NewOps;
    bool Changed = Simplifier(F).run(NewOps);
    if (!Changed)
      break;
    F.Ops = std::move(NewOps);
    Any = true;
  }
  return Any;
}
