// Lane types shared by the fused neuron scans (lif.cc, multilevel.cc): one
// neuron (Lane1) or W neurons of one time step in a GCC/Clang vector register
// (Lanes4, Lanes8), with the loads, stores, selects and float<->double
// conversions the scans use. Include it before surrogates.generated.h.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "gemm.h"
#include "simd.h"

// The lane types below travel by value only between always-inlined helpers, so
// GCC's note that 256/512-bit vector arguments have an ABI is moot here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

// Everything between an entry point and its lane code must inline into it:
// the entry point's target attribute is what makes that code use ymm/zmm
// registers (an out-of-line helper, lambdas included, would be generic x86-64).
#if defined(__GNUC__) || defined(__clang__)
#define SF_AI inline __attribute__((always_inline))
#define SF_AI_LAMBDA __attribute__((always_inline))
#else
#define SF_AI inline
#define SF_AI_LAMBDA
#endif

namespace sf {

/*
 * Lanes: the scans are written once, over a "lane" type that is one neuron
 * (Lane1: plain double/float, the portable path and every vector tail) or W
 * neurons of one time step (Lanes4/Lanes8). Every lane does the scalar code's
 * double operations in the scalar code's order; IEEE +, −, ×, ÷ and the
 * float↔double conversions round the same in a vector register as in a scalar
 * one, so all paths give the same bits. Branches on the data (spiked? reset?)
 * become selects that compute both sides; branches on the configuration stay
 * branches (the same for every lane).
 *
 * The vector lanes use GCC/Clang vector extensions rather than intrinsics:
 * the addon is built without -march, and an intrinsic can only be inlined into
 * a function carrying its target attribute, which a body shared by both widths
 * cannot. Generic vector code has no such restriction; inlined into the
 * SF_TARGET_AVX2 / SF_TARGET_AVX512 entry points below, it compiles to ymm/zmm
 * instructions (and with -ffp-contract=off never to fused multiply-adds).
 */
struct Lane1 {
  static constexpr idx_t W = 1;
  using D = double;
  using F = float;
  using M = bool;
  using MF = bool;
  static SF_AI D bc(double v) { return v; }
  static SF_AI F bcF(float v) { return v; }
  static SF_AI F loadF(const float* p) { return *p; }
  static SF_AI D load(const float* p) { return *p; }
  static SF_AI D loadMask(const std::uint8_t* p) { return *p; }
  static SF_AI D loadD(const double* p) { return *p; }
  static SF_AI void storeD(double* p, D v) { *p = v; }
  static SF_AI F round(D v) { return static_cast<float>(v); }
  static SF_AI D widen(F v) { return v; }
  static SF_AI void store(float* p, F v) { *p = v; }
  static SF_AI void storeMask(std::uint8_t* p, MF m) { *p = m; }
  static SF_AI D sel(M m, D a, D b) { return m ? a : b; }
  static SF_AI F selF(MF m, F a, F b) { return m ? a : b; }
  static SF_AI D abs(D v) { return std::fabs(v); }
};

#if SF_X86
// The vector types, spelled out per width: GCC drops a vector_size attribute
// whose size depends on a template parameter.
template <int WIDTH>
struct VecTypes;
// firstBytes: byte 0 of each 32-bit lane (a float compare's lanes, as mask bytes).
// splat: lane 0 everywhere (GCC 12 builds {v, v, ...} lane by lane otherwise).
template <>
struct VecTypes<4> {
  typedef double D __attribute__((vector_size(32)));
  typedef float F __attribute__((vector_size(16)));
  typedef std::uint64_t Bits __attribute__((vector_size(32)));
  typedef std::uint8_t Bytes __attribute__((vector_size(4)));
  typedef std::uint8_t FBytes __attribute__((vector_size(16)));
  static SF_AI Bytes firstBytes(FBytes v) { return __builtin_shufflevector(v, v, 0, 4, 8, 12); }
  static SF_AI D splat(D v) { return __builtin_shufflevector(v, v, 0, 0, 0, 0); }
  static SF_AI F splat(F v) { return __builtin_shufflevector(v, v, 0, 0, 0, 0); }
};
template <>
struct VecTypes<8> {
  typedef double D __attribute__((vector_size(64)));
  typedef float F __attribute__((vector_size(32)));
  typedef std::uint64_t Bits __attribute__((vector_size(64)));
  typedef std::uint8_t Bytes __attribute__((vector_size(8)));
  typedef std::uint8_t FBytes __attribute__((vector_size(32)));
  static SF_AI Bytes firstBytes(FBytes v) { return __builtin_shufflevector(v, v, 0, 4, 8, 12, 16, 20, 24, 28); }
  static SF_AI D splat(D v) { return __builtin_shufflevector(v, v, 0, 0, 0, 0, 0, 0, 0, 0); }
  static SF_AI F splat(F v) { return __builtin_shufflevector(v, v, 0, 0, 0, 0, 0, 0, 0, 0); }
};

// W neurons of one time step in a vector register. The float<->double element
// loops below are what GCC turns into single instructions (vcvtps2pd zmm from
// memory, vcvtpd2ps); __builtin_convertvector is avoided because GCC 12 splits
// a zmm conversion into two ymm halves. (__builtin_shufflevector needs GCC 12+
// or Clang.) loadMask's byte loop is not vectorized well, but only the
// same-step reset modes read the decisions back.
template <int WIDTH>
struct Lanes {
  static constexpr idx_t W = WIDTH;
  using D = typename VecTypes<WIDTH>::D;
  using F = typename VecTypes<WIDTH>::F;
  using Bits = typename VecTypes<WIDTH>::Bits;
  using Bytes = typename VecTypes<WIDTH>::Bytes;
  using FBytes = typename VecTypes<WIDTH>::FBytes;
  using M = decltype(D{} > D{});   // a true lane is all ones (−1)
  using MF = decltype(F{} > F{});  // the same for float lanes
  static SF_AI D bc(double v) { return VecTypes<WIDTH>::splat(D{v}); }
  static SF_AI F bcF(float v) { return VecTypes<WIDTH>::splat(F{v}); }
  static SF_AI F loadF(const float* p) {
    F r;
    std::memcpy(&r, p, sizeof r);
    return r;
  }
  static SF_AI D load(const float* p) {
    D r;
    for (int i = 0; i < WIDTH; i++) r[i] = p[i];
    return r;
  }
  static SF_AI D loadMask(const std::uint8_t* p) {
    D r;
    for (int i = 0; i < WIDTH; i++) r[i] = p[i];
    return r;
  }
  static SF_AI D loadD(const double* p) {
    D r;
    std::memcpy(&r, p, sizeof r);
    return r;
  }
  static SF_AI void storeD(double* p, D v) { std::memcpy(p, &v, sizeof v); }
  static SF_AI F round(D v) {
    F r;
    for (int i = 0; i < WIDTH; i++) r[i] = static_cast<float>(v[i]);
    return r;
  }
  // GCC 12's SLP vectorizer folds widen(round(x)) to x, which is wrong (the
  // rounding is the point); the empty asm hides where v came from.
  static SF_AI D widen(F v) {
    __asm__("" : "+v"(v));
    D r;
    for (int i = 0; i < WIDTH; i++) r[i] = v[i];
    return r;
  }
  static SF_AI void store(float* p, F v) { std::memcpy(p, &v, sizeof v); }
  static SF_AI void storeMask(std::uint8_t* p, MF m) {
    const Bytes b = VecTypes<WIDTH>::firstBytes((FBytes)m) & 1;
    std::memcpy(p, &b, sizeof b);
  }
  static SF_AI D sel(M m, D a, D b) { return m ? a : b; }
  static SF_AI F selF(MF m, F a, F b) { return m ? a : b; }
  // fabs: clear the sign bit (exactly what std::fabs does, −0 and NaN included).
  static SF_AI D abs(D v) { return (D)((Bits)v & (~Bits{} >> 1)); }
};
using Lanes4 = Lanes<4>;
using Lanes8 = Lanes<8>;
#endif

// Runs lanes over a span: whole vectors, then the tail one neuron at a time.
template <class V, class VecFn, class OneFn>
SF_AI void overSpan(idx_t n0, idx_t len, idx_t f0, VecFn&& vec, OneFn&& one) {
  idx_t i = 0;
  if constexpr (V::W > 1)
    for (; i + V::W <= len; i += V::W) vec(n0 + i, f0 + i);
  for (; i < len; i++) one(n0 + i, f0 + i);
}

}  // namespace sf
