//===- ReductionOrderTest.cpp - The one order of multi-axis reductions ----===//
//
// ir::planReduction decides the bits of `sum(x, axis=[...])` and `sum_to`
// alike: these pin its exact chains, in particular around axes of extent 1
// (on which IRGen's and CodeGen's copies of the order once disagreed) and
// dimension variables (which may be 1 when called but are not dropped).
//
//===----------------------------------------------------------------------===//
#include "nnc/IR/ReductionOrder.h"
#include "gtest/gtest.h"

using namespace nnc;
using namespace nnc::ir;

namespace {

/// A dimension: a constant, or a variable by name.
struct D {
  Dim V;
  D(int64_t N) : V(Dim::constant(N)) {}
  D(const char *Name) : V(Dim::var(Name)) {}
  D(Dim X) : V(std::move(X)) {}
};

Shape shape(std::initializer_list<D> Ds) {
  Shape S;
  for (const D &X : Ds)
    S.push_back(X.V);
  return S;
}

ReduceStep step(D Outer, D Axis, D Inner) { return {Outer.V, Axis.V, Inner.V}; }

/// Checks the plan of reducing \p S along \p Axes: its merged shape, its
/// order and its (outer, axis, inner) steps.
void expectPlan(const Shape &S, std::vector<unsigned> Axes,
                const Shape &Merged, std::vector<unsigned> Order,
                std::vector<ReduceStep> Steps) {
  ReductionPlan P = planReduction(S, Axes);
  EXPECT_EQ(shapeToString(P.Merged), shapeToString(Merged));
  EXPECT_EQ(P.Order, Order);
  std::vector<ReduceStep> Got = P.steps();
  ASSERT_EQ(Got.size(), Steps.size());
  for (size_t I = 0; I < Steps.size(); ++I)
    EXPECT_TRUE(Got[I] == Steps[I])
        << "step " << I << ": [" << Got[I].Outer.str() << ", "
        << Got[I].Axis.str() << ", " << Got[I].Inner.str() << "]";
}

TEST(ReductionOrderTest, OutermostFirstLastAxisLast) {
  // NCHW's [0, 2, 3]: N vectorized over C*H*W, then H over W, then W.
  expectPlan(shape({8, 3, 5, 7}), {0, 2, 3}, shape({8, 3, 5, 7}), {0, 1, 1},
             {step(1, 8, 105), step(3, 5, 7), step(3, 7, 1)});
  // The order of the list does not matter.
  expectPlan(shape({8, 3, 5, 7}), {3, 0, 2}, shape({8, 3, 5, 7}), {0, 1, 1},
             {step(1, 8, 105), step(3, 5, 7), step(3, 7, 1)});
  // One axis: one step, whichever.
  expectPlan(shape({9, 13}), {1}, shape({9, 13}), {1}, {step(9, 13, 1)});
  expectPlan(shape({9, 13}), {0}, shape({9, 13}), {0}, {step(1, 9, 13)});
}

TEST(ReductionOrderTest, AdjacentAxesMergeButNotIntoTheLast) {
  expectPlan(shape({2, 3, 4, 5}), {0, 1, 2}, shape({24, 5}), {0},
             {step(1, 24, 5)});
  expectPlan(shape({2, 3, 4, 5}), {0, 1, 2, 3}, shape({24, 5}), {0, 0},
             {step(1, 24, 5), step(1, 5, 1)});
  expectPlan(shape({2, 3, 4, 5}), {1, 2, 3}, shape({2, 12, 5}), {1, 1},
             {step(2, 12, 5), step(2, 5, 1)});
}

TEST(ReductionOrderTest, AxesOfExtentOneTakeNoPart) {
  // In the middle: reduced or not, it does not split the run around it
  // (`sum(x, axis=[0, 2])` once reduced 5 then 3, sum_to 15 at once).
  for (std::vector<unsigned> Axes : {std::vector<unsigned>{0, 2}, {0, 1, 2}})
    expectPlan(shape({5, 1, 3, 6}), Axes, shape({15, 6}), {0},
               {step(1, 15, 6)});
  expectPlan(shape({4, 1, 5, 1, 3, 7}), {0, 2, 4}, shape({60, 7}), {0},
             {step(1, 60, 7)});
  // Leading.
  for (std::vector<unsigned> Axes : {std::vector<unsigned>{1, 2}, {0, 1, 2}})
    expectPlan(shape({1, 5, 6, 7}), Axes, shape({30, 7}), {0},
               {step(1, 30, 7)});
  // Trailing: the last axis of extent above 1 is the last axis, so the 9
  // is summed last, not merged with the 7 into one chain of 63.
  for (std::vector<unsigned> Axes : {std::vector<unsigned>{0, 1}, {0, 1, 2}})
    expectPlan(shape({7, 9, 1}), Axes, shape({7, 9}), {0, 0},
               {step(1, 7, 9), step(1, 9, 1)});
  expectPlan(shape({6, 4, 5, 1}), {1, 2}, shape({6, 4, 5}), {1, 1},
             {step(6, 4, 5), step(6, 5, 1)});
}

TEST(ReductionOrderTest, NothingOfExtentAboveOneIsASumOfOne) {
  expectPlan(shape({1, 1, 1}), {0, 1, 2}, shape({1, 1}), {1},
             {step(1, 1, 1)});
  expectPlan(shape({1, 4}), {0}, shape({4, 1}), {1}, {step(4, 1, 1)});
  // sum_to to its own shape.
  expectPlan(shape({4, 5}), {}, shape({20, 1}), {1}, {step(20, 1, 1)});
  expectPlan(shape({"n", 1}), {1}, shape({"n", 1}), {1}, {step("n", 1, 1)});
}

TEST(ReductionOrderTest, DimensionVariablesAreNotDropped) {
  Dim ThreeN = Dim::constant(3) * Dim::var("n");
  ReductionPlan P = planReduction(shape({"n", 1, 3, "m"}), {0, 2});
  EXPECT_EQ(shapeToString(P.Merged),
            shapeToString({ThreeN, Dim::var("m")}));
  EXPECT_EQ(P.Order, std::vector<unsigned>{0});
  // n may be 1 when called; it still counts as an axis, here the last one
  // of a run, not the one before the 4.
  expectPlan(shape({"n", 4, 1}), {0, 1}, shape({"n", 4}), {0, 0},
             {step(1, "n", 4), step(1, 4, 1)});
  expectPlan(shape({2, "k", 1, 5}), {0, 2, 3}, shape({2, "k", 5}), {0, 1},
             {step(1, 2, Dim::var("k") * Dim::constant(5)), step("k", 5, 1)});
}

TEST(ReductionOrderTest, SumToAxes) {
  using V = std::vector<unsigned>;
  // Leading axes the output lacks, and those where it has 1, including
  // axes of extent 1 in the input.
  EXPECT_EQ(getSumToAxes(shape({2, 3, 4, 5}), shape({3, 1, 1})),
            (V{0, 2, 3}));
  EXPECT_EQ(getSumToAxes(shape({5, 1, 3, 6}), shape({1, 1, 1, 6})),
            (V{0, 1, 2}));
  EXPECT_EQ(getSumToAxes(shape({4, 3}), shape({})), (V{0, 1}));
  EXPECT_EQ(getSumToAxes(shape({"n", 3}), shape({"n", 3})), V{});
}

} // namespace
