#include "multilevel.h"

#include <cstring>
#include <type_traits>

#include "parallel.h"
#include "scratch.h"
#include "simd.h"

// lanes.h first (the lane types; it turns off GCC's -Wpsabi note for the vector helpers below).
#include "lanes.h"
#include "surrogates.generated.h"

namespace sf {

namespace {

using surrogate::sgGradL;
using surrogate::vectorSurrogate;

/*
 * The scans over lane types (lanes.h): one neuron, or 4 / 8 neurons of one
 * time step, each lane doing the reference's double operations in its order
 * (src/neurons/multilevel/kernel.ts), so every instruction set gives the
 * TypeScript kernel's bits. The options (reset, output, detach, parameter
 * layout) are uniform branches; only the surrogate id is a template parameter.
 */

// 1.5·2^52: for |y| < 2^51, (y + kRound) − kRound is y rounded to an integer (ties to even), exactly.
constexpr double kRound = 6755399441055744.0;

// The count c = #{k ∈ 1..D : u − (k − ½) > 0} in the closed form of levelCount
// (kernel.ts): m = ⌊u + ½⌋, one less where m − ½ ≥ u, clamped to [0, D]. u is
// first clamped to [−1, D + 1], which changes no count and keeps u + ½ far
// inside the range where the rounding trick floors exactly (vector lanes have
// no floor without SSE4.1/AVX-512 intrinsics, and GCC does not vectorize
// std::floor over vector-extension elements). NaN fails every comparison and
// gives 0, as in the rule.
template <class V>
SF_AI typename V::D levelCount(typename V::D u, double D) {
  using Dv = typename V::D;
  const Dv lo = V::bc(-1.0), hi = V::bc(D + 1.0), zero = V::bc(0.0);
  const Dv uc = V::sel(u > hi, hi, V::sel(u < lo, lo, u));
  const Dv y = uc + 0.5;
  const Dv r = (y + kRound) - kRound;
  Dv m = V::sel(r > y, r - 1.0, r);  // ⌊y⌋
  m = V::sel(m - 0.5 >= uc, m - 1.0, m);
  return V::sel(m > zero, V::sel(m < V::bc(D), m, V::bc(D)), zero);
}

// Per-layer β and θ travel as values (a reload after every store, which might
// alias them, would keep the compiler from hoisting the broadcast).
struct Params {
  bool bS, tS;  // per neuron
  const float *beta, *thr;
  float beta0, thr0;
};

template <class V>
SF_AI typename V::D betaAt(const Params& p, idx_t f) {
  return p.bS ? V::load(p.beta + f) : V::bc(p.beta0);
}
template <class V>
SF_AI typename V::D thrAt(const Params& p, idx_t f) {
  return p.tS ? V::load(p.thr + f) : V::bc(p.thr0);
}

// Calls fn(n0, len, f0) for the spans covering the rows [bBegin, bEnd) of a
// time step: one span when β and θ are per layer, one batch row per span
// (f = f0 + i, so lanes load consecutive β/θ) when either is per neuron.
template <class Fn>
SF_AI void forEachSpan(const MultiLevelCfg& c, bool perNeuron, Fn&& fn) {
  if (!perNeuron) return fn(c.bBegin * c.F, (c.bEnd - c.bBegin) * c.F, 0);
  for (idx_t b = c.bBegin; b < c.bEnd; b++) fn(b * c.F, c.F, 0);
}

// ---- forward

struct FwdArgs {
  Params p;
  double D, vr;
  bool hard, norm;
};

struct FwdStep {
  const float *vp, *x;
  float *spk, *v;
};

template <class V>
SF_AI void fwdLanes(const FwdArgs& a, const FwdStep& s, idx_t n, idx_t f) {
  using Dv = typename V::D;
  const Dv th = thrAt<V>(a.p, f);
  // The stored charge decides, as in the rule (c.round).
  const Dv h = V::widen(V::round(betaAt<V>(a.p, f) * V::load(s.vp + n) + V::load(s.x + n)));
  const Dv c = levelCount<V>(h / th, a.D);
  V::store(s.spk + n, V::round(a.norm ? c / a.D : c));
  V::store(s.v + n, V::round(a.hard ? V::sel(c > V::bc(0.0), V::bc(a.vr), h) : h - c * th));
}

struct Forward {
  static constexpr bool kVector = true;
  template <class V>
  static SF_AI void run(const MultiLevelCfg& c, const MultiLevelIO& io, const FwdArgs& args) {
    const FwdArgs a = args;  // a local copy stays in registers
    const idx_t N = c.B * c.F;
    for (idx_t t = 0; t < c.T; t++) {
      const idx_t row = t * N;
      const FwdStep s{t == 0 ? io.v0 : io.v + row - N, io.x + row, io.spikes + row, io.v + row};
      forEachSpan(c, a.p.bS || a.p.tS, [&](idx_t n0, idx_t len, idx_t f0) SF_AI_LAMBDA {
        overSpan<V>(
            n0, len, f0, [&](idx_t n, idx_t f) SF_AI_LAMBDA { fwdLanes<V>(a, s, n, f); },
            [&](idx_t n, idx_t f) SF_AI_LAMBDA { fwdLanes<Lane1>(a, s, n, f); });
      });
    }
  }
};

// ---- backward: the rule's adjoint (multiLevelBackward in kernel.ts)

struct BwdArgs {
  Params p;
  double D, vr, p0, p1;
  idx_t levels;
  bool hard, norm, detach;
  double* carry;        // dL/dv[t] from step t+1, per neuron
  double *accB, *accT;  // parameter-gradient sums, or null when nobody reads them
};

struct BwdStep {
  const float *vp, *x, *gS, *gM;
  float* dx;
};

template <class V, int SID>
SF_AI void bwdLanes(const BwdArgs& a, const BwdStep& s, idx_t n, idx_t f) {
  using Dv = typename V::D;
  const Dv zero = V::bc(0.0);
  const Dv be = betaAt<V>(a.p, f), th = thrAt<V>(a.p, f);
  const Dv vp = V::load(s.vp + n);
  const Dv h = V::widen(V::round(be * vp + V::load(s.x + n)));
  const Dv u = h / th;
  const Dv c = levelCount<V>(u, a.D);
  // dc/du = Σ_k g(u − k + ½), summed from k = 1 as the rule does.
  Dv G = zero;
  for (idx_t l = 1; l <= a.levels; l++) G = G + sgGradL<V, SID>(a.p0, a.p1, u - (static_cast<double>(l) - 0.5));
  const Dv dv = (s.gM ? V::load(s.gM + n) : zero) + V::loadD(a.carry + n);
  Dv dc = s.gS ? V::load(s.gS + n) : zero;
  if (a.norm) dc = dc / a.D;
  Dv dh, dth = zero, du = zero;
  if (a.hard) {
    const Dv R = V::sel(c > zero, V::bc(1.0), zero);
    dh = dv * (1.0 - R);
    if (!a.detach) du = du + dv * (a.vr - h) * sgGradL<V, SID>(a.p0, a.p1, u - 0.5);
  } else {
    dh = dv;
    dth = dth - dv * c;
    if (!a.detach) dc = dc - dv * th;
  }
  du = du + dc * G;
  dh = dh + du / th;
  dth = dth - (du * h) / (th * th);
  // Vector lanes only accumulate per-neuron sums (lane j owns f + j); a
  // per-layer sum would change its order, so that case runs on Lane1.
  if (a.accB) {
    double* q = a.accB + (a.p.bS ? f : 0);
    V::storeD(q, V::loadD(q) + dh * vp);
  }
  if (a.accT) {
    double* q = a.accT + (a.p.tS ? f : 0);
    V::storeD(q, V::loadD(q) + dth);
  }
  if (s.dx) V::store(s.dx + n, V::round(dh));
  V::storeD(a.carry + n, be * dh);
}

template <int SID>
struct Backward {
  static constexpr bool kVector = vectorSurrogate(SID);
  template <class V>
  static SF_AI void run(const MultiLevelCfg& c, const MultiLevelIO& io, const BwdArgs& args) {
    const BwdArgs a = args;
    const idx_t N = c.B * c.F;
    // t descending, then b, then f: the order the reference adds the parameter sums in.
    for (idx_t t = c.T - 1; t >= 0; t--) {
      const idx_t row = t * N;
      const BwdStep s{t == 0 ? io.v0 : io.v + row - N, io.x + row, io.gSpikes ? io.gSpikes + row : nullptr,
                      io.gMem ? io.gMem + row : nullptr, io.dx ? io.dx + row : nullptr};
      forEachSpan(c, a.p.bS || a.p.tS, [&](idx_t n0, idx_t len, idx_t f0) SF_AI_LAMBDA {
        overSpan<V>(
            n0, len, f0, [&](idx_t n, idx_t f) SF_AI_LAMBDA { bwdLanes<V, SID>(a, s, n, f); },
            [&](idx_t n, idx_t f) SF_AI_LAMBDA { bwdLanes<Lane1, SID>(a, s, n, f); });
      });
    }
  }
};

// Entry points per instruction set: the target attribute is what lets the
// inlined lane code use ymm/zmm registers in a binary built without -march.
template <class K, class A>
void runScalar(const MultiLevelCfg& c, const MultiLevelIO& io, const A& a) {
  K::template run<Lane1>(c, io, a);
}
#if SF_X86
template <class K, class A>
SF_TARGET_AVX2 void runAvx2(const MultiLevelCfg& c, const MultiLevelIO& io, const A& a) {
  K::template run<Lanes4>(c, io, a);
}
template <class K, class A>
SF_TARGET_AVX512 void runAvx512(const MultiLevelCfg& c, const MultiLevelIO& io, const A& a) {
  K::template run<Lanes8>(c, io, a);
}
#endif

// Kernel K on the widest active instruction set, or on scalar lanes where K
// has no vector form or the caller says the vector order is not allowed.
template <class K, class A>
void dispatch(bool vectorOk, const MultiLevelCfg& c, const MultiLevelIO& io, const A& a) {
#if SF_X86
  if constexpr (K::kVector) {
    if (vectorOk) {
      switch (activeIsa()) {
        case Isa::avx512: return runAvx512<K>(c, io, a);
        case Isa::avx2: return runAvx2<K>(c, io, a);
        default: break;
      }
    }
  }
#else
  (void)vectorOk;
#endif
  runScalar<K>(c, io, a);
}

Params params(const MultiLevelCfg& c, const MultiLevelIO& io) {
  return Params{c.betaPerNeuron, c.thresholdPerNeuron, io.beta, io.threshold, io.beta[0], io.threshold[0]};
}

thread_local Scratch<double> carry, paramGrads;

// Backward over the rows [c.bBegin, c.bEnd). The carry is per thread (each
// half uses its own neurons' entries); the parameter sums only exist unsplit.
template <int SID>
void backwardRows(const MultiLevelCfg& c, const MultiLevelIO& io) {
  const idx_t N = c.B * c.F;
  const idx_t nBeta = c.betaPerNeuron ? c.F : 1, nThr = c.thresholdPerNeuron ? c.F : 1;
  double* dvC = carry.get(N);
  double* pg = paramGrads.get(nBeta + nThr);
  const idx_t n0 = c.bBegin * c.F, n1 = c.bEnd * c.F;
  if (io.gState)
    for (idx_t n = n0; n < n1; n++) dvC[n] = io.gState[n];
  else
    std::memset(dvC + n0, 0, (n1 - n0) * sizeof(double));
  std::memset(pg, 0, (nBeta + nThr) * sizeof(double));
  const bool sums = io.dBeta || io.dThreshold;
  const BwdArgs a{params(c, io), static_cast<double>(c.levels), c.vReset, c.p0, c.p1, c.levels, c.hardReset, c.normalized, c.detachReset,
                  dvC, sums ? pg : nullptr, sums ? pg + nBeta : nullptr};
  // Vector lanes keep each per-neuron sum's order, not a per-layer sum's.
  dispatch<Backward<SID>>(!sums || (c.betaPerNeuron && c.thresholdPerNeuron), c, io, a);
  if (io.dv0)
    for (idx_t n = n0; n < n1; n++) io.dv0[n] = static_cast<float>(dvC[n]);
  if (io.dBeta)
    for (idx_t i = 0; i < nBeta; i++) io.dBeta[i] = static_cast<float>(pg[i]);
  if (io.dThreshold)
    for (idx_t i = 0; i < nThr; i++) io.dThreshold[i] = static_cast<float>(pg[nBeta + i]);
}

// Neurons are independent, so large scans are split into two halves of the
// batch rows, one per thread; results do not change. Not when parameter
// gradients are summed (one sum, one fixed order). The backward evaluates D
// surrogate terms per element, so it pays to split from fewer elements than
// the memory-bound LIF scans (2^20).
constexpr idx_t kSplitForward = idx_t(1) << 20;
constexpr idx_t kSplitBackward = idx_t(1) << 17;

template <class Run>
void splitRows(const MultiLevelCfg& cfg, bool split, Run&& run) {
  MultiLevelCfg c = cfg;
  c.bBegin = 0;
  c.bEnd = c.B;
  runHalves(split, c.B, 1, [&](idx_t b0, idx_t b1) {
    MultiLevelCfg half = c;
    half.bBegin = b0;
    half.bEnd = b1;
    run(half);
  });
}

}  // namespace

void multiLevelForward(const MultiLevelCfg& cfg, const MultiLevelIO& io) {
  const FwdArgs a{params(cfg, io), static_cast<double>(cfg.levels), cfg.vReset, cfg.hardReset, cfg.normalized};
  splitRows(cfg, cfg.T * cfg.B * cfg.F >= kSplitForward, [&](const MultiLevelCfg& c) { dispatch<Forward>(true, c, io, a); });
}

void multiLevelBackward(const MultiLevelCfg& cfg, const MultiLevelIO& io) {
  const bool split = !io.dBeta && !io.dThreshold && cfg.T * cfg.B * cfg.F >= kSplitBackward;
  surrogate::withSurrogate(cfg.surrogate, [&](auto sid) {
    splitRows(cfg, split, [&](const MultiLevelCfg& c) { backwardRows<decltype(sid)::value>(c, io); });
  });
}

}  // namespace sf
