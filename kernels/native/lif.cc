#include "lif.h"

#include <cmath>
#include <cstring>

#include "scratch.h"

namespace sf {

namespace {

constexpr double kPi = 3.141592653589793;  // Math.PI

// Surrogate derivative g(x), same operations and order as sgGrad in surrogate-math.ts.
template <int ID>
inline double sgGrad(double p0, double p1, double x) {
  if constexpr (ID == 0) {
    const double d = 1 + p0 * std::fabs(x);
    return 1 / (d * d);
  } else if constexpr (ID == 1) {
    const double z = (kPi / 2) * p0 * x;
    return p0 / 2 / (1 + z * z);
  } else if constexpr (ID == 2) {
    const double e = std::exp(-p0 * std::fabs(x));
    return (p0 * e) / ((1 + e) * (1 + e));
  } else if constexpr (ID == 3) {
    const double ax = std::fabs(x);
    return ax <= 1 / p0 ? p0 - p0 * p0 * ax : 0;
  } else if constexpr (ID == 4) {
    return (p0 / 2) * std::exp(-p0 * std::fabs(x));
  } else if constexpr (ID == 5) {
    const double d = 1 + p0 * std::fabs(x);
    return p0 / (2 * d * d);
  } else if constexpr (ID == 6) {
    return p0 * (1 / std::sqrt(kPi)) * std::exp(-p0 * p0 * x * x);
  } else if constexpr (ID == 7) {
    return std::fabs(x) < p0 / 2 ? 1 / p0 : 0;
  } else if constexpr (ID == 8) {
    const double r = 1 - std::fabs(x) / p1;
    return r > 0 ? p0 * r : 0;
  } else if constexpr (ID == 9) {
    (void)p0;
    return 1;
  } else {
    return x < 0 ? p0 : -p0;
  }
}

// snnTorch Leaky with scalar β, θ and v_reset = 0 (lifForwardSnntorch in lif.ts).
void forwardSnntorch(const LifCfg& c, const LifIO& io) {
  const idx_t N = c.B * c.F, T = c.T;
  const int mode = c.resetMode;
  const double be = io.beta[0], th = io.threshold[0];
  for (idx_t t = 0; t < T; t++) {
    const idx_t row = t * N;
    const float* src = t == 0 ? io.v0 : io.h + row - N;
    const float* x = io.x + row;
    float* h = io.h + row;
    float* spk = io.spikes + row;
    std::uint8_t* mask = io.mask + row;
    for (idx_t n = 0; n < N; n++) {
      const double vp = src[n], xi = x[n];
      double hh;
      if (vp > th && mode != 0) hh = mode == 1 ? be * vp + xi - th : mode == 2 ? xi : 0;
      else hh = be * vp + xi;
      const float hf = static_cast<float>(hh);
      h[n] = hf;
      const bool fired = hf > th;
      mask[n] = fired;
      spk[n] = fired ? 1.0f : 0.0f;
    }
  }
}

// The general non-recurrent scan (lifForwardPlain in lif.ts).
void forwardPlain(const LifCfg& c, const LifIO& io) {
  const idx_t T = c.T, B = c.B, F = c.F, N = B * F;
  const int mode = c.resetMode;
  const double vr = c.vReset;
  const float vrf = static_cast<float>(vr);
  float* v = io.v ? io.v : io.h;
  const idx_t bS = c.betaPerNeuron ? 1 : 0, tS = c.thresholdPerNeuron ? 1 : 0;
  const bool delayed = c.delayedReset && mode != 0;
  const bool sameStep = !c.delayedReset && mode != 0;
  const bool leak = c.inputLeak;
  for (idx_t t = 0; t < T; t++) {
    const idx_t row = t * N;
    const float* src = t == 0 ? io.v0 : v + row - N;
    for (idx_t b = 0; b < B; b++) {
      const idx_t nb = b * F;
      for (idx_t f = 0; f < F; f++) {
        const idx_t n = nb + f, idx = row + n;
        const double be = io.beta[f * bS], th = io.threshold[f * tS];
        const double vp = src[n];
        const double xi = leak ? (1 - be) * static_cast<double>(io.x[idx]) : static_cast<double>(io.x[idx]);
        double hh;
        if (delayed && vp > th) {
          if (mode == 1) hh = vr + be * (vp - vr) + xi - th;
          else if (mode == 2) hh = xi + vr;
          else hh = vr;
        } else {
          hh = vr + be * (vp - vr) + xi;
        }
        const float hf = static_cast<float>(hh);
        io.h[idx] = hf;
        const bool fired = hf > th;
        io.mask[idx] = fired;
        io.spikes[idx] = fired ? 1.0f : 0.0f;
        if (sameStep) v[idx] = !fired ? hf : mode == 1 ? static_cast<float>(static_cast<double>(hf) - th) : vrf;
      }
    }
  }
}

thread_local Scratch<double> carry, paramGrads;

// BPTT through the non-recurrent, non-smooth scan (lifBackward in lif.ts with V = W = null).
template <int SID>
void backwardT(const LifCfg& c, const LifIO& io) {
  const idx_t T = c.T, B = c.B, F = c.F, N = B * F;
  const int mode = c.resetMode;
  const bool delayedReset = c.delayedReset, detach = c.detachReset, leak = c.inputLeak;
  const double vr = c.vReset, p0 = c.p0, p1 = c.p1;
  const float* trace = io.v ? io.v : io.h;
  const idx_t bS = c.betaPerNeuron ? 1 : 0, tS = c.thresholdPerNeuron ? 1 : 0;
  const idx_t nBeta = bS ? F : 1, nThr = tS ? F : 1;
  double* dvC = carry.get(N);
  double* pg = paramGrads.get(nBeta + nThr);
  double* dBeta = pg;
  double* dThr = pg + nBeta;
  std::memset(dvC, 0, N * sizeof(double));
  std::memset(pg, 0, (nBeta + nThr) * sizeof(double));
  for (idx_t t = T - 1; t >= 0; t--) {
    const idx_t row = t * N;
    const float* vpRow = t == 0 ? io.v0 : trace + row - N;
    for (idx_t b = 0; b < B; b++) {
      const idx_t nb = b * F;
      for (idx_t f = 0; f < F; f++) {
        const idx_t n = nb + f, idx = row + n;
        const double be = io.beta[f * bS], th = io.threshold[f * tS];
        const double hv = io.h[idx];
        const double z = hv - th;
        const double g = sgGrad<SID>(p0, p1, z);
        const double s = io.mask[idx];
        const double dv = (io.gMem ? static_cast<double>(io.gMem[idx]) : 0) + dvC[n];
        double dS = (io.gSpikes ? static_cast<double>(io.gSpikes[idx]) : 0) + 0;
        double dth = 0;
        double dh;
        if (delayedReset) dh = dv;
        else if (mode == 1) {
          dh = dv;
          dth -= dv * s;
          if (!detach) dS -= th * dv;
        } else if (mode != 0) {
          dh = dv * (1 - s);
          if (!detach) dS += dv * (vr - hv);
        } else {
          dh = dv;
        }
        dh += dS * g;
        dth -= dS * g;
        const double vp = vpRow[n];
        double dcharge = dh;
        double dvp, dbeta;
        if (delayedReset && mode != 0) {
          const double zr = vp - th;
          const double R = zr > 0 ? 1 : 0;
          double dR;
          if (mode == 1) {
            dvp = be * dh;
            dbeta = dh * (vp - vr);
            dth -= dh * R;
            dR = -dh * th;
          } else if (mode == 2) {
            const double u = vp + R * (vr - vp);
            const double du = be * dh;
            dvp = du * (1 - R);
            dbeta = dh * (u - vr);
            dR = du * (vr - vp);
          } else {
            const double h0 = vr + be * (vp - vr) + (leak ? 1 - be : 1) * static_cast<double>(io.x[idx]) + 0;
            dcharge = dh * (1 - R);
            dR = dh * (vr - h0);
            dvp = be * dcharge;
            dbeta = dcharge * (vp - vr);
          }
          if (!detach) {
            const double gr = sgGrad<SID>(p0, p1, zr);
            dvp += dR * gr;
            dth -= dR * gr;
          }
        } else {
          dvp = be * dh;
          dbeta = dh * (vp - vr);
        }
        if (leak) {
          dbeta -= dcharge * static_cast<double>(io.x[idx]);
          if (io.dx) io.dx[idx] = static_cast<float>((1 - be) * dcharge);
        } else if (io.dx) {
          io.dx[idx] = static_cast<float>(dcharge);
        }
        dBeta[f * bS] += dbeta;
        dThr[f * tS] += dth;
        dvC[n] = dvp;
      }
    }
  }
  if (io.dv0)
    for (idx_t n = 0; n < N; n++) io.dv0[n] = static_cast<float>(dvC[n]);
  if (io.dBeta)
    for (idx_t i = 0; i < nBeta; i++) io.dBeta[i] = static_cast<float>(dBeta[i]);
  if (io.dThreshold)
    for (idx_t i = 0; i < nThr; i++) io.dThreshold[i] = static_cast<float>(dThr[i]);
}

}  // namespace

bool lifSurrogateSupported(int id) { return id >= 0 && id <= 10; }

void lifForward(const LifCfg& c, const LifIO& io) {
  if (c.delayedReset && !c.inputLeak && c.vReset == 0 && !c.betaPerNeuron && !c.thresholdPerNeuron)
    forwardSnntorch(c, io);
  else
    forwardPlain(c, io);
}

void lifBackward(const LifCfg& c, const LifIO& io) {
  switch (c.surrogate) {
    case 0: return backwardT<0>(c, io);
    case 1: return backwardT<1>(c, io);
    case 2: return backwardT<2>(c, io);
    case 3: return backwardT<3>(c, io);
    case 4: return backwardT<4>(c, io);
    case 5: return backwardT<5>(c, io);
    case 6: return backwardT<6>(c, io);
    case 7: return backwardT<7>(c, io);
    case 8: return backwardT<8>(c, io);
    case 9: return backwardT<9>(c, io);
    default: return backwardT<10>(c, io);
  }
}

}  // namespace sf
