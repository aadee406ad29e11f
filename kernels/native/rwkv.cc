#include "rwkv.h"

#include "parallel.h"
#include "scratch.h"
#include "simd.h"

// lanes.h first (the lane types; it turns off GCC's -Wpsabi note for the vector helpers below).
#include "lanes.h"
#include "surrogates.generated.h"

namespace sf {

namespace {

/*
 * Each (sequence, channel) pair is an independent recurrence along the
 * tokens, so the lanes run across neighbouring channels of one sequence
 * (contiguous in [T, B, C]) and every lane does the reference's scalar
 * double operations in its order. Maxima are selects written as the
 * reference's `a > b ? a : b`, exponentials sgExp / sgExpL (the same bits).
 * Threads split the channels, never the sequences, so dw and du keep the
 * reference's summation order over b.
 */

template <class V>
SF_AI typename V::D expL(typename V::D x) {
  if constexpr (V::W == 1) return surrogate::sgExp(x);
  else return surrogate::sgExpL<V>(x);
}

template <class V>
SF_AI typename V::D maxL(typename V::D a, typename V::D b) {
  return V::sel(a > b, a, b);
}

struct Fwd {
  idx_t T, BC;
  const float *k, *v, *w, *u, *s0;
  float *y, *s1;
};

template <class V>
SF_AI void forwardLanes(const Fwd& a, idx_t i0, idx_t c) {
  using D = typename V::D;
  D aa = V::load(a.s0 + i0), bb = V::load(a.s0 + a.BC + i0), pp = V::load(a.s0 + 2 * a.BC + i0);
  const D wc = V::load(a.w + c), uc = V::load(a.u + c);
  for (idx_t t = 0; t < a.T; t++) {
    const idx_t i = t * a.BC + i0;
    const D kt = V::load(a.k + i), vt = V::load(a.v + i);
    const D ww = uc + kt;
    const D p = maxL<V>(pp, ww);
    D e1 = expL<V>(pp - p), e2 = expL<V>(ww - p);
    V::store(a.y + i, V::round((e1 * aa + e2 * vt) / (e1 * bb + e2)));
    const D ws = pp - wc;
    const D q = maxL<V>(ws, kt);
    e1 = expL<V>(ws - q);
    e2 = expL<V>(kt - q);
    aa = e1 * aa + e2 * vt;
    bb = e1 * bb + e2;
    pp = q;
  }
  V::store(a.s1 + i0, V::round(aa));
  V::store(a.s1 + a.BC + i0, V::round(bb));
  V::store(a.s1 + 2 * a.BC + i0, V::round(pp));
}

struct Bwd {
  idx_t T, BC;
  const float *k, *v, *w, *u, *s0, *gy;
  float *gk, *gv;
  double *gwSum, *guSum;  // C values, per channel over the sequences
  double* states;         // 3·T·W: aa, bb, pp before each token, for the lanes in flight
};

template <class V>
SF_AI void backwardLanes(const Bwd& a, idx_t b, idx_t i0, idx_t c) {
  using D = typename V::D;
  constexpr idx_t W = V::W;
  double* sa = a.states;
  double* sb = a.states + a.T * W;
  double* sp = a.states + 2 * a.T * W;
  const D wc = V::load(a.w + c), uc = V::load(a.u + c);
  D aa = V::load(a.s0 + i0), bb = V::load(a.s0 + a.BC + i0), pp = V::load(a.s0 + 2 * a.BC + i0);
  for (idx_t t = 0; t < a.T; t++) {
    V::storeD(sa + t * W, aa);
    V::storeD(sb + t * W, bb);
    V::storeD(sp + t * W, pp);
    const idx_t i = t * a.BC + i0;
    const D kt = V::load(a.k + i), vt = V::load(a.v + i);
    const D ws = pp - wc;
    const D q = maxL<V>(ws, kt);
    const D e1 = expL<V>(ws - q), e2 = expL<V>(kt - q);
    aa = e1 * aa + e2 * vt;
    bb = e1 * bb + e2;
    pp = q;
  }
  D ra = V::bc(0.0), rb = V::bc(0.0), m = V::bc(-1e38), gwAcc = V::bc(0.0), guAcc = V::bc(0.0);
  for (idx_t t = a.T - 1; t >= 0; t--) {
    const idx_t i = t * a.BC + i0;
    const D kt = V::load(a.k + i), vt = V::load(a.v + i), g = V::load(a.gy + i);
    aa = V::loadD(sa + t * W);
    bb = V::loadD(sb + t * W);
    pp = V::loadD(sp + t * W);
    const D ek = expL<V>(kt + m);
    const D gkState = ek * (vt * ra + rb);
    const D gvState = ek * ra;
    gwAcc -= expL<V>(pp - wc + m) * (ra * aa + rb * bb);
    const D ww = uc + kt;
    const D p = maxL<V>(pp, ww);
    const D e1 = expL<V>(pp - p), e2 = expL<V>(ww - p);
    const D den = e1 * bb + e2;
    const D yt = (e1 * aa + e2 * vt) / den;
    const D qd = g / den;
    const D gDirect = qd * e2 * (vt - yt);
    V::store(a.gk + i, V::round(gDirect + gkState));
    V::store(a.gv + i, V::round(qd * e2 + gvState));
    guAcc += gDirect;
    const D mc = m - wc;
    const D np = -p;
    const D mn = maxL<V>(np, mc);
    const D f1 = expL<V>(np - mn), f2 = expL<V>(mc - mn);
    ra = f1 * qd + f2 * ra;
    rb = f2 * rb - f1 * qd * yt;
    m = mn;
  }
  if (b == 0) {
    V::storeD(a.gwSum + c, gwAcc);
    V::storeD(a.guSum + c, guAcc);
  } else {
    V::storeD(a.gwSum + c, V::loadD(a.gwSum + c) + gwAcc);
    V::storeD(a.guSum + c, V::loadD(a.guSum + c) + guAcc);
  }
}

// One channel range [c0, c1) of every sequence.
template <class V>
SF_AI void forwardRange(const Fwd& a, idx_t B, idx_t C, idx_t c0, idx_t c1) {
  for (idx_t b = 0; b < B; b++)
    overSpan<V>(b * C + c0, c1 - c0, c0, [&](idx_t i0, idx_t c) SF_AI_LAMBDA { forwardLanes<V>(a, i0, c); },
                [&](idx_t i0, idx_t c) SF_AI_LAMBDA { forwardLanes<Lane1>(a, i0, c); });
}

template <class V>
SF_AI void backwardRange(const Bwd& a, idx_t B, idx_t C, idx_t c0, idx_t c1) {
  for (idx_t b = 0; b < B; b++)
    overSpan<V>(b * C + c0, c1 - c0, c0, [&](idx_t i0, idx_t c) SF_AI_LAMBDA { backwardLanes<V>(a, b, i0, c); },
                [&](idx_t i0, idx_t c) SF_AI_LAMBDA { backwardLanes<Lane1>(a, b, i0, c); });
}

void forwardScalar(const Fwd& a, idx_t B, idx_t C, idx_t c0, idx_t c1) { forwardRange<Lane1>(a, B, C, c0, c1); }
void backwardScalar(const Bwd& a, idx_t B, idx_t C, idx_t c0, idx_t c1) { backwardRange<Lane1>(a, B, C, c0, c1); }
#if SF_X86
SF_TARGET_AVX2 void forwardAvx2(const Fwd& a, idx_t B, idx_t C, idx_t c0, idx_t c1) { forwardRange<Lanes4>(a, B, C, c0, c1); }
SF_TARGET_AVX2 void backwardAvx2(const Bwd& a, idx_t B, idx_t C, idx_t c0, idx_t c1) { backwardRange<Lanes4>(a, B, C, c0, c1); }
SF_TARGET_AVX512 void forwardAvx512(const Fwd& a, idx_t B, idx_t C, idx_t c0, idx_t c1) { forwardRange<Lanes8>(a, B, C, c0, c1); }
SF_TARGET_AVX512 void backwardAvx512(const Bwd& a, idx_t B, idx_t C, idx_t c0, idx_t c1) { backwardRange<Lanes8>(a, B, C, c0, c1); }
#endif

thread_local Scratch<double> stateScratch;
Scratch<double> paramSums;

// About 40 flops and 4–6 exponentials per element and pass: split from 2^14 elements.
constexpr idx_t kSplitElements = idx_t(1) << 14;

}  // namespace

void wkvForward(idx_t T, idx_t B, idx_t C, const float* k, const float* v, const float* w, const float* u, const float* s0, float* y, float* s1) {
  const Fwd a{T, B * C, k, v, w, u, s0, y, s1};
  runHalves(T * B * C >= kSplitElements, C, 8, [&](idx_t c0, idx_t c1) {
#if SF_X86
    switch (activeIsa()) {
      case Isa::avx512: return forwardAvx512(a, B, C, c0, c1);
      case Isa::avx2: return forwardAvx2(a, B, C, c0, c1);
      default: break;
    }
#endif
    forwardScalar(a, B, C, c0, c1);
  });
}

void wkvBackward(idx_t T, idx_t B, idx_t C, const float* k, const float* v, const float* w, const float* u, const float* s0, const float* gy, float* gk,
                 float* gv, float* gw, float* gu) {
  double* sums = paramSums.get(static_cast<std::size_t>(2 * C));
  runHalves(T * B * C >= kSplitElements, C, 8, [&](idx_t c0, idx_t c1) {
    const Bwd a{T, B * C, k, v, w, u, s0, gy, gk, gv, sums, sums + C, stateScratch.get(static_cast<std::size_t>(3 * (T > 0 ? T : 1) * 8))};
#if SF_X86
    switch (activeIsa()) {
      case Isa::avx512: return backwardAvx512(a, B, C, c0, c1);
      case Isa::avx2: return backwardAvx2(a, B, C, c0, c1);
      default: break;
    }
#endif
    backwardScalar(a, B, C, c0, c1);
  });
  for (idx_t c = 0; c < C; c++) {
    gw[c] = B > 0 ? static_cast<float>(sums[c]) : 0.0f;
    gu[c] = B > 0 ? static_cast<float>(sums[C + c]) : 0.0f;
  }
}

}  // namespace sf
