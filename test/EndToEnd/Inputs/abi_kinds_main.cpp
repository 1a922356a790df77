// Calls abi_kinds.nn from C++ (../header-c-cxx.test): the header's extern "C"
// block gives the functions C linkage, and its types are C++'s.
#include "abi_kinds.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <type_traits>

// The signatures C++ sees.
static_assert(std::is_same_v<decltype(&f), double (*)(double, double, double)>);
static_assert(std::is_same_v<decltype(&df), void (*)(double, double, double,
                                                      double *, double *,
                                                      double *)>);
static_assert(std::is_same_v<decltype(&nullary), double (*)()>);
static_assert(std::is_same_v<decltype(&fl), float (*)(float, std::int32_t)>);
static_assert(std::is_same_v<decltype(&big), std::int64_t (*)(std::int64_t)>);
static_assert(std::is_same_v<decltype(&flip), bool (*)(bool)>);
static_assert(std::is_same_v<decltype(&pair), void (*)(double, bool *,
                                                        std::int32_t *)>);

namespace {
// A C++ wrapper returning the gradient as an array.
std::array<double, 3> gradient(double x, double y, double z) {
  std::array<double, 3> g{};
  df(x, y, z, &g[0], &g[1], &g[2]);
  return g;
}
} // namespace

int main() {
  int failures = 0;
  auto [dx, dy, dz] = gradient(-2, 5, -4);
  std::printf("f = %g\ndf = (%g, %g, %g)\n", f(-2, 5, -4), dx, dy, dz);
  if (f(-2, 5, -4) != -12 || dx != -4 || dy != -4 || dz != 3)
    ++failures;
  bool positive = true;
  std::int32_t k = 0;
  pair(-2.5, &positive, &k);
  std::printf("pair = (%s, %d)\n", positive ? "true" : "false", k);
  if (positive || k != -2)
    ++failures;
  std::printf("flip(false) = %s\n", flip(false) ? "true" : "false");
  if (!flip(false) || flip(true))
    ++failures;
  std::printf("fl = %g, big = %lld\n", fl(1.5f, 3),
              static_cast<long long>(big(21)));
  if (fl(1.5f, 3) != 4.5f || big(21) != 42)
    ++failures;
  double a = 0, b = 0, c = 0;
  dkw(2, 3, 4, &a, &b, &c);
  std::printf("dkw = (%g, %g, %g)\n", a, b, c);
  if (a != 3 || b != 2 || c != 1)
    ++failures;
  return failures;
}
