#include "lif.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "scratch.h"
#include "simd.h"
#include "parallel.h"

// lanes.h (the lane types and SF_AI) first: it turns off GCC's -Wpsabi note, and the
// generated surrogate helpers take and return vectors too.
#include "lanes.h"
#include "surrogates.generated.h"

namespace sf {

namespace {

// The surrogate gradients (scalar sgGrad<ID>, lane-wise sgGradL<V, ID>, which ids
// have a lane form) are generated from kernels/surrogates.mjs, the same formulas
// as the TypeScript and wasm kernels.
using surrogate::sgGrad;
using surrogate::sgGradL;
using surrogate::vectorSurrogate;

// Calls fn(n0, len, f0) for the spans that cover the B·F neurons of a time
// step in order. With per-neuron parameters a span is one batch row (f = f0 + i,
// so vector lanes load consecutive β/θ); else all neurons are one span and f is
// unused. (Running the time loop inside cache-sized tiles instead measured
// slower: the long rows stream better, and the previous row stays in L2.)
// Only the batch rows [bBegin, bEnd) are visited (one thread's half of a split scan).
template <class Fn>
SF_AI void forEachSpan(const LifCfg& c, bool perNeuron, Fn&& fn) {
  if (!perNeuron) return fn(c.bBegin * c.F, (c.bEnd - c.bBegin) * c.F, 0);
  for (idx_t b = c.bBegin; b < c.bEnd; b++) fn(b * c.F, c.F, 0);
}

// The firing rule (LifConfig.fireAtThreshold): a spike, or R, where z = h − θ ≥ 0
// (GE, SpikingJelly) or z > 0, the decisions the reference makes as z > spikeCut
// (src/backend/kernels/neuron.ts). GE is a template parameter, chosen once per call
// like CORR: a runtime flag in the lane code cost the delayed-reset backward 2.4x,
// and a cut value in a register (z > cut) 10–15% in spills. The h > θ form is the
// comparison the kernels made before the flag existed (the same decision as z > 0
// for every input, infinities and NaN included); the h ≥ θ form subtracts first,
// as the reference does (∞ − ∞ is NaN: no spike).
template <bool GE, class A>
SF_AI auto reaches(A h, A th, A zero) {
  if constexpr (GE)
    return h - th >= zero;
  else
    return h > th;
}

// The same on a difference z the caller has already formed.
template <bool GE, class A>
SF_AI auto fires(A z, A zero) {
  if constexpr (GE)
    return z >= zero;
  else
    return z > zero;
}

// Calls fn(std::bool_constant<ge>{}) for a flag known only at run time.
template <class Fn>
SF_AI void withRule(bool ge, Fn&& fn) {
  if (ge)
    fn(std::true_type{});
  else
    fn(std::false_type{});
}

// ---- forward, snnTorch Leaky with scalar β, θ and v_reset = 0 (lifForwardSnntorch in lif.ts)

struct SnnStep {
  const float *src, *x;
  float *h, *spk;
  std::uint8_t* mask;
};

template <class V, bool GE>
SF_AI void snnLanes(const SnnStep& s, idx_t n, int mode, typename V::D be, typename V::D th, typename V::F thF) {
  using D = typename V::D;
  const D vp = V::load(s.src + n), xi = V::load(s.x + n);
  const D charged = be * vp + xi;
  D hh = charged;
  if (mode != 0) {
    const D reset = mode == 1 ? charged - th : mode == 2 ? xi : V::bc(0);
    hh = V::sel(reaches<GE>(vp, th, V::bc(0)), reset, charged);
  }
  const auto hf = V::round(hh);
  V::store(s.h + n, hf);
  // The stored (float) membrane decides: double(hf) − th has the sign (and the zero) of hf − the float θ came from.
  const auto fired = reaches<GE>(hf, thF, V::bcF(0));
  V::storeMask(s.mask + n, fired);
  V::store(s.spk + n, V::selF(fired, V::bcF(1), V::bcF(0)));
}

struct ForwardSnntorch {
  static constexpr bool kVector = true;
  template <class V>
  static SF_AI void run(const LifCfg& c, const LifIO& io) {
    const idx_t N = c.B * c.F;
    const int mode = c.resetMode;
    const float thF = io.threshold[0];
    const double be = io.beta[0], th = thF;
    const typename V::D beV = V::bc(be), thV = V::bc(th);
    const typename V::F thFV = V::bcF(thF);
    withRule(c.fireAtThreshold, [&](auto ge) SF_AI_LAMBDA {
      constexpr bool GE = decltype(ge)::value;
      for (idx_t t = 0; t < c.T; t++) {
        const idx_t row = t * N;
        const SnnStep s{t == 0 ? io.v0 : io.h + row - N, io.x + row, io.h + row, io.spikes + row, io.mask + row};
        overSpan<V>(
            c.bBegin * c.F, (c.bEnd - c.bBegin) * c.F, 0,
            [&](idx_t n, idx_t) SF_AI_LAMBDA { snnLanes<V, GE>(s, n, mode, beV, thV, thFV); },
            [&](idx_t n, idx_t) SF_AI_LAMBDA { snnLanes<Lane1, GE>(s, n, mode, be, th, thF); });
      }
    });
  }
};

// ---- forward, the general non-recurrent scan (lifForwardPlain in lif.ts)

struct PlainStep {
  const float *src, *x;
  float *h, *spk, *v;
  std::uint8_t* mask;
};

// Per-layer β and θ travel as values: reloading beta[0] after every store
// (which might alias it) would keep the compiler from hoisting the broadcast.
struct PlainArgs {
  int mode;
  // delayed: R of the previous membrane enters the charge (delayed reset, or
  // snnTorch's same-step form); corrected: that form's (s − R) correction.
  bool delayed, sameStep, corrected, leak, bS, tS;
  double vr;
  const float *beta, *thr;
  float beta0, thr0;
};

// CORR: snnTorch's corrected same-step reset, a template parameter for the
// same reason as in bwdLanes (the other configurations keep their loop); GE the firing rule.
template <class V, bool CORR, bool GE>
SF_AI void plainLanes(const PlainArgs& a, const PlainStep& s, idx_t n, idx_t f) {
  using D = typename V::D;
  const D be = a.bS ? V::load(a.beta + f) : V::bc(a.beta0);
  const auto thF = a.tS ? V::loadF(a.thr + f) : V::bcF(a.thr0);
  const D th = a.tS ? V::load(a.thr + f) : V::bc(a.thr0);
  const D vp = V::load(s.src + n), x = V::load(s.x + n);
  const D xi = a.leak ? (1.0 - be) * x : x;
  const D charged = a.vr + be * (vp - a.vr) + xi;
  D hh = charged;
  if (a.delayed) {
    const D reset = a.mode == 1 ? charged - th : a.mode == 2 ? xi + a.vr : V::bc(a.vr);
    hh = V::sel(reaches<GE>(vp, th, V::bc(0)), reset, charged);
  }
  const auto hf = V::round(hh);
  V::store(s.h + n, hf);
  const auto fired = reaches<GE>(hf, thF, V::bcF(0));  // as double(hf) − th: see snnLanes
  V::storeMask(s.mask + n, fired);
  V::store(s.spk + n, V::selF(fired, V::bcF(1), V::bcF(0)));
  if constexpr (CORR) {
    // d = s − R ∈ {−1, 0, 1}; v = h − d·θ or h + d·(vr − h), in double then rounded, as lif.ts.
    const D hd = V::widen(hf);
    const D d = V::widen(V::selF(fired, V::bcF(1), V::bcF(0))) - V::sel(reaches<GE>(vp, th, V::bc(0)), V::bc(1), V::bc(0));
    V::store(s.v + n, a.mode == 1 ? V::round(hd - d * th) : V::round(hd + d * (a.vr - hd)));
  } else if (a.sameStep) {
    const auto after = a.mode == 1 ? V::round(V::widen(hf) - th) : V::bcF(static_cast<float>(a.vr));
    V::store(s.v + n, V::selF(fired, after, hf));
  }
}

struct ForwardPlain {
  static constexpr bool kVector = true;
  template <class V>
  static SF_AI void run(const LifCfg& c, const LifIO& io) {
    const idx_t N = c.B * c.F;
    const bool corrected = !c.delayedReset && c.correctedReset && c.resetMode != 0;
    const PlainArgs a{c.resetMode, (c.delayedReset || corrected) && c.resetMode != 0, !c.delayedReset && c.resetMode != 0,
                      corrected, c.inputLeak, c.betaPerNeuron, c.thresholdPerNeuron, c.vReset, io.beta, io.threshold,
                      io.beta[0], io.threshold[0]};
    float* v = io.v ? io.v : io.h;
    withRule(c.fireAtThreshold, [&](auto ge) SF_AI_LAMBDA {
      constexpr bool GE = decltype(ge)::value;
      for (idx_t t = 0; t < c.T; t++) {
        const idx_t row = t * N;
        const PlainStep s{t == 0 ? io.v0 : v + row - N, io.x + row, io.h + row, io.spikes + row, v + row, io.mask + row};
        if (a.corrected) {
          forEachSpan(c, a.bS || a.tS, [&](idx_t n0, idx_t len, idx_t f0) SF_AI_LAMBDA {
            overSpan<V>(
                n0, len, f0, [&](idx_t n, idx_t f) SF_AI_LAMBDA { plainLanes<V, true, GE>(a, s, n, f); },
                [&](idx_t n, idx_t f) SF_AI_LAMBDA { plainLanes<Lane1, true, GE>(a, s, n, f); });
          });
        } else {
          forEachSpan(c, a.bS || a.tS, [&](idx_t n0, idx_t len, idx_t f0) SF_AI_LAMBDA {
            overSpan<V>(
                n0, len, f0, [&](idx_t n, idx_t f) SF_AI_LAMBDA { plainLanes<V, false, GE>(a, s, n, f); },
                [&](idx_t n, idx_t f) SF_AI_LAMBDA { plainLanes<Lane1, false, GE>(a, s, n, f); });
          });
        }
      }
    });
  }
};

// ---- backward: BPTT through the non-recurrent, non-smooth scan (lifBackward in lif.ts with V = W = null)

struct BwdArgs {
  int mode;
  bool delayed, corrected, detach, leak, bS, tS;  // corrected: snnTorch's same-step form
  double vr, p0, p1;
  const float *beta, *thr;
  float beta0, thr0;    // as in PlainArgs
  double* dvC;          // dL/dv of the step after the current one, per neuron
  double *accB, *accT;  // parameter-gradient sums, or null when nobody reads them
};

struct BwdStep {
  const float *h, *vp, *x, *gS, *gM;
  const std::uint8_t* mask;
  float* dx;
};

// CORR (snnTorch's corrected same-step reset) is a template parameter so the
// other configurations compile to exactly the loop they had before it existed:
// a runtime flag here kept values live across the whole body and cost the
// delayed-reset backward ~1.7x in spills. GE: the firing rule of R (see reaches).
template <class V, int SID, bool CORR, bool GE>
SF_AI void bwdLanes(const BwdArgs& a, const BwdStep& s, idx_t n, idx_t f) {
  using D = typename V::D;
  const D zero = V::bc(0);
  const D be = a.bS ? V::load(a.beta + f) : V::bc(a.beta0);
  const D th = a.tS ? V::load(a.thr + f) : V::bc(a.thr0);
  const D hv = V::load(s.h + n);
  const D g = sgGradL<V, SID>(a.p0, a.p1, hv - th);
  // The + 0 terms are the reference's (they turn −0 into +0).
  const D dv = (s.gM ? V::load(s.gM + n) : zero) + V::loadD(a.dvC + n);
  D dS = (s.gS ? V::load(s.gS + n) : zero) + 0.0;
  D dth = zero;
  D dh;
  [[maybe_unused]] D dRc = zero;  // what reaches R through snnTorch's correction (s − R)
  if constexpr (CORR) {
    // The spike in the correction carries the surrogate gradient, as in snnTorch.
    const D vpc = V::load(s.vp + n);
    const D d = V::loadMask(s.mask + n) - V::sel(fires<GE>(vpc - th, zero), V::bc(1), zero);
    if (a.mode == 1) {
      dh = dv;
      dth -= dv * d;
      dS -= th * dv;
      dRc = th * dv;
    } else {
      dh = dv * (1.0 - d);
      dS += dv * (a.vr - hv);
      dRc = -dv * (a.vr - hv);
    }
  } else if (a.delayed) {
    dh = dv;
  } else if (a.mode == 1) {
    const D sp = V::loadMask(s.mask + n);  // only same-step resets read the decisions
    dh = dv;
    dth -= dv * sp;
    if (!a.detach) dS -= th * dv;
  } else if (a.mode != 0) {
    const D sp = V::loadMask(s.mask + n);
    dh = dv * (1.0 - sp);
    if (!a.detach) dS += dv * (a.vr - hv);
  } else {
    dh = dv;
  }
  dh += dS * g;
  dth -= dS * g;
  const D vp = V::load(s.vp + n);
  D dcharge = dh, dvp, dbeta;
  if ((a.delayed || CORR) && a.mode != 0) {
    const D zr = vp - th;
    const D R = V::sel(fires<GE>(zr, zero), V::bc(1), zero);
    D dR;
    if (a.mode == 1) {
      dvp = be * dh;
      dbeta = dh * (vp - a.vr);
      dth -= dh * R;
      dR = -dh * th;
    } else if (a.mode == 2) {
      const D u = vp + R * (a.vr - vp);
      const D du = be * dh;
      dvp = du * (1.0 - R);
      dbeta = dh * (u - a.vr);
      dR = du * (a.vr - vp);
    } else {
      const D h0 = a.vr + be * (vp - a.vr) + (a.leak ? 1.0 - be : V::bc(1)) * V::load(s.x + n) + 0.0;
      dcharge = dh * (1.0 - R);
      dR = dh * (a.vr - h0);
      dvp = be * dcharge;
      dbeta = dcharge * (vp - a.vr);
    }
    if (!a.detach) {
      const D gr = sgGradL<V, SID>(a.p0, a.p1, zr);
      if constexpr (CORR) dR += dRc;
      dvp += dR * gr;
      dth -= dR * gr;
    }
  } else {
    dvp = be * dh;
    dbeta = dh * (vp - a.vr);
  }
  if (a.leak) {
    dbeta -= dcharge * V::load(s.x + n);
    if (s.dx) V::store(s.dx + n, V::round((1.0 - be) * dcharge));
  } else if (s.dx) {
    V::store(s.dx + n, V::round(dcharge));
  }
  // Vector lanes only accumulate per-neuron sums (lane j owns f + j); a
  // per-layer sum would change its order, so that case runs on Lane1.
  if (a.accB) {
    double* p = a.accB + (a.bS ? f : 0);
    V::storeD(p, V::loadD(p) + dbeta);
  }
  if (a.accT) {
    double* p = a.accT + (a.tS ? f : 0);
    V::storeD(p, V::loadD(p) + dth);
  }
  V::storeD(a.dvC + n, dvp);
}

template <int SID, bool GE>
struct Backward {
  static constexpr bool kVector = vectorSurrogate(SID);
  template <class V>
  static SF_AI void run(const LifCfg& c, const LifIO& io, const BwdArgs& args) {
    const BwdArgs a = args;  // a local copy stays in registers (stores through dx could alias args)
    const idx_t N = c.B * c.F;
    const float* trace = io.v ? io.v : io.h;
    // t descending, then b, then f: the order the reference adds the parameter sums in.
    for (idx_t t = c.T - 1; t >= 0; t--) {
      const idx_t row = t * N;
      const BwdStep s{io.h + row,
                      t == 0 ? io.v0 : trace + row - N,
                      io.x + row,
                      io.gSpikes ? io.gSpikes + row : nullptr,
                      io.gMem ? io.gMem + row : nullptr,
                      io.mask + row,
                      io.dx ? io.dx + row : nullptr};
      if (a.corrected) {
        forEachSpan(c, a.bS || a.tS, [&](idx_t n0, idx_t len, idx_t f0) SF_AI_LAMBDA {
          overSpan<V>(
              n0, len, f0, [&](idx_t n, idx_t f) SF_AI_LAMBDA { bwdLanes<V, SID, true, GE>(a, s, n, f); },
              [&](idx_t n, idx_t f) SF_AI_LAMBDA { bwdLanes<Lane1, SID, true, GE>(a, s, n, f); });
        });
      } else {
        forEachSpan(c, a.bS || a.tS, [&](idx_t n0, idx_t len, idx_t f0) SF_AI_LAMBDA {
          overSpan<V>(
              n0, len, f0, [&](idx_t n, idx_t f) SF_AI_LAMBDA { bwdLanes<V, SID, false, GE>(a, s, n, f); },
              [&](idx_t n, idx_t f) SF_AI_LAMBDA { bwdLanes<Lane1, SID, false, GE>(a, s, n, f); });
        });
      }
    }
  }
};


// Entry points per instruction set: the target attribute is what lets the
// inlined lane code use ymm/zmm registers in a binary built without -march.
template <class K, class... A>
void runScalar(const LifCfg& c, const LifIO& io, const A&... a) {
  K::template run<Lane1>(c, io, a...);
}
#if SF_X86
template <class K, class... A>
SF_TARGET_AVX2 void runAvx2(const LifCfg& c, const LifIO& io, const A&... a) {
  K::template run<Lanes4>(c, io, a...);
}
template <class K, class... A>
SF_TARGET_AVX512 void runAvx512(const LifCfg& c, const LifIO& io, const A&... a) {
  K::template run<Lanes8>(c, io, a...);
}
#endif

// Runs kernel K on the widest active instruction set, or on scalar lanes where
// K has no vector form or the caller says the vector order is not allowed.
template <class K, class... A>
void dispatch(bool vectorOk, const LifCfg& c, const LifIO& io, const A&... a) {
#if SF_X86
  if constexpr (K::kVector) {
    if (vectorOk) {
      switch (activeIsa()) {
        case Isa::avx512: return runAvx512<K>(c, io, a...);
        case Isa::avx2: return runAvx2<K>(c, io, a...);
        default: break;
      }
    }
  }
#else
  (void)vectorOk;
#endif
  runScalar<K>(c, io, a...);
}

thread_local Scratch<double> carry, paramGrads;

// Backward over the rows [c.bBegin, c.bEnd). The carry is per thread (each
// half uses its own neurons' entries); the parameter sums only exist unsplit.
template <int SID>
void backwardRows(const LifCfg& c, const LifIO& io) {
  const idx_t N = c.B * c.F;
  const bool bS = c.betaPerNeuron, tS = c.thresholdPerNeuron;
  const idx_t nBeta = bS ? c.F : 1, nThr = tS ? c.F : 1;
  double* dvC = carry.get(N);
  double* pg = paramGrads.get(nBeta + nThr);
  const idx_t n0 = c.bBegin * c.F, n1 = c.bEnd * c.F;
  std::memset(dvC + n0, 0, (n1 - n0) * sizeof(double));
  std::memset(pg, 0, (nBeta + nThr) * sizeof(double));
  const BwdArgs a{c.resetMode, c.delayedReset, !c.delayedReset && c.correctedReset && c.resetMode != 0, c.detachReset, c.inputLeak, bS, tS, c.vReset, c.p0, c.p1,
                  io.beta, io.threshold, io.beta[0], io.threshold[0], dvC,
                  io.dBeta ? pg : nullptr, io.dThreshold ? pg + nBeta : nullptr};
  // Vector lanes keep each per-neuron sum's order, not a per-layer sum's.
  const bool vectorOk = (!a.accB || bS) && (!a.accT || tS);
  // Only a prior reset (delayed, or snnTorch's same-step form) compares in the backward
  // (R = H(v − θ)); every other configuration runs the GE = false kernel.
  withRule(c.fireAtThreshold && (a.delayed || a.corrected) && a.mode != 0,
           [&](auto ge) { dispatch<Backward<SID, decltype(ge)::value>>(vectorOk, c, io, a); });
  if (io.dv0)
    for (idx_t n = n0; n < n1; n++) io.dv0[n] = static_cast<float>(dvC[n]);
  if (io.dBeta)
    for (idx_t i = 0; i < nBeta; i++) io.dBeta[i] = static_cast<float>(pg[i]);
  if (io.dThreshold)
    for (idx_t i = 0; i < nThr; i++) io.dThreshold[i] = static_cast<float>(pg[nBeta + i]);
}

// Scans are memory-bound and neurons independent, so large ones are split
// into two halves of the batch rows, one per thread; results do not change.
// Not when parameter gradients are summed (one sum, one fixed order).
constexpr idx_t kSplitElements = idx_t(1) << 20;

template <class Run>
void splitRows(const LifCfg& cfg, bool splittable, Run&& run) {
  LifCfg c = cfg;
  c.bBegin = 0;
  c.bEnd = c.B;
  runHalves(splittable && c.T * c.B * c.F >= kSplitElements, c.B, 1, [&](idx_t b0, idx_t b1) {
    LifCfg half = c;
    half.bBegin = b0;
    half.bEnd = b1;
    run(half);
  });
}

template <int SID>
void backward(const LifCfg& cfg, const LifIO& io) {
  splitRows(cfg, !io.dBeta && !io.dThreshold, [&](const LifCfg& c) { backwardRows<SID>(c, io); });
}

}  // namespace

void lifForward(const LifCfg& cfg, const LifIO& io) {
  splitRows(cfg, true, [&](const LifCfg& c) {
    if (c.delayedReset && !c.inputLeak && c.vReset == 0 && !c.betaPerNeuron && !c.thresholdPerNeuron)
      dispatch<ForwardSnntorch>(true, c, io);
    else
      dispatch<ForwardPlain>(true, c, io);
  });
}

void lifBackward(const LifCfg& c, const LifIO& io) {
  surrogate::withSurrogate(c.surrogate, [&](auto sid) { backward<decltype(sid)::value>(c, io); });
}

}  // namespace sf
