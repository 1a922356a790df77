//===- Random.cpp - Counter-based random numbers --------------------------===//
//
// Element i of `rand`/`randn` is a pure function of (seed, stream, i), so
// results do not depend on the order elements are computed in, on threads,
// or on the machine. The bits come from SplitMix64's output function
// applied to a counter (docs/abi.md, "Random numbers", has the formula):
//
//   mix(z)  = z ^= z >> 30, z *= 0xBF58476D1CE4E5B9,
//             z ^= z >> 27, z *= 0x94D049BB133111EB, z ^ (z >> 31)
//   key     = mix(seed + (stream + 1) * G)        G = 0x9E3779B97F4A7C15
//   bits(c) = mix(key + (c + 1) * G)              (all modulo 2^64)
//
//===----------------------------------------------------------------------===//
#include "Loops.h"
#include "TensorFunction.h"
#include <numbers>

using namespace nnc;
using namespace nnc::codegen;

static constexpr uint64_t Golden = 0x9E3779B97F4A7C15ULL;

static llvm::Value *mix(llvm::IRBuilder<> &B, llvm::Value *Z) {
  Z = B.CreateMul(B.CreateXor(Z, B.CreateLShr(Z, 30)),
                  B.getInt64(0xBF58476D1CE4E5B9ULL));
  Z = B.CreateMul(B.CreateXor(Z, B.CreateLShr(Z, 27)),
                  B.getInt64(0x94D049BB133111EBULL));
  return B.CreateXor(Z, B.CreateLShr(Z, 31));
}

static llvm::Value *bits(llvm::IRBuilder<> &B, llvm::Value *Key,
                         llvm::Value *Counter) {
  return mix(B,
             B.CreateAdd(Key, B.CreateMul(B.CreateAdd(Counter, B.getInt64(1)),
                                          B.getInt64(Golden))));
}

/// A double uniform in [0, 1) from the top 53 bits: exact, a multiple of
/// 2^-53.
static llvm::Value *uniform53(llvm::IRBuilder<> &B, llvm::Value *Bits) {
  return B.CreateFMul(B.CreateUIToFP(B.CreateLShr(Bits, 11), B.getDoubleTy()),
                      llvm::ConstantFP::get(B.getDoubleTy(), 0x1p-53));
}

void TensorFunctionEmitter::emitRandom(const ir::Op &O, llvm::Value *Out) {
  llvm::Value *Seed = Vals[O.Operands[0]][0];
  llvm::Value *Key = mix(
      B, B.CreateAdd(Seed, B.getInt64((static_cast<uint64_t>(O.getStream()) + 1) *
                                      Golden)));
  ElementKind K = O.Ty.getElementKind();
  bool IsF32 = K == ElementKind::F32;
  emitLoop(B, numElements(O.Ty), [&](llvm::Value *I) {
    llvm::Value *V;
    if (O.Kind == ir::OpKind::Rand) {
      llvm::Value *Bt = bits(B, Key, I);
      // f32: the top 24 bits, so every value is exact and below 1.
      V = IsF32 ? B.CreateFMul(
                      B.CreateUIToFP(B.CreateLShr(Bt, 40), B.getFloatTy()),
                      llvm::ConstantFP::get(B.getFloatTy(), 0x1p-24))
                : uniform53(B, Bt);
    } else {
      // Box-Muller from counters 2i and 2i+1, in double:
      // sqrt(-2 log(1 - u1)) * cos(2 pi u2); 1 - u1 is never 0.
      llvm::Value *C = B.CreateShl(I, 1);
      llvm::Value *U1 = uniform53(B, bits(B, Key, C));
      llvm::Value *U2 =
          uniform53(B, bits(B, Key, B.CreateOr(C, B.getInt64(1))));
      llvm::Type *D = B.getDoubleTy();
      llvm::Value *L =
          S.intrinsic(llvm::Intrinsic::log,
                      {B.CreateFSub(llvm::ConstantFP::get(D, 1.0), U1)});
      llvm::Value *R =
          S.intrinsic(llvm::Intrinsic::sqrt,
                      {B.CreateFMul(llvm::ConstantFP::get(D, -2.0), L)});
      llvm::Value *Angle =
          B.CreateFMul(llvm::ConstantFP::get(D, 2 * std::numbers::pi), U2);
      V = B.CreateFMul(R, S.intrinsic(llvm::Intrinsic::cos, {Angle}));
      if (IsF32)
        V = B.CreateFPTrunc(V, B.getFloatTy());
    }
    S.store(K, V, Out, I);
  });
}
