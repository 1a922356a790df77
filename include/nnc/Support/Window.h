//===- Window.h - Sliding windows of conv2d and pooling ---------*- C++ -*-===//
//
// conv2d, max_pool2d, avg_pool2d and their gradient ops slide a window over
// the last two axes of an NCHW tensor. The output extent of each axis is
// (In + 2 Pad - K) / Stride + 1, rounded down as in PyTorch. Sema and the
// IR's shape inference both compute it here, so the two cannot disagree.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_WINDOW_H
#define NNC_SUPPORT_WINDOW_H

#include "nnc/Support/Shape.h"
#include <array>
#include <optional>
#include <string>

namespace nnc {

/// How a window slides over the rows (H, index 0) and the columns (W,
/// index 1) of an image. The language and the IR write each of the three
/// as one integer for both axes or as a list [rows, columns].
struct Window {
  /// Pooling: the window's rows and columns. conv2d and its gradients:
  /// {0, 0}, the window is the weight's [R, S].
  std::array<unsigned, 2> Kernel = {0, 0};
  std::array<unsigned, 2> Stride = {1, 1};
  /// Rows and columns of zeros (pools: ignored positions) on each side.
  std::array<unsigned, 2> Pad = {0, 0};
  bool operator==(const Window &) const = default;

  /// The same kernel, stride and padding along both axes.
  static Window square(unsigned Kernel, unsigned Stride, unsigned Pad) {
    return {{Kernel, Kernel}, {Stride, Stride}, {Pad, Pad}};
  }
  bool isPool() const { return Kernel[0] > 0 || Kernel[1] > 0; }
};

/// "3" for {3, 3}, "[2, 3]" otherwise: how `--emit=nn`, the IR and the
/// diagnostics write a kernel, stride or padding.
inline std::string renderWindowPair(const std::array<unsigned, 2> &V) {
  if (V[0] == V[1])
    return std::to_string(V[0]);
  return "[" + std::to_string(V[0]) + ", " + std::to_string(V[1]) + "]";
}

/// The output extent of a window of \p K elements sliding over an axis of
/// \p In elements with stride \p S and padding \p P (one axis of a
/// Window: each axis is computed on its own; \p Axis, 0 for the rows and
/// 1 for the columns, names it in \p Why). A dimension is a constant
/// times a product of variables, so for a symbolic \p In the result exists
/// only when it is In / Stride exactly: when 0 <= 2 Pad - K + Stride <
/// Stride and In's factor is a multiple of Stride (stride 1 with 2 Pad ==
/// K - 1 gives In itself). Otherwise, or when the window does not fit in
/// the padded axis, returns std::nullopt and says why in \p Why.
inline std::optional<Dim> getWindowExtent(const Dim &In, int64_t K, int64_t S,
                                          int64_t P, unsigned Axis,
                                          std::string &Why) {
  if (S < 1 || K < 1) {
    Why = "the stride and the window must be at least 1";
    return std::nullopt;
  }
  if (In.isConstant()) {
    int64_t Span = In.Factor + 2 * P - K;
    if (Span < 0) {
      std::string Side = Axis ? "width" : "height";
      Why = "the window's " + Side + " (" + std::to_string(K) +
            ") is larger than the padded input's (" +
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
