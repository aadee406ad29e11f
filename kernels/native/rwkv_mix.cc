#include "rwkv_mix.h"

#include "parallel.h"
#include "scratch.h"
#include "simd.h"

// lanes.h first (the lane types; it turns off GCC's -Wpsabi note for the vector helpers below).
#include "lanes.h"
#include "surrogates.generated.h"

namespace sf {

namespace {

/*
 * Every pass is written once over a lane type (lanes.h): W neighbouring
 * elements (channels, for the token shift) in double, or one element for the
 * tails and the portable build. Each lane does the reference's double
 * operations in its order, so every path gives the reference's bits. The
 * passes are memory-bound except the gate (one sgExp per element), so they
 * split between the two threads from a size where the hand-off pays.
 */

constexpr idx_t kSplitElements = idx_t(1) << 17;
constexpr idx_t kSplitExpElements = idx_t(1) << 14;

template <class V>
SF_AI typename V::D expL(typename V::D x) {
  if constexpr (V::W == 1) return surrogate::sgExp(x);
  else return surrogate::sgExpL<V>(x);
}

struct Shift {
  idx_t T, B, C;
  const float *x, *prev, *mu, *g;
  float *out, *dx;
  double* acc;
};

// x[t−1] for the W channels at flat index i of token t (x[−1] = prev, or zeros).
template <class V>
SF_AI typename V::D before(const Shift& a, idx_t t, idx_t i) {
  if (t > 0) return V::load(a.x + i - a.B * a.C);
  return a.prev ? V::load(a.prev + i) : V::bc(0.0);
}

template <class V>
SF_AI void shiftForwardLanes(const Shift& a, idx_t t, idx_t i, idx_t c) {
  using D = typename V::D;
  const D m = V::load(a.mu + c);
  V::store(a.out + i, V::round(m * V::load(a.x + i) + (V::bc(1.0) - m) * before<V>(a, t, i)));
}

template <class V>
SF_AI void shiftInputGradLanes(const Shift& a, idx_t t, idx_t i, idx_t c) {
  using D = typename V::D;
  const D m = V::load(a.mu + c);
  const D next = t + 1 < a.T ? V::load(a.g + i + a.B * a.C) : V::bc(0.0);
  V::store(a.dx + i, V::round(m * V::load(a.g + i) + (V::bc(1.0) - m) * next));
}

template <class V>
SF_AI void shiftMixGradLanes(const Shift& a, idx_t t, idx_t i, idx_t c) {
  V::storeD(a.acc + c, V::loadD(a.acc + c) + V::load(a.g + i) * (V::load(a.x + i) - before<V>(a, t, i)));
}

// Rows [r0, r1) of the T·B rows (one token of one sequence each): the elementwise passes.
template <class V>
SF_AI void shiftRows(const Shift& a, idx_t r0, idx_t r1, bool forward) {
  for (idx_t r = r0; r < r1; r++) {
    const idx_t t = r / a.B;
    if (forward)
      overSpan<V>(r * a.C, a.C, 0, [&](idx_t i, idx_t c) SF_AI_LAMBDA { shiftForwardLanes<V>(a, t, i, c); },
                  [&](idx_t i, idx_t c) SF_AI_LAMBDA { shiftForwardLanes<Lane1>(a, t, i, c); });
    else
      overSpan<V>(r * a.C, a.C, 0, [&](idx_t i, idx_t c) SF_AI_LAMBDA { shiftInputGradLanes<V>(a, t, i, c); },
                  [&](idx_t i, idx_t c) SF_AI_LAMBDA { shiftInputGradLanes<Lane1>(a, t, i, c); });
  }
}

// Channels [c0, c1): dMu's sums, over t then b (the reference's order per channel).
template <class V>
SF_AI void shiftMixChannels(const Shift& a, idx_t c0, idx_t c1) {
  for (idx_t t = 0; t < a.T; t++)
    for (idx_t b = 0; b < a.B; b++)
      overSpan<V>((t * a.B + b) * a.C + c0, c1 - c0, c0, [&](idx_t i, idx_t c) SF_AI_LAMBDA { shiftMixGradLanes<V>(a, t, i, c); },
                  [&](idx_t i, idx_t c) SF_AI_LAMBDA { shiftMixGradLanes<Lane1>(a, t, i, c); });
}

struct Gate {
  const float *r, *y, *g, *sig;
  float *out, *sigOut, *dr, *dy;
};

template <class V>
SF_AI void gateForwardLanes(const Gate& a, idx_t i, idx_t) {
  using D = typename V::D;
  const D s = V::bc(1.0) / (V::bc(1.0) + expL<V>(-V::load(a.r + i)));
  V::store(a.sigOut + i, V::round(s));
  V::store(a.out + i, V::round(V::load(a.y + i) * s));
}

template <class V>
SF_AI void gateBackwardLanes(const Gate& a, idx_t i, idx_t) {
  using D = typename V::D;
  const D g = V::load(a.g + i), s = V::load(a.sig + i);
  if (a.dr) V::store(a.dr + i, V::round(g * V::load(a.y + i) * s * (V::bc(1.0) - s)));
  if (a.dy) V::store(a.dy + i, V::round(g * s));
}

struct Relu {
  const float *x, *g;
  float *out, *dx;
};

template <class V>
SF_AI void reluForwardLanes(const Relu& a, idx_t i, idx_t) {
  using D = typename V::D;
  const D x = V::load(a.x + i);
  const D r = V::sel(x > V::bc(0.0), x, V::bc(0.0));
  V::store(a.out + i, V::round(r * r));
}

template <class V>
SF_AI void reluBackwardLanes(const Relu& a, idx_t i, idx_t) {
  using D = typename V::D;
  const D x = V::load(a.x + i);
  V::store(a.dx + i, V::round(V::sel(x > V::bc(0.0), V::bc(2.0) * x * V::load(a.g + i), V::bc(0.0))));
}

// The flat passes: [i0, i1) of n elements, whole vectors then the tail.
#define SF_FLAT(NAME, ARGS, LANES)                                                                                \
  template <class V>                                                                                              \
  SF_AI void NAME(const ARGS& a, idx_t i0, idx_t i1) {                                                            \
    overSpan<V>(i0, i1 - i0, 0, [&](idx_t i, idx_t c) SF_AI_LAMBDA { LANES<V>(a, i, c); },                        \
                [&](idx_t i, idx_t c) SF_AI_LAMBDA { LANES<Lane1>(a, i, c); });                                   \
  }
SF_FLAT(gateForwardRange, Gate, gateForwardLanes)
SF_FLAT(gateBackwardRange, Gate, gateBackwardLanes)
SF_FLAT(reluForwardRange, Relu, reluForwardLanes)
SF_FLAT(reluBackwardRange, Relu, reluBackwardLanes)
#undef SF_FLAT

// One entry point per pass and instruction set: the target attribute is what
// makes the inlined lane code use ymm/zmm registers (lanes.h).
#if SF_X86
#define SF_ISA_ENTRIES(NAME, BODY, ...)                                              \
  void NAME##Scalar(__VA_ARGS__) { using V = Lane1; BODY; }                          \
  SF_TARGET_AVX2 void NAME##Avx2(__VA_ARGS__) { using V = Lanes4; BODY; }            \
  SF_TARGET_AVX512 void NAME##Avx512(__VA_ARGS__) { using V = Lanes8; BODY; }
#define SF_DISPATCH(NAME, ...)                                  \
  switch (activeIsa()) {                                        \
    case Isa::avx512: return NAME##Avx512(__VA_ARGS__);         \
    case Isa::avx2: return NAME##Avx2(__VA_ARGS__);             \
    default: return NAME##Scalar(__VA_ARGS__);                  \
  }
#else
#define SF_ISA_ENTRIES(NAME, BODY, ...) \
  void NAME##Scalar(__VA_ARGS__) { using V = Lane1; BODY; }
#define SF_DISPATCH(NAME, ...) return NAME##Scalar(__VA_ARGS__);
#endif

SF_ISA_ENTRIES(shiftRowsIsa, shiftRows<V>(a, r0, r1, forward), const Shift& a, idx_t r0, idx_t r1, bool forward)
SF_ISA_ENTRIES(shiftMixIsa, shiftMixChannels<V>(a, c0, c1), const Shift& a, idx_t c0, idx_t c1)
SF_ISA_ENTRIES(gateForwardIsa, gateForwardRange<V>(a, i0, i1), const Gate& a, idx_t i0, idx_t i1)
SF_ISA_ENTRIES(gateBackwardIsa, gateBackwardRange<V>(a, i0, i1), const Gate& a, idx_t i0, idx_t i1)
SF_ISA_ENTRIES(reluForwardIsa, reluForwardRange<V>(a, i0, i1), const Relu& a, idx_t i0, idx_t i1)
SF_ISA_ENTRIES(reluBackwardIsa, reluBackwardRange<V>(a, i0, i1), const Relu& a, idx_t i0, idx_t i1)

Scratch<double> mixSums;

}  // namespace

void tokenShiftForward(idx_t T, idx_t B, idx_t C, const float* x, const float* prev, const float* mu, float* out) {
  const Shift a{T, B, C, x, prev, mu, nullptr, out, nullptr, nullptr};
  splitRange(T * B, C > 0 ? kSplitElements / C + 1 : T * B + 1, 1, [&](idx_t r0, idx_t r1) { SF_DISPATCH(shiftRowsIsa, a, r0, r1, true) });
}

void tokenShiftBackward(idx_t T, idx_t B, idx_t C, const float* x, const float* prev, const float* mu, const float* g, float* dx, float* dMu) {
  if (dx) {
    const Shift a{T, B, C, x, prev, mu, g, nullptr, dx, nullptr};
    splitRange(T * B, C > 0 ? kSplitElements / C + 1 : T * B + 1, 1, [&](idx_t r0, idx_t r1) { SF_DISPATCH(shiftRowsIsa, a, r0, r1, false) });
  }
  if (dMu) {
    double* acc = mixSums.get(static_cast<std::size_t>(C > 0 ? C : 1));
    for (idx_t c = 0; c < C; c++) acc[c] = 0.0;
    const Shift a{T, B, C, x, prev, mu, g, nullptr, nullptr, acc};
    // Threads split the channels, so each channel's sum keeps the reference's order.
    runHalves(T * B * C >= kSplitElements, C, 8, [&](idx_t c0, idx_t c1) { SF_DISPATCH(shiftMixIsa, a, c0, c1) });
    for (idx_t c = 0; c < C; c++) dMu[c] = static_cast<float>(acc[c]);
  }
}

void sigmoidGateForward(idx_t n, const float* r, const float* y, float* out, float* sig) {
  const Gate a{r, y, nullptr, nullptr, out, sig, nullptr, nullptr};
  splitRange(n, kSplitExpElements, 8, [&](idx_t i0, idx_t i1) { SF_DISPATCH(gateForwardIsa, a, i0, i1) });
}

void sigmoidGateBackward(idx_t n, const float* g, const float* y, const float* sig, float* dr, float* dy) {
  if (!dr && !dy) return;
  const Gate a{nullptr, y, g, sig, nullptr, nullptr, dr, dy};
  splitRange(n, kSplitElements, 8, [&](idx_t i0, idx_t i1) { SF_DISPATCH(gateBackwardIsa, a, i0, i1) });
}

void reluSquareForward(idx_t n, const float* x, float* out) {
  const Relu a{x, nullptr, out, nullptr};
  splitRange(n, kSplitElements, 8, [&](idx_t i0, idx_t i1) { SF_DISPATCH(reluForwardIsa, a, i0, i1) });
}

void reluSquareBackward(idx_t n, const float* x, const float* g, float* dx) {
  const Relu a{x, g, nullptr, dx};
  splitRange(n, kSplitElements, 8, [&](idx_t i0, idx_t i1) { SF_DISPATCH(reluBackwardIsa, a, i0, i1) });
}

}  // namespace sf
