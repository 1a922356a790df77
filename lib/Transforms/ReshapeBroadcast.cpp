//===- ReshapeBroadcast.cpp - A broadcast reshaped, as a reshape broadcast ===//
#include "ReshapeBroadcast.h"

using namespace nnc;

std::optional<Shape> nnc::getReshapeBeforeBroadcast(const Shape &Y,
                                                    const Shape &Wide,
                                                    const Shape &To) {
  if (Y.size() > Wide.size())
    return std::nullopt;
  size_t Lead = Wide.size() - Y.size();
  // Per axis of Wide: 1 stretched, 0 kept, -1 either (an axis of 1).
  std::vector<int> Stretched(Wide.size());
  for (size_t A = 0; A < Wide.size(); ++A) {
    const Dim &From = A < Lead ? Dim::constant(1) : Y[A - Lead];
    if (Wide[A].isOne())
      Stretched[A] = -1;
    else if (From == Wide[A])
      Stretched[A] = 0;
    else if (From.isOne())
      Stretched[A] = 1;
    else
      return std::nullopt;
  }
  Shape Result;
  size_t I = 0, J = 0;
  while (I < Wide.size() || J < To.size()) {
    // The next group: axes [I, I2) of Wide and [J, J2) of To of equal
    // products.
    size_t I2 = I, J2 = J;
    Dim PI = Dim::constant(1), PJ = Dim::constant(1);
    if (I2 < Wide.size())
      PI = Wide[I2++];
    if (J2 < To.size())
      PJ = To[J2++];
    while (PI != PJ) {
      if (!PI.isConstant() || !PJ.isConstant())
        return std::nullopt;
      if (PI.Factor < PJ.Factor && I2 < Wide.size())
        PI = PI * Wide[I2++];
      else if (PJ.Factor < PI.Factor && J2 < To.size())
        PJ = PJ * To[J2++];
      else
        return std::nullopt;
    }
    int Kind = -1;
    for (size_t A = I; A < I2; ++A) {
      if (Stretched[A] < 0)
        continue;
      if (Kind >= 0 && Kind != Stretched[A])
        return std::nullopt;
      Kind = Stretched[A];
    }
    for (size_t B = J; B < J2; ++B)
      Result.push_back(Kind == 1 ? Dim::constant(1) : To[B]);
    I = I2, J = J2;
  }
  return Result;
}
