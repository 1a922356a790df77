//===- SplitMix.h - A seeded generator for the tools' sample points -*- C++ -*-===//
//
// SplitMix64 (Steele, Lea and Flood): the same numbers on every platform for
// a seed, so `nnc check` and `nnc graph` draw the same points wherever they
// run. Not the generator of generated code (randn in .nn programs), which
// lives in lib/CodeGen/Random.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_SPLITMIX_H
#define NNC_SUPPORT_SPLITMIX_H

#include <cmath>
#include <cstdint>

namespace nnc {

class SplitMix64 {
public:
  explicit SplitMix64(uint64_t Seed) : State(Seed) {}
  uint64_t next() {
    uint64_t Z = (State += 0x9e3779b97f4a7c15ULL);
    Z = (Z ^ (Z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    Z = (Z ^ (Z >> 27)) * 0x94d049bb133111ebULL;
    return Z ^ (Z >> 31);
  }
  /// Uniform in [Lo, Hi).
  double uniform(double Lo, double Hi) {
    return Lo + (Hi - Lo) * (double(next() >> 11) * 0x1.0p-53);
  }
  /// Uniform in (0, 1].
  double open01() { return (double(next() >> 11) + 1) * 0x1.0p-53; }
  /// Standard normal (Box-Muller).
  double normal() {
    double U = open01(), V = open01();
    return std::sqrt(-2 * std::log(U)) * std::cos(2 * M_PI * V);
  }

private:
  uint64_t State;
};

} // namespace nnc

#endif
