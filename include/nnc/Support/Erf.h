//===- Erf.h - erf and gelu by polynomials ----------------------*- C++ -*-===//
//
// LLVM has no erf intrinsic, and a libm call would keep gelu's loops from
// vectorizing, so nnc evaluates erf with polynomials (docs/language.md,
// "erf and gelu"): code generation emits the same steps in LLVM IR
// (lib/CodeGen/ScalarErf.cpp) with the tables below, and constant folding
// calls erfPoly/geluPoly, so a folded constant is bit for bit the value the
// generated code computes. Each step rounds on its own (nothing is fused).
//
//   |x| < 1:  erf(x)  = x + x P(x^2)
//   |x| >= 1: erfc(t) = e^(-t^2) R_k(t - c_k), t = |x|, k picking [1, 2),
//             [2, 3.25), [3.25, 6); for t >= 6, e^(-t^2) u R_3(u - 1/12),
//             u = 1 / t
//             (gelu needs erfc itself far into the tail, where erf is 1)
//
// The tables come from scripts/fit-erf.py (Chebyshev fits at 40 digits).
// Measured against long double erfl/erfcl (unittests/Support/ErfTest.cpp):
// erf within 1.3 ulp in f64; gelu within 9 ulp for x >= -4.5 and 15 ulp
// down to -37 (below, it is subnormal or 0), where PyTorch's own
// 0.5 x (1 + erf(x / sqrt 2)) has lost every digit by x = -9. f32 is
// computed in f64 and rounded once.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_ERF_H
#define NNC_SUPPORT_ERF_H

namespace nnc::erfpoly {

// erf(x) / x - 1 as a polynomial in x^2 on [0, 1], highest degree first
// (fit error 1.3e-19).
inline constexpr double SmallPoly[13] = {
    5.957176147748911e-11,
    -1.1372848856791674e-09,
    1.4659775274047436e-08,
    -1.6350312701054695e-07,
    1.6461000484121368e-06,
    -1.4925595266831182e-05,
    0.0001205533111164271,
    -0.000854832698083379,
    0.0052239776248180145,
    -0.026866170645076792,
    0.11283791670954879,
    -0.3761263890318375,
    0.1283791670955126};
// erfc(t) e^(t^2) on [lo, hi), in powers of t - (lo + hi) / 2, and
// erfc(t) e^(t^2) t on [6, inf) in powers of 1 / t - 1 / 12; highest
// degree first.
inline constexpr double TailPoly[4][17] = {
    // [1.0, 2.0): fit error 4.61e-19
    {1.3242541506849586e-08,
     -4.9545807838901603e-08,
     1.6714292901928126e-07,
     -5.944961119917664e-07,
     2.0670657912156654e-06,
     -6.97536222785843e-06,
     2.2864299608127746e-05,
     -7.265887301589559e-05,
     0.0002233099453004411,
     -0.0006619300701084315,
     0.0018861348769919975,
     -0.0051459575478377826,
     0.013377340953067394,
     -0.03293090529956527,
     0.0761510398554774,
     -0.16362291773256005,
     0.3215854164543175},
    // [2.0, 3.25): fit error 1.77e-19
    {1.358382455592157e-10,
     -6.111687221327277e-10,
     2.476245854006096e-09,
     -1.0711194077217846e-08,
     4.559009270661933e-08,
     -1.895174193712071e-07,
     7.7097584486266e-07,
     -3.0660897263704845e-06,
     1.190337411035641e-05,
     -4.5043772235952616e-05,
     0.00016585339752880017,
     -0.0005930183702984874,
     0.0020542334146800797,
     -0.006874908639327552,
     0.022155102007593415,
     -0.06846950572892327,
     0.201887554546017},
    // [3.25, 6.0): fit error 1.77e-16
    {2.470386690701337e-13,
     -1.4946337573463627e-12,
     6.958486203763008e-12,
     -4.090073222932715e-11,
     2.4408257512243224e-10,
     -1.4018687579273971e-09,
     7.937556337482919e-09,
     -4.441090492151137e-08,
     2.4509848310527587e-07,
     -1.3334381822330463e-06,
     7.1475398801115005e-06,
     -3.7724401789684606e-05,
     0.0001959179795623668,
     -0.0010004316607622305,
     0.005018832389935079,
     -0.02471274729452758,
     0.11931528862713332},
    // [6, inf), in powers of 1 / t - 1 / 12: fit error 2.88e-20
    {-1569.2811860091265,
     -211.21248454705892,
     345.6384576951101,
     -34.04454731484607,
     -52.564682828538416,
     19.816550258610963,
     5.557219688570852,
     -5.874478516997431,
     0.19551439817661517,
     1.554420676855283,
     -0.4819546027630681,
     -0.42399493695588797,
     0.3243726177712428,
     0.12958478876048513,
     -0.26519603126962943,
     -0.046061014773097486,
     0.5622506521787252},
};
/// Where the tail pieces start (after the first), and their centres (the
/// last one's in 1 / t).
inline constexpr double TailSplit[3] = {2.0, 3.25, 6.0};
inline constexpr double TailCenter[4] = {1.5, 2.625, 4.625, 1.0 / 12};
/// gelu's e^(-x^2 / 2) splits x into Hi + Lo, Hi keeping the top 26 bits
/// of the significand (so Hi * Hi is exact): e^(-Hi^2 / 2) e^(-Lo (x + Hi)
/// / 2) keeps the rounding of x^2 out of the exponent far into the tail.
inline constexpr unsigned long long SplitMask = ~((1ULL << 27) - 1);
/// 1 / sqrt(2), rounded: gelu's argument of erf is x * InvSqrt2.
inline constexpr double InvSqrt2 = 0.70710678118654752440;

} // namespace nnc::erfpoly

namespace nnc {
/// erf(x) as the generated code computes it.
double erfPoly(double X);
/// gelu(x) = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) as the generated code
/// computes it: Phi(x) for x < 0 is 0.5 erfc(|x| / sqrt 2), never
/// 1 - (1 - small), so its relative error stays small far into the tail.
double geluPoly(double X);
} // namespace nnc

#endif
