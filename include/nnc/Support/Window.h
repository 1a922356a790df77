//===- Window.h - Sliding windows of conv2d and pooling ---------*- C++ -*-===//
//
// conv2d, max_pool2d, avg_pool2d and their gradient ops slide a window over
// the last two axes of an NCHW tensor. The output extent of an axis is
// (In + 2 Pad - K) / Stride + 1, rounded down as in PyTorch. Sema and the
// IR's shape inference both compute it here, so the two cannot disagree.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_WINDOW_H
#define NNC_SUPPORT_WINDOW_H

#include "nnc/Support/Shape.h"
#include <optional>
#include <string>

namespace nnc {

/// How a window slides: the same along both spatial axes.
struct Window {
  /// Pooling: the side of the square window. conv2d and its gradients: 0,
  /// the window is the weight's [R, S].
  unsigned Kernel = 0;
  unsigned Stride = 1;
  /// Rows and columns of zeros (pools: ignored positions) on each side.
  unsigned Pad = 0;
  bool operator==(const Window &) const = default;
};

/// The output extent of a window of \p K elements sliding over an axis of
/// \p In elements with \p W's stride and padding. A dimension is a constant
/// times a product of variables, so for a symbolic \p In the result exists
/// only when it is In / Stride exactly: when 0 <= 2 Pad - K + Stride <
/// Stride and In's factor is a multiple of Stride (stride 1 with 2 Pad ==
/// K - 1 gives In itself). Otherwise, or when the window does not fit in
/// the padded axis, returns std::nullopt and says why in \p Why.
inline std::optional<Dim> getWindowExtent(const Dim &In, int64_t K,
                                          const Window &W, std::string &Why) {
  int64_t S = W.Stride, P = W.Pad;
  if (S < 1 || K < 1) {
    Why = "the stride and the window must be at least 1";
    return std::nullopt;
  }
  if (In.isConstant()) {
    int64_t Span = In.Factor + 2 * P - K;
    if (Span < 0) {
      Why = "the window (" + std::to_string(K) +
            ") is larger than the padded input (" +
            std::to_string(In.Factor + 2 * P) + ")";
      return std::nullopt;
    }
    return Dim::constant(Span / S + 1);
  }
  // floor((In + C) / S) with C = 2P - K + S: In / S when 0 <= C < S and S
  // divides In's factor.
  int64_t C = 2 * P - K + S;
  if (C < 0 || C >= S || In.Factor % S != 0) {
    int64_t Shift = 2 * P - K;
    std::string Span = In.str();
    if (Shift)
      Span += (Shift < 0 ? " - " : " + ") +
              std::to_string(Shift < 0 ? -Shift : Shift);
    Why = "the output size (" + Span + ") / " + std::to_string(S) +
          " + 1 is not a constant times a product of dimension variables: "
          "give this axis a constant size, or sizes for which it is " +
          In.str() + " / " + std::to_string(S) +
          " (a multiple of the stride, such as " + std::to_string(S) +
          "*" + In.str() + ", and 0 <= 2 * padding - window + stride < stride)";
    return std::nullopt;
  }
  Dim R = In;
  R.Factor /= S;
  if (R.Factor == 0) {
    Why = "the output would have no elements";
    return std::nullopt;
  }
  return R;
}

} // namespace nnc

#endif
