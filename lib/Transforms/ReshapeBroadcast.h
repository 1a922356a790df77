//===- ReshapeBroadcast.h - A broadcast reshaped, as a reshape broadcast -*-===//
//
// reshape(broadcast(y)) is a new tensor in memory (code generation reads a
// broadcast in place only as the operand of an element-wise op), while
// broadcast(reshape(y)) is a reshape of the small y and a view. AD makes
// the first from a reduction over a reshaped tensor (batch_norm's
// statistics over [N, C, H*W]): the adjoint of the mean broadcast to
// [N, C, H*W], reshaped to [N, C, H, W].
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_TRANSFORMS_RESHAPEBROADCAST_H
#define NNC_LIB_TRANSFORMS_RESHAPEBROADCAST_H

#include "nnc/Support/Shape.h"
#include <optional>

namespace nnc {

/// For y of shape \p Y broadcast to \p Wide and reshaped to \p To: the
/// shape y reshaped to so that broadcasting it to \p To gives the same
/// tensor, when there is one. There is when each group of axes the
/// reshape merges or splits (matched by their products, constants only
/// unless a group is one axis on both sides) is entirely stretched by the
/// broadcast or entirely kept.
std::optional<Shape> getReshapeBeforeBroadcast(const Shape &Y,
                                               const Shape &Wide,
                                               const Shape &To);

} // namespace nnc

#endif
