// Delay kernels (see delay.h). The construction kernels follow the reference's
// arithmetic operation for operation in double; only exp may differ from
// V8's Math.exp (both are within an ulp of the true value), so the built
// kernel and its gradients agree with the reference to ~1e-15 relative before
// the one rounding to float32, i.e. to within one float32 ulp. The integer-delay
// sum is the reference's loop in the same order (bit-identical); the event-driven
// convolution is a float32 sum in a fixed order of its own.
#include "delay.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "elementwise.h"
#include "event.h"
#include "parallel.h"
#include "scratch.h"
#include "simd.h"

namespace sf {

namespace {

// The DCLS constants (src/backend/kernels/delay.ts).
constexpr double kSigmaOffset = 0.27;
constexpr double kNormEps = 1e-7;

// Splitting a loop is worth the hand-off from about this many inner iterations.
constexpr double kSplitWork = 2.0e6;

thread_local Scratch<double> gaussTaps, sparseAcc;
thread_local Scratch<float> eventWt, eventAcc;
thread_local Scratch<std::int32_t> eventStart, eventIdx, eventRowList, colStart, colRows;
thread_local Scratch<float> eventVal;

void gaussBuild(idx_t s0, idx_t s1, idx_t n, idx_t K, double sigma, const float* w, const float* p, float* out) {
  const idx_t half = (K - 1) >> 1;
  const double se = std::fabs(sigma) + kSigmaOffset;
  double* g = gaussTaps.get(K);
  for (idx_t s = s0; s < s1; s++) {
    const double c = double(p[s]) + double(half);
    double S = 0;
    for (idx_t k = 0; k < K; k++) {
      const double u = (double(k) - c) / se;
      const double v = std::exp(-0.5 * u * u);
      g[k] = v;
      S += v;
    }
    const double scale = double(w[s]) / (S + kNormEps);
    for (idx_t k = 0; k < K; k++) out[k * n + s] = float(g[k] * scale);
  }
}

void gaussBackward(idx_t s0, idx_t s1, idx_t n, idx_t K, double sigma, const float* w, const float* p, const float* dK,
                   float* dW, float* dP) {
  const idx_t half = (K - 1) >> 1;
  const double se = std::fabs(sigma) + kSigmaOffset;
  for (idx_t s = s0; s < s1; s++) {
    const double c = double(p[s]) + double(half);
    double S = 0, G1 = 0, A = 0, Bu = 0;
    for (idx_t k = 0; k < K; k++) {
      const double u = (double(k) - c) / se;
      const double g = std::exp(-0.5 * u * u);
      const double d = dK[k * n + s];
      S += g;
      G1 += g * u;
      A += d * g;
      Bu += d * g * u;
    }
    S += kNormEps;
    if (dW) dW[s] = float(A / S);
    if (dP) dP[s] = float((double(w[s]) * (Bu / S - (A * G1) / (S * S))) / se);
  }
}

void linearBuild(idx_t s0, idx_t s1, idx_t n, idx_t K, const float* w, const float* p, float* out) {
  const idx_t half = (K - 1) >> 1;
  for (idx_t k = 0; k < K; k++) std::fill(out + k * n + s0, out + k * n + s1, 0.0f);
  for (idx_t s = s0; s < s1; s++) {
    const double c = double(p[s]) + double(half);
    const double f = std::floor(c);
    const double frac = c - f;
    if (f >= 0 && f < double(K)) out[idx_t(f) * n + s] = float(double(w[s]) * (1 - frac));
    if (f + 1 >= 0 && f + 1 < double(K)) out[idx_t(f + 1) * n + s] = float(double(w[s]) * frac);
  }
}

void linearBackward(idx_t s0, idx_t s1, idx_t n, idx_t K, const float* w, const float* p, const float* dK, float* dW,
                    float* dP) {
  const idx_t half = (K - 1) >> 1;
  for (idx_t s = s0; s < s1; s++) {
    const double c = double(p[s]) + double(half);
    const double f = std::floor(c);
    const double frac = c - f;
    const double d0 = f >= 0 && f < double(K) ? double(dK[idx_t(f) * n + s]) : 0.0;
    const double d1 = f + 1 >= 0 && f + 1 < double(K) ? double(dK[idx_t(f + 1) * n + s]) : 0.0;
    if (dW) dW[s] = float(d0 * (1 - frac) + d1 * frac);
    if (dP) dP[s] = float(double(w[s]) * (d1 - d0));
  }
}

// y[0..n) += v·r[0..n); a spike (v = 1) is a plain row add (the same numbers, fewer operations).
SF_CLONES void addScaledRow(float* y, float v, const float* r, idx_t n) {
  if (v == 1.0f) {
    for (idx_t j = 0; j < n; j++) y[j] += r[j];
  } else {
    for (idx_t j = 0; j < n; j++) y[j] += v * r[j];
  }
}

// The nonzeros of each of the R rows of x [R, I]: start[R + 1], then (idx, val) pairs.
idx_t buildNonzeroLists(idx_t R, idx_t I, const float* x, std::int32_t*& start, std::int32_t*& idx, float*& val) {
  start = eventStart.get(R + 1);
  idx_t nnz = 0;
  for (idx_t r = 0; r < R; r++) {
    const float* row = x + r * I;
    for (idx_t i = 0; i < I; i++) nnz += row[i] != 0.0f;
  }
  idx = eventIdx.get(nnz);
  val = eventVal.get(nnz);
  idx_t q = 0;
  for (idx_t r = 0; r < R; r++) {
    start[r] = std::int32_t(q);
    const float* row = x + r * I;
    for (idx_t i = 0; i < I; i++)
      if (row[i] != 0.0f) {
        idx[q] = std::int32_t(i);
        val[q++] = row[i];
      }
  }
  start[R] = std::int32_t(q);
  return nnz;
}

}  // namespace

void delayKernelBuild(idx_t n, idx_t K, int interp, double sigma, const float* w, const float* p, float* kernel) {
  runHalves(double(n) * double(K) * 8 >= kSplitWork, n, 16, [&](idx_t a, idx_t b) {
    if (interp == 0) gaussBuild(a, b, n, K, sigma, w, p, kernel);
    else linearBuild(a, b, n, K, w, p, kernel);
  });
}

void delayKernelBuildBackward(idx_t n, idx_t K, int interp, double sigma, const float* w, const float* p,
                              const float* dKernel, float* dW, float* dP) {
  runHalves(double(n) * double(K) * 8 >= kSplitWork, n, 16, [&](idx_t a, idx_t b) {
    if (interp == 0) gaussBackward(a, b, n, K, sigma, w, p, dKernel, dW, dP);
    else linearBackward(a, b, n, K, w, p, dKernel, dW, dP);
  });
}

void delaySparseForward(idx_t Tin, idx_t tStart, idx_t tEnd, idx_t B, idx_t K, idx_t I, idx_t O,
                        const std::int32_t* rowPtr, const std::int32_t* cols, const float* vals, const float* x,
                        float* y) {
  const idx_t steps = tEnd - tStart;
  const double work = double(steps) * double(B) * double(rowPtr[K * I]) / double(std::max<idx_t>(I, 1));
  // Output steps are independent: each half keeps the reference's order within its own steps.
  runHalves(work >= kSplitWork, steps, 1, [&](idx_t a, idx_t b) {
    double* acc = sparseAcc.get(B * O);
    for (idx_t t = tStart + a; t < tStart + b; t++) {
      std::fill(acc, acc + B * O, 0.0);
      for (idx_t k = 0; k < K; k++) {
        const idx_t src = t - (K - 1 - k);
        if (src < 0 || src >= Tin) continue;
        for (idx_t bb = 0; bb < B; bb++) {
          const float* xr = x + (src * B + bb) * I;
          double* ar = acc + bb * O;
          for (idx_t i = 0; i < I; i++) {
            const float xv = xr[i];
            if (xv == 0.0f) continue;
            const idx_t r = k * I + i;
            for (std::int32_t j = rowPtr[r], e = rowPtr[r + 1]; j < e; j++) ar[cols[j]] += double(vals[j]) * double(xv);
          }
        }
      }
      float* yt = y + (t - tStart) * B * O;
      for (idx_t j = 0; j < B * O; j++) yt[j] = float(acc[j]);
    }
  });
}

void delayEventForward(idx_t T, idx_t Tout, idx_t B, idx_t I, idx_t O, idx_t K, const float* x, const float* kernel,
                       float* y) {
  const idx_t OI = O * I;
  // Tap-major rows of the transposed kernel, Wt[k·I + i, :] = kernel[k, :, i]: a spike adds one contiguous row.
  float* Wt = eventWt.get(K * OI);
  for (idx_t k = 0; k < K; k++) transpose(O, I, kernel + k * OI, Wt + k * OI);
  std::int32_t *start, *idx;
  float* val;
  const idx_t nnz = buildNonzeroLists(T * B, I, x, start, idx, val);
  bool binary = true;
  for (idx_t q = 0; q < nnz && binary; q++) binary = val[q] == 1.0f;
  const double work = double(nnz) * double(K) * double(O);
  // Output rows are independent; each is a sum over taps ascending, then the row's nonzeros ascending.
  runHalves(work >= kSplitWork, Tout * B, 1, [&](idx_t r0, idx_t r1) {
    std::int32_t* list = eventRowList.get(K * I);
    for (idx_t r = r0; r < r1; r++) {
      const idx_t tOut = r / B, b = r % B;
      float* yr = y + r * O;
      std::fill(yr, yr + O, 0.0f);
      if (binary) {
        // Spikes: one list of Wt rows over all taps, summed with the accumulators in registers.
        idx_t n = 0;
        for (idx_t k = 0; k < K; k++) {
          const idx_t t = tOut - (K - 1 - k);
          if (t < 0 || t >= T) continue;
          const idx_t row = t * B + b;
          for (std::int32_t q = start[row], e = start[row + 1]; q < e; q++) list[n++] = std::int32_t(k * I + idx[q]);
        }
        addRows(yr, Wt, O, list, n, O);
        continue;
      }
      for (idx_t k = 0; k < K; k++) {
        const idx_t t = tOut - (K - 1 - k);
        if (t < 0 || t >= T) continue;
        const idx_t row = t * B + b;
        const float* Wk = Wt + k * OI;
        for (std::int32_t q = start[row], e = start[row + 1]; q < e; q++) addScaledRow(yr, val[q], Wk + idx_t(idx[q]) * O, O);
      }
    }
  });
}

void delayEventGradKernel(idx_t T, idx_t Tout, idx_t B, idx_t I, idx_t O, idx_t K, const float* x, const float* dY,
                          float* dK) {
  const idx_t OI = O * I, R = T * B;
  std::int32_t *start, *idx;
  float* val;
  const idx_t nnz = buildNonzeroLists(R, I, x, start, idx, val);
  bool binary = true;
  for (idx_t q = 0; q < nnz && binary; q++) binary = val[q] == 1.0f;
  // Spikes: the rows r = t·B + b where input i fired, ascending (column lists), so tap k's gradient
  // row dKt[k, i, :] is the sum of the dY rows r + d·B, r < (Tout − d)·B: one register-held row sum.
  std::int32_t* cs = colStart.get(I + 1);
  std::int32_t* rowsOfCol = colRows.get(nnz);
  if (binary) {
    std::fill(cs, cs + I + 1, 0);
    for (idx_t q = 0; q < nnz; q++) cs[idx[q] + 1]++;
    for (idx_t i = 0; i < I; i++) cs[i + 1] += cs[i];
    std::int32_t* fill = eventRowList.get(I);
    std::copy(cs, cs + I, fill);
    for (idx_t r = 0; r < R; r++)
      for (std::int32_t q = start[r], e = start[r + 1]; q < e; q++) rowsOfCol[fill[idx[q]]++] = std::int32_t(r);
  }
  const double work = double(nnz) * double(K) * double(O);
  // Taps are independent: each thread builds whole taps in [I, O] and transposes them into dK.
  runHalves(work >= kSplitWork, K, 1, [&](idx_t k0, idx_t k1) {
    float* acc = eventAcc.get(OI);
    for (idx_t k = k0; k < k1; k++) {
      const idx_t d = K - 1 - k;
      std::fill(acc, acc + OI, 0.0f);
      const idx_t tEnd = std::min(T, Tout - d);
      if (tEnd > 0 && binary) {
        const std::int32_t limit = std::int32_t(tEnd * B);
        const float* dYd = dY + d * B * O;
        for (idx_t i = 0; i < I; i++) {
          const std::int32_t* list = rowsOfCol + cs[i];
          const idx_t n = std::lower_bound(list, static_cast<const std::int32_t*>(rowsOfCol + cs[i + 1]), limit) - list;
          addRows(acc + i * O, dYd, O, list, n, O);
        }
      } else {
        for (idx_t t = 0; t < tEnd; t++) {
          for (idx_t b = 0; b < B; b++) {
            const idx_t row = t * B + b;
            const float* g = dY + ((t + d) * B + b) * O;
            for (std::int32_t q = start[row], e = start[row + 1]; q < e; q++) addScaledRow(acc + idx_t(idx[q]) * O, val[q], g, O);
          }
        }
      }
      transpose(I, O, acc, dK + k * OI);
    }
  });
}

}  // namespace sf
