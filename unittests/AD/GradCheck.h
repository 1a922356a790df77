//===- GradCheck.h - Finite-difference checks of derived IR -----*- C++ -*-===//
//
// Builds `vjp` (and `vjp` of that `vjp`) of an IR function written as text,
// then checks them with the reference evaluator:
//   - every element of every gradient against central differences of
//     <f(x), w> (Richardson-extrapolated, so truncation error is O(h^4));
//   - the adjoint identity <J v, w> = <v, J^T w>, J v by differences;
//   - second derivatives: the vjp of the vjp against differences of the
//     vjp;
//   - the default pass pipeline: the optimized module verifies and gives
//     the same values.
// Errors are relative in the infinity norm of the compared gradient, so
// gradients that are zero in places compare fairly.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_UNITTESTS_AD_GRADCHECK_H
#define NNC_UNITTESTS_AD_GRADCHECK_H

#include "../Common/IREvaluator.h"
#include "nnc/IR/IR.h"
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nnc::ir::testing {

using DimBinding = std::map<std::string, int64_t>;

/// How to draw the float inputs of a check.
enum class Inputs {
  Any,         // uniform in [-1, 1]
  Positive,    // uniform in [0.5, 2] (log, sqrt, pow bases)
  AwayFromZero // |x| uniform in [0.2, 1], either sign (relu, abs kinks)
};

struct GradCheckResult {
  double WorstGrad = 0;    // per-element gradients vs differences
  double WorstAdjoint = 0; // <J v, w> vs <v, J^T w>
  double WorstSecond = 0;  // vjp of vjp vs differences of the vjp
  double WorstPipeline = 0; // optimized vs unoptimized values
  std::string Failure;      // empty when everything ran
};

/// Parses IR text (which must be valid) into a module; the failure text
/// goes to the gtest log.
std::unique_ptr<Module> parseIR(const std::string &Text);

/// Runs every check on `@f` of \p Text at the dimensions \p Dims. Integer
/// parameters are labels drawn in [0, Dims[LabelDim]).
GradCheckResult gradCheck(const std::string &Text, const DimBinding &Dims,
                          Inputs In, unsigned Seed,
                          const std::string &LabelDim = "c",
                          bool SecondOrder = true);

/// The worst error any gradCheck saw in this process (for the report).
double worstErrorSeen();

/// The bounds the grad-check tests hold every result to: relative errors
/// of gradients, adjoints and second derivatives against differences in
/// f64. Passes apply only exact rewrites, so optimized values agree to the
/// last bits (the bound allows for nothing but a different but equally
/// exact evaluation).
constexpr double Tolerance = 1e-6;
constexpr double PipelineTolerance = 1e-14;

/// gradCheck of \p Text at each of \p Shapes, with seeds \p FirstSeed,
/// \p FirstSeed + 1, ...: a gtest failure, naming the shape, for a check
/// that did not run or an error past the bounds above.
void expectGradCheck(const std::string &Text,
                     const std::vector<DimBinding> &Shapes, unsigned FirstSeed,
                     Inputs In = Inputs::Any, const std::string &LabelDim = "c",
                     bool SecondOrder = true);

} // namespace nnc::ir::testing

#endif
