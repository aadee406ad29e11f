#include "conv.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "elementwise.h"
#include "gemm.h"
#include "scratch.h"
#include "simd.h"
#include "window.h"

namespace sf {

namespace {

// Output columns ow whose input column ow·sw + off lies in [0, W) (validRange in
// the reference, including its clamping of an empty range to [lo, lo)).
inline Span validColumns(idx_t Wo, idx_t W, idx_t sw, idx_t off) {
  const idx_t lo = std::min(off >= 0 ? 0 : ceilDiv(-off, sw), Wo);
  const idx_t last = W - 1 - off;
  const idx_t hi = last < 0 ? 0 : std::min(Wo, last / sw + 1);
  return {lo, std::max(lo, hi)};
}

// Runs block(k, width) over rows [0, rows) in blocks of `Width` consecutive rows
// (then single rows), so a kernel can run that many independent dependency
// chains at once while still finishing rows in ascending order.
template <int Width, typename Block>
inline void rowBlocks(idx_t rows, Block block) {
  idx_t k = 0;
  for (; k + Width <= rows; k += Width) block(k, std::integral_constant<int, Width>{});
  for (; k < rows; k++) block(k, std::integral_constant<int, 1>{});
}

// Four rows of sums in flight hide the latency of the sequential double adds.
constexpr int kChains = 4;

// One im2col output row segment: Wo columns of one (kernel tap, image, output row).
inline void gatherRow(const float* src, float* o, Span cols, idx_t Wo, idx_t sw) {
  for (idx_t ow = 0; ow < cols.lo; ow++) o[ow] = 0;
  if (sw == 1)
    for (idx_t ow = cols.lo; ow < cols.hi; ow++) o[ow] = src[ow];
  else
    for (idx_t ow = cols.lo; ow < cols.hi; ow++) o[ow] = src[ow * sw];
  for (idx_t ow = cols.hi; ow < Wo; ow++) o[ow] = 0;
}

inline void scatterRow(const float* c, float* d, Span cols, idx_t sw) {
  if (sw == 1)
    for (idx_t ow = cols.lo; ow < cols.hi; ow++) d[ow] += c[ow];
  else
    for (idx_t ow = cols.lo; ow < cols.hi; ow++) d[ow * sw] += c[ow];
}

}  // namespace

// Writes cols row by row (the reference's order); copies are order-free.
SF_CLONES void im2col(const Window& g, idx_t C, idx_t c0, idx_t cg, idx_t n, const float* x, float* cols) {
  const idx_t P = g.Ho * g.Wo, plane = g.H * g.W, img = C * plane, rowLen = n * P;
  if (rowLen == 0) return;
  float* o = cols;
  for (idx_t c = 0; c < cg; c++) {
    const float* chan = x + (c0 + c) * plane;
    for (idx_t i = 0; i < g.kh; i++) {
      const idx_t offH = i * g.dh - g.ph;
      for (idx_t j = 0; j < g.kw; j++) {
        const idx_t offW = j * g.dw - g.pw;
        const Span cs = validColumns(g.Wo, g.W, g.sw, offW);
        for (idx_t s = 0; s < n; s++) {
          const float* src = chan + s * img;
          for (idx_t oh = 0; oh < g.Ho; oh++, o += g.Wo) {
            const idx_t ih = oh * g.sh + offH;
            if (ih < 0 || ih >= g.H || cs.lo >= cs.hi) std::fill(o, o + g.Wo, 0.0f);
            else gatherRow(src + ih * g.W + offW, o, cs, g.Wo, g.sw);
          }
        }
      }
    }
  }
}

// A dx cell gets at most one term per cols row (kernel tap), so any order that
// visits each image's rows in ascending order accumulates every cell in the
// reference's order (channels [c0, c0+cg) lie inside one image: checked by the
// binding). Two orders, by plane size:
// - large planes, image by image: one image's gradient stays in cache while
//   its cg·kh·kw rows (each a contiguous P-run of a cols row) are scattered;
// - small planes (P·n floats of one channel fit in L2), channel by channel:
//   the cols rows are read front to back, each row once over all n images,
//   and the channel's n planes stay in cache across its kh·kw taps. Image by
//   image, a 7×7 plane reads 49 floats from each of cg·kh·kw rows 50 KB apart
//   (at n = 256), too many streams for the prefetchers: measured 2× slower.
SF_CLONES void col2im(const Window& g, idx_t C, idx_t c0, idx_t cg, idx_t n, const float* cols, float* dx) {
  const idx_t P = g.Ho * g.Wo, plane = g.H * g.W, img = C * plane, rowLen = n * P;
  if (rowLen == 0) return;
  // One tap of one channel: the P-run of image s in cols row `row` into its dx plane.
  const auto tap = [&](const float* run, float* chan, idx_t i, idx_t j) {
    const idx_t offH = i * g.dh - g.ph, offW = j * g.dw - g.pw;
    const Span cs = validColumns(g.Wo, g.W, g.sw, offW);
    if (cs.lo >= cs.hi) return;
    for (idx_t oh = 0; oh < g.Ho; oh++) {
      const idx_t ih = oh * g.sh + offH;
      if (ih < 0 || ih >= g.H) continue;
      scatterRow(run + oh * g.Wo, chan + ih * g.W + offW, cs, g.sw);
    }
  };
  if (g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && P == plane) {
    // A 1×1 window (stride 1, no padding): each cols row is the channel's n planes in
    // order, one term per cell; a contiguous add per plane (a layout swap into dx).
    for (idx_t c = 0; c < cg; c++) {
      const float* row = cols + c * rowLen;
      for (idx_t s = 0; s < n; s++) {
        float* d = dx + s * img + (c0 + c) * plane;
        const float* r = row + s * P;
        for (idx_t k = 0; k < P; k++) d[k] += r[k];
      }
    }
    return;
  }
  constexpr idx_t kChannelMajorFloats = idx_t(1) << 16;  // 256 KiB of dx planes per channel
  if (n * plane <= kChannelMajorFloats) {
    const float* row = cols;
    for (idx_t c = 0; c < cg; c++)
      for (idx_t i = 0; i < g.kh; i++)
        for (idx_t j = 0; j < g.kw; j++, row += rowLen)
          for (idx_t s = 0; s < n; s++) tap(row + s * P, dx + s * img + (c0 + c) * plane, i, j);
    return;
  }
  for (idx_t s = 0; s < n; s++) {
    const float* row = cols + s * P;
    for (idx_t c = 0; c < cg; c++) {
      float* chan = dx + s * img + (c0 + c) * plane;
      for (idx_t i = 0; i < g.kh; i++)
        for (idx_t j = 0; j < g.kw; j++, row += rowLen) tap(row, chan, i, j);
    }
  }
}

SF_CLONES void swapAxes01(idx_t A, idx_t B, idx_t inner, const float* src, float* dst) {
  // Single elements: a plain matrix transpose, which runs in cache blocks of 8×8 register transposes.
  if (inner == 1) return transpose(A, B, src, dst);
  for (idx_t a = 0; a < A; a++)
    for (idx_t b = 0; b < B; b++) {
      const float* s = src + (a * B + b) * inner;
      float* d = dst + (b * A + a) * inner;
      for (idx_t k = 0; k < inner; k++) d[k] = s[k];
    }
}

SF_CLONES void addChannelBias(idx_t N, idx_t C, idx_t P, float* y, const float* bias) {
  for (idx_t n = 0; n < N; n++)
    for (idx_t c = 0; c < C; c++, y += P) {
      const float b = bias[c];
      for (idx_t p = 0; p < P; p++) y[p] += b;
    }
}

// Batch-norm statistics. Each (n, c) row is summed in a double from 0 in
// element order, and the row sums are added to their channel's total in
// ascending row order, as the reference does. Scalar code runs kChains rows
// at once to hide the add latency. With AVX2 and rows of at least 8 elements,
// blocks of kLaneRows rows are first transposed into a [P][16] scratch (the
// GEMM packing's 8×8 register transposes), so that vector lane r carries row
// r's sequential sum: the same additions in the same order, four double
// vectors per step instead of one scalar chain per row (measured 2–3× on the
// token shapes of a spiking transformer's batch norms).
namespace {

constexpr int kLaneRows = 16;
constexpr idx_t kLaneMinP = 8;

// Row statistics of one block of rows: what a kernel accumulates per row.
struct RowStats {
  double s[kLaneRows], t[kLaneRows];
};

#if SF_X86
// op 0: s = Σ x; op 1: s = Σ (x − c)²; op 2: s = Σ g, t = Σ g·(x − c) — per
// lane, sequentially in p, in double, with no fused multiply-add (as the scalar
// loops: the build has -ffp-contract=off and these are separate intrinsics).
template <int Op>
SF_TARGET_AVX2 void laneRowStats(idx_t P, const float* tx, const float* tg, const double* c, RowStats& out) {
  __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
  __m256d c0 = s0, c1 = s0, c2 = s0, c3 = s0;
  if constexpr (Op != 0) c0 = _mm256_loadu_pd(c), c1 = _mm256_loadu_pd(c + 4), c2 = _mm256_loadu_pd(c + 8), c3 = _mm256_loadu_pd(c + 12);
  for (idx_t p = 0; p < P; p++) {
    const float* xp = tx + p * kLaneRows;
    const __m256 xa = _mm256_loadu_ps(xp), xb = _mm256_loadu_ps(xp + 8);
    const __m256d x0 = _mm256_cvtps_pd(_mm256_castps256_ps128(xa)), x1 = _mm256_cvtps_pd(_mm256_extractf128_ps(xa, 1)),
                  x2 = _mm256_cvtps_pd(_mm256_castps256_ps128(xb)), x3 = _mm256_cvtps_pd(_mm256_extractf128_ps(xb, 1));
    if constexpr (Op == 0) {
      s0 = _mm256_add_pd(s0, x0), s1 = _mm256_add_pd(s1, x1), s2 = _mm256_add_pd(s2, x2), s3 = _mm256_add_pd(s3, x3);
    } else if constexpr (Op == 1) {
      const __m256d d0 = _mm256_sub_pd(x0, c0), d1 = _mm256_sub_pd(x1, c1), d2 = _mm256_sub_pd(x2, c2), d3 = _mm256_sub_pd(x3, c3);
      s0 = _mm256_add_pd(s0, _mm256_mul_pd(d0, d0)), s1 = _mm256_add_pd(s1, _mm256_mul_pd(d1, d1));
      s2 = _mm256_add_pd(s2, _mm256_mul_pd(d2, d2)), s3 = _mm256_add_pd(s3, _mm256_mul_pd(d3, d3));
    } else {
      const float* gp = tg + p * kLaneRows;
      const __m256 ga = _mm256_loadu_ps(gp), gb = _mm256_loadu_ps(gp + 8);
      const __m256d g0 = _mm256_cvtps_pd(_mm256_castps256_ps128(ga)), g1 = _mm256_cvtps_pd(_mm256_extractf128_ps(ga, 1)),
                    g2 = _mm256_cvtps_pd(_mm256_castps256_ps128(gb)), g3 = _mm256_cvtps_pd(_mm256_extractf128_ps(gb, 1));
      s0 = _mm256_add_pd(s0, g0), s1 = _mm256_add_pd(s1, g1), s2 = _mm256_add_pd(s2, g2), s3 = _mm256_add_pd(s3, g3);
      t0 = _mm256_add_pd(t0, _mm256_mul_pd(g0, _mm256_sub_pd(x0, c0)));
      t1 = _mm256_add_pd(t1, _mm256_mul_pd(g1, _mm256_sub_pd(x1, c1)));
      t2 = _mm256_add_pd(t2, _mm256_mul_pd(g2, _mm256_sub_pd(x2, c2)));
      t3 = _mm256_add_pd(t3, _mm256_mul_pd(g3, _mm256_sub_pd(x3, c3)));
    }
  }
  _mm256_storeu_pd(out.s, s0), _mm256_storeu_pd(out.s + 4, s1), _mm256_storeu_pd(out.s + 8, s2), _mm256_storeu_pd(out.s + 12, s3);
  _mm256_storeu_pd(out.t, t0), _mm256_storeu_pd(out.t + 4, t1), _mm256_storeu_pd(out.t + 8, t2), _mm256_storeu_pd(out.t + 12, t3);
}
#endif

// Rows [0, rows) of length P: blocks of kLaneRows through laneRowStats when
// the instruction set allows, the rest through scalar chains. For each block
// in ascending order, `lanes(k, R, stats)` or `chains(k, width)` is called;
// both must fold their rows into the channel totals in ascending row order.
// `centre(k, c)` fills the 16 lane constants (the channel means) for Op ≠ 0.
template <int Op, typename Centre, typename Fold, typename Chains>
void overRowBlocks(idx_t rows, idx_t P, const float* x, const float* g, Centre centre, Fold fold, Chains chains) {
  idx_t k = 0;
#if SF_X86
  if (activeIsa() != Isa::scalar && P >= kLaneMinP) {
    thread_local Scratch<float> tx, tg;
    float* bx = tx.get(P * kLaneRows);
    float* bg = Op == 2 ? tg.get(P * kLaneRows) : nullptr;
    alignas(32) double c[kLaneRows] = {};
    RowStats st;
    for (; k + kLaneRows <= rows; k += kLaneRows) {
      gather(x + k * P, P, 8, P, 1.0f, bx, kLaneRows);
      gather(x + (k + 8) * P, P, 8, P, 1.0f, bx + 8, kLaneRows);
      if constexpr (Op == 2) {
        gather(g + k * P, P, 8, P, 1.0f, bg, kLaneRows);
        gather(g + (k + 8) * P, P, 8, P, 1.0f, bg + 8, kLaneRows);
      }
      if constexpr (Op != 0) centre(k, c);
      laneRowStats<Op>(P, bx, bg, c, st);
      fold(k, st);
    }
  }
#endif
  (void)x, (void)g, (void)centre, (void)fold;
  rowBlocks<kChains>(rows - k, [&](idx_t j, auto width) { chains(k + j, width); });
}

}  // namespace

// Rows [k, k + R) of length P summed in double from 0 in element order, R
// chains at once; fold(r, sum) receives them in ascending row order.
template <int R, typename Fold>
inline void chainRowSums(const float* x, idx_t P, idx_t k, Fold fold) {
  const float* xr = x + k * P;
  double s[R] = {};
  for (idx_t p = 0; p < P; p++)
    for (int r = 0; r < R; r++) s[r] += xr[r * P + p];
  for (int r = 0; r < R; r++) fold(r, s[r]);
}

void channelSums(idx_t N, idx_t C, idx_t P, const float* x, float* out) {
  std::fill(out, out + C, 0.0f);
  overRowBlocks<0>(
      N * C, P, x, nullptr, [](idx_t, double*) {},
      [&](idx_t k, const RowStats& st) {
        for (int r = 0; r < kLaneRows; r++) {
          float& o = out[(k + r) % C];
          o = static_cast<float>(static_cast<double>(o) + st.s[r]);
        }
      },
      [&](idx_t k, auto width) {
        chainRowSums<decltype(width)::value>(x, P, k, [&](int r, double sum) {
          float& o = out[(k + r) % C];
          o = static_cast<float>(static_cast<double>(o) + sum);
        });
      });
}

// Two passes as the reference: per-channel double sums of row sums, the mean
// (unrounded) subtracted in the second pass, float stores at the end.
void channelMoments(idx_t N, idx_t C, idx_t P, const float* x, float* mean, float* variance) {
  thread_local Scratch<double> scratch;
  double* m = scratch.get(2 * static_cast<std::size_t>(C));
  double* v = m + C;
  std::fill(m, m + 2 * C, 0.0);
  const double M = static_cast<double>(N * P);
  overRowBlocks<0>(
      N * C, P, x, nullptr, [](idx_t, double*) {},
      [&](idx_t k, const RowStats& st) {
        for (int r = 0; r < kLaneRows; r++) m[(k + r) % C] += st.s[r];
      },
      [&](idx_t k, auto width) {
        chainRowSums<decltype(width)::value>(x, P, k, [&](int r, double sum) { m[(k + r) % C] += sum; });
      });
  for (idx_t c = 0; c < C; c++) m[c] = M > 0 ? m[c] / M : 0;
  overRowBlocks<1>(
      N * C, P, x, nullptr,
      [&](idx_t k, double* c) {
        for (int r = 0; r < kLaneRows; r++) c[r] = m[(k + r) % C];
      },
      [&](idx_t k, const RowStats& st) {
        for (int r = 0; r < kLaneRows; r++) v[(k + r) % C] += st.s[r];
      },
      [&](idx_t k, auto width) {
        constexpr int R = decltype(width)::value;
        const float* xr = x + k * P;
        double mc[R], s[R] = {};
        for (int r = 0; r < R; r++) mc[r] = m[(k + r) % C];
        for (idx_t p = 0; p < P; p++)
          for (int r = 0; r < R; r++) {
            const double d = static_cast<double>(xr[r * P + p]) - mc[r];
            s[r] += d * d;
          }
        for (int r = 0; r < R; r++) v[(k + r) % C] += s[r];
      });
  for (idx_t c = 0; c < C; c++) {
    mean[c] = static_cast<float>(m[c]);
    variance[c] = static_cast<float>(M > 0 ? v[c] / M : 0);
  }
}

void channelCenteredDot(idx_t N, idx_t C, idx_t P, const float* dy, const float* x, const float* mean, float* sumDy,
                        float* sumDyXc) {
  thread_local Scratch<double> scratch;
  double* a = scratch.get(2 * static_cast<std::size_t>(C));
  double* b = a + C;
  std::fill(a, a + 2 * C, 0.0);
  overRowBlocks<2>(
      N * C, P, x, dy,
      [&](idx_t k, double* c) {
        for (int r = 0; r < kLaneRows; r++) c[r] = mean[(k + r) % C];
      },
      [&](idx_t k, const RowStats& st) {
        for (int r = 0; r < kLaneRows; r++) {
          a[(k + r) % C] += st.s[r];
          b[(k + r) % C] += st.t[r];
        }
      },
      [&](idx_t k, auto width) {
        constexpr int R = decltype(width)::value;
        const float* gr = dy + k * P;
        const float* xr = x + k * P;
        double mc[R], s[R] = {}, t[R] = {};
        for (int r = 0; r < R; r++) mc[r] = mean[(k + r) % C];
        for (idx_t p = 0; p < P; p++)
          for (int r = 0; r < R; r++) {
            const double gv = gr[r * P + p];
            s[r] += gv;
            t[r] += gv * (static_cast<double>(xr[r * P + p]) - mc[r]);
          }
        for (int r = 0; r < R; r++) {
          a[(k + r) % C] += s[r];
          b[(k + r) % C] += t[r];
        }
      });
  for (idx_t c = 0; c < C; c++) {
    sumDy[c] = static_cast<float>(a[c]);
    sumDyXc[c] = static_cast<float>(b[c]);
  }
}

SF_CLONES void channelAffine(idx_t N, idx_t C, idx_t P, const float* x, const float* a, const float* b, float* y) {
  for (idx_t n = 0; n < N; n++)
    for (idx_t c = 0; c < C; c++, x += P, y += P) {
      const double ac = a[c], bc = b[c];
      for (idx_t p = 0; p < P; p++) y[p] = static_cast<float>(ac * static_cast<double>(x[p]) + bc);
    }
}

SF_CLONES void channelAffine2(idx_t N, idx_t C, idx_t P, const float* u, const float* v, const float* a, const float* b,
                              const float* k, float* y) {
  for (idx_t n = 0; n < N; n++)
    for (idx_t c = 0; c < C; c++, u += P, v += P, y += P) {
      const double ac = a[c], bc = b[c], kc = k[c];
      for (idx_t p = 0; p < P; p++)
        y[p] = static_cast<float>(ac * static_cast<double>(u[p]) + bc * static_cast<double>(v[p]) + kc);
    }
}

SF_CLONES void mulBroadcast(idx_t R, idx_t N, const float* x, const float* v, float* y) {
  for (idx_t r = 0; r < R; r++, x += N, y += N)
    for (idx_t j = 0; j < N; j++) y[j] = x[j] * v[j];
}

namespace {

// Valid taps of every output row (rows[oh]) and column (cols[ow]): they do not
// depend on the plane, so the divisions behind them run once per call.
struct PoolTaps {
  const Span* rows;
  const Span* cols;
};

// Needs Ho, Wo >= 1 (callers return early otherwise), so the scratch never
// exceeds the output plane by more than one entry.
PoolTaps poolTaps(const Window& g) {
  thread_local Scratch<Span> scratch;
  Span* t = scratch.get(static_cast<std::size_t>(g.Ho + g.Wo));
  for (idx_t oh = 0; oh < g.Ho; oh++) t[oh] = validTaps(oh * g.sh - g.ph, g.kh, g.dh, g.H);
  for (idx_t ow = 0; ow < g.Wo; ow++) t[g.Ho + ow] = validTaps(ow * g.sw - g.pw, g.kw, g.dw, g.W);
  return {t, t + g.Ho};
}

// The first valid cell always wins; later ones win when strictly greater
// (first maximum kept, like PyTorch) or NaN (so a NaN propagates; the last NaN wins).
void poolMaxPlane(const Window& g, const PoolTaps& taps, const float* x, float* y, float* argmax) {
  for (idx_t oh = 0; oh < g.Ho; oh++) {
    const idx_t hs = oh * g.sh - g.ph;
    const Span ti = taps.rows[oh];
    for (idx_t ow = 0; ow < g.Wo; ow++, y++, argmax++) {
      const idx_t ws = ow * g.sw - g.pw;
      const Span tj = taps.cols[ow];
      float best = 0;
      idx_t at = -1;
      for (idx_t i = ti.lo; i < ti.hi; i++) {
        const idx_t ih = hs + i * g.dh;
        const float* row = x + ih * g.W;
        for (idx_t j = tj.lo; j < tj.hi; j++) {
          const idx_t iw = ws + j * g.dw;
          const float v = row[iw];
          // Non-short-circuit so it compiles to selects: winners are data-dependent, branches would mispredict.
          const bool take = (at < 0) | (v > best) | std::isnan(v);
          best = take ? v : best;
          at = take ? ih * g.W + iw : at;
        }
      }
      *y = best;
      *argmax = static_cast<float>(at);
    }
  }
}

// Sum in a double over the valid cells in row-major order; avg divides the sum
// in double by kh·kw (countIncludePad) or the valid cell count.
void poolSumPlane(bool average, const Window& g, const PoolTaps& taps, bool countIncludePad, const float* x, float* y) {
  const double full = static_cast<double>(g.kh * g.kw);
  for (idx_t oh = 0; oh < g.Ho; oh++) {
    const idx_t hs = oh * g.sh - g.ph;
    const Span ti = taps.rows[oh];
    for (idx_t ow = 0; ow < g.Wo; ow++, y++) {
      const idx_t ws = ow * g.sw - g.pw;
      const Span tj = taps.cols[ow];
      double s = 0;
      idx_t count = 0;
      if (ti.lo < ti.hi && tj.lo < tj.hi) {
        count = (ti.hi - ti.lo) * (tj.hi - tj.lo);
        for (idx_t i = ti.lo; i < ti.hi; i++) {
          const float* row = x + (hs + i * g.dh) * g.W + ws;
          for (idx_t j = tj.lo; j < tj.hi; j++) s += row[j * g.dw];
        }
      }
      if (!average) {
        *y = static_cast<float>(s);
      } else {
        const double div = countIncludePad ? full : static_cast<double>(count);
        *y = div > 0 ? static_cast<float>(s / div) : 0.0f;
      }
    }
  }
}

// Each output's gradient (divided in double for avg) is added onto its valid
// cells, outputs in row-major order, so overlapping windows accumulate in the
// reference's order.
void poolSpreadPlane(bool average, const Window& g, const PoolTaps& taps, bool countIncludePad, const float* dy, float* dx) {
  const double full = static_cast<double>(g.kh * g.kw);
  for (idx_t oh = 0; oh < g.Ho; oh++) {
    const idx_t hs = oh * g.sh - g.ph;
    const Span ti = taps.rows[oh];
    for (idx_t ow = 0; ow < g.Wo; ow++, dy++) {
      const idx_t ws = ow * g.sw - g.pw;
      const Span tj = taps.cols[ow];
      if (ti.hi <= ti.lo || tj.hi <= tj.lo) continue;
      double gv = *dy;
      if (average) gv /= countIncludePad ? full : static_cast<double>((ti.hi - ti.lo) * (tj.hi - tj.lo));
      for (idx_t i = ti.lo; i < ti.hi; i++) {
        float* row = dx + (hs + i * g.dh) * g.W + ws;
        for (idx_t j = tj.lo; j < tj.hi; j++) {
          float& d = row[j * g.dw];
          d = static_cast<float>(static_cast<double>(d) + gv);
        }
      }
    }
  }
}

// The 2×2, stride-2, unpadded max pooling of nearly every SNN: every window is
// whole, so its four cells are compared in the reference's order (row 0 left,
// right, row 1 left, right) with the same rule as poolMaxPlane — the first
// cell, then a cell that is greater or NaN — and no tap bookkeeping.
bool isPlainMax2x2(const Window& g) {
  return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1 &&
         g.Ho == g.H / 2 && g.Wo == g.W / 2;
}

inline void max2x2One(const float* r0, const float* r1, idx_t base, idx_t W, float* y, float* argmax) {
  float best = r0[0];
  idx_t at = base;
  const float v[3] = {r0[1], r1[0], r1[1]};
  const idx_t where[3] = {base + 1, base + W, base + W + 1};
  for (int i = 0; i < 3; i++) {
    const bool take = (v[i] > best) | std::isnan(v[i]);
    best = take ? v[i] : best;
    at = take ? where[i] : at;
  }
  *y = best;
  *argmax = static_cast<float>(at);
}

void max2x2PlaneScalar(const Window& g, const float* x, float* y, float* argmax) {
  for (idx_t oh = 0; oh < g.Ho; oh++) {
    const float* r0 = x + 2 * oh * g.W;
    for (idx_t ow = 0; ow < g.Wo; ow++)
      max2x2One(r0 + 2 * ow, r0 + g.W + 2 * ow, 2 * oh * g.W + 2 * ow, g.W, y + oh * g.Wo + ow,
                argmax + oh * g.Wo + ow);
  }
}

#if SF_X86
// 16 windows at a time: two rows of 32 inputs are split into even and odd
// columns. A row's last block (or a plane narrower than 16 windows, like the
// 12 of a 24×24 map) runs under lane masks, so nothing past the row is read.
SF_TARGET_AVX512 void max2x2PlaneAvx512(const Window& g, const float* x, float* y, float* argmax) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i lane2 = _mm512_slli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 1);
  const idx_t W = g.W;
  const auto lanes = [](idx_t n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); };
  for (idx_t oh = 0; oh < g.Ho; oh++) {
    const float* r0 = x + 2 * oh * W;
    const float* r1 = r0 + W;
    for (idx_t ow = 0; ow < g.Wo; ow += 16) {
      const idx_t n = std::min<idx_t>(16, g.Wo - ow);
      const __mmask16 in0 = lanes(2 * n), in1 = lanes(2 * n - 16), out = lanes(n);
      const __m512 a0 = _mm512_maskz_loadu_ps(in0, r0 + 2 * ow), a1 = _mm512_maskz_loadu_ps(in1, r0 + 2 * ow + 16);
      const __m512 b0 = _mm512_maskz_loadu_ps(in0, r1 + 2 * ow), b1 = _mm512_maskz_loadu_ps(in1, r1 + 2 * ow + 16);
      const __m512 v[4] = {_mm512_permutex2var_ps(a0, even, a1), _mm512_permutex2var_ps(a0, odd, a1),
                           _mm512_permutex2var_ps(b0, even, b1), _mm512_permutex2var_ps(b0, odd, b1)};
      const __m512i at0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(2 * oh * W + 2 * ow)), lane2);
      const __m512i off[4] = {at0, _mm512_add_epi32(at0, _mm512_set1_epi32(1)),
                              _mm512_add_epi32(at0, _mm512_set1_epi32(static_cast<int>(W))),
                              _mm512_add_epi32(at0, _mm512_set1_epi32(static_cast<int>(W + 1)))};
      __m512 best = v[0];
      __m512i at = off[0];
      for (int i = 1; i < 4; i++) {
        const __mmask16 take = _mm512_cmp_ps_mask(v[i], best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v[i], v[i], _CMP_UNORD_Q);
        best = _mm512_mask_blend_ps(take, best, v[i]);
        at = _mm512_mask_blend_epi32(take, at, off[i]);
      }
      _mm512_mask_storeu_ps(y + oh * g.Wo + ow, out, best);
      // maskz form: the plain conversion trips GCC 12 -Wmaybe-uninitialized (an undefined passthrough).
      _mm512_mask_storeu_ps(argmax + oh * g.Wo + ow, out, _mm512_maskz_cvtepi32_ps(__mmask16(0xFFFF), at));
    }
  }
}
#endif

}  // namespace

void pool2d(PoolMode mode, const Window& g, idx_t planes, bool countIncludePad, const float* x, float* y,
            float* argmax) {
  const idx_t plane = g.H * g.W, out = g.Ho * g.Wo;
  if (planes == 0 || out == 0) return;
  if (mode == PoolMode::max && isPlainMax2x2(g) && plane < (idx_t(1) << 24)) {
    for (idx_t q = 0; q < planes; q++) {
#if SF_X86
      if (activeIsa() == Isa::avx512) {
        max2x2PlaneAvx512(g, x + q * plane, y + q * out, argmax + q * out);
        continue;
      }
#endif
      max2x2PlaneScalar(g, x + q * plane, y + q * out, argmax + q * out);
    }
    return;
  }
  const PoolTaps taps = poolTaps(g);
  for (idx_t q = 0; q < planes; q++) {
    if (mode == PoolMode::max) poolMaxPlane(g, taps, x + q * plane, y + q * out, argmax + q * out);
    else poolSumPlane(mode == PoolMode::avg, g, taps, countIncludePad, x + q * plane, y + q * out);
  }
}

// Branch-free over blocks (so it vectorizes): an entry is bad when it is >= 0
// and either not below the plane size or not a whole number.
SF_CLONES bool poolArgmaxValid(const Window& g, idx_t planes, const float* argmax) {
  const double plane = static_cast<double>(g.H * g.W);
  const idx_t n = planes * g.Ho * g.Wo;
  constexpr idx_t kBlock = 1024;
  for (idx_t k0 = 0; k0 < n; k0 += kBlock) {
    const idx_t k1 = std::min(n, k0 + kBlock);
    int bad = 0;
    for (idx_t k = k0; k < k1; k++) {
      const double at = argmax[k];
      bad |= (at >= 0) & ((at >= plane) | (at != std::floor(at)));
    }
    if (bad) return false;
  }
  return true;
}

namespace {

// Backward of the plain 2×2 max pooling for one plane when every argmax entry
// is a cell of its own window or a skip (negative or NaN): each dx cell is
// written once — 0 + dy on the winner, as the reference's fill-then-add
// leaves it (so −0 becomes +0), 0 elsewhere — instead of a fill pass and a
// scatter. Returns false, having written nothing, for any other argmax.
bool max2x2BackwardPlaneScalar(const Window& g, const float* dy, const float* argmax, float* dx) {
  const idx_t W = g.W;
  const float fw = static_cast<float>(W), fw1 = static_cast<float>(W + 1);
  for (idx_t oh = 0; oh < g.Ho; oh++) {
    const float* a = argmax + oh * g.Wo;
    bool bad = false;
    for (idx_t ow = 0; ow < g.Wo; ow++) {
      const float d = a[ow] - static_cast<float>(2 * oh * W + 2 * ow);
      bad |= (a[ow] >= 0) & (d != 0) & (d != 1) & (d != fw) & (d != fw1);
    }
    if (bad) return false;
  }
  for (idx_t oh = 0; oh < g.Ho; oh++) {
    float* r0 = dx + 2 * oh * W;
    float* r1 = r0 + W;
    for (idx_t ow = 0; ow < g.Wo; ow++) {
      const float at = argmax[oh * g.Wo + ow], v = 0.0f + dy[oh * g.Wo + ow];
      const float d = at - static_cast<float>(2 * oh * W + 2 * ow);
      const bool live = at >= 0;
      r0[2 * ow] = live && d == 0 ? v : 0.0f;
      r0[2 * ow + 1] = live && d == 1 ? v : 0.0f;
      r1[2 * ow] = live && d == fw ? v : 0.0f;
      r1[2 * ow + 1] = live && d == fw1 ? v : 0.0f;
    }
    // An odd width leaves the last column outside every window.
    for (idx_t iw = 2 * g.Wo; iw < W; iw++) r0[iw] = r1[iw] = 0.0f;
  }
  // An odd height leaves the last row outside every window.
  std::fill(dx + 2 * g.Ho * W, dx + g.H * W, 0.0f);
  return true;
}

#if SF_X86
inline __mmask16 lanes16(idx_t n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }

// Windows [ow, ow + 16) of output row oh (lanes m): masks of the winners at each
// of the four window cells (0, 1, W, W + 1); returns the live (non-skip) lanes.
SF_TARGET_AVX512 inline __mmask16 winnerCells(const Window& g, const float* argmax, idx_t oh, idx_t ow, __mmask16 m,
                                             __mmask16 out[4]) {
  const __m512 zero = _mm512_setzero_ps();
  const __m512 lane2 = _mm512_setr_ps(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512 at = _mm512_maskz_loadu_ps(m, argmax + oh * g.Wo + ow);
  const __m512 d = _mm512_sub_ps(at, _mm512_add_ps(_mm512_set1_ps(static_cast<float>(2 * oh * g.W + 2 * ow)), lane2));
  const __mmask16 live = _mm512_mask_cmp_ps_mask(m, at, zero, _CMP_GE_OQ);
  out[0] = _mm512_mask_cmp_ps_mask(live, d, zero, _CMP_EQ_OQ);
  out[1] = _mm512_mask_cmp_ps_mask(live, d, _mm512_set1_ps(1.0f), _CMP_EQ_OQ);
  out[2] = _mm512_mask_cmp_ps_mask(live, d, _mm512_set1_ps(static_cast<float>(g.W)), _CMP_EQ_OQ);
  out[3] = _mm512_mask_cmp_ps_mask(live, d, _mm512_set1_ps(static_cast<float>(g.W + 1)), _CMP_EQ_OQ);
  return live;
}

// The same, 16 windows at a time: four masked copies of dy (one per window
// cell) are interleaved into the two input rows, as max2x2PlaneAvx512 splits them.
SF_TARGET_AVX512 bool max2x2BackwardPlaneAvx512(const Window& g, const float* dy, const float* argmax, float* dx) {
  const idx_t W = g.W;
  const __m512 zero = _mm512_setzero_ps();
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  for (idx_t oh = 0; oh < g.Ho; oh++)
    for (idx_t ow = 0; ow < g.Wo; ow += 16) {
      __mmask16 c[4];
      const __mmask16 live = winnerCells(g, argmax, oh, ow, lanes16(g.Wo - ow), c);
      if (live & ~(c[0] | c[1] | c[2] | c[3])) return false;
    }
  for (idx_t oh = 0; oh < g.Ho; oh++) {
    float* r0 = dx + 2 * oh * W;
    float* r1 = r0 + W;
    for (idx_t ow = 0; ow < g.Wo; ow += 16) {
      const idx_t n = std::min<idx_t>(16, g.Wo - ow);
      const __mmask16 m = lanes16(n);
      __mmask16 c[4];
      winnerCells(g, argmax, oh, ow, m, c);
      const __m512 v = _mm512_add_ps(zero, _mm512_maskz_loadu_ps(m, dy + oh * g.Wo + ow));
      const __m512 a = _mm512_maskz_mov_ps(c[0], v), b = _mm512_maskz_mov_ps(c[1], v);
      const __m512 e = _mm512_maskz_mov_ps(c[2], v), f = _mm512_maskz_mov_ps(c[3], v);
      const __mmask16 first = lanes16(2 * n), second = lanes16(2 * n - 16);
      _mm512_mask_storeu_ps(r0 + 2 * ow, first, _mm512_permutex2var_ps(a, lo, b));
      _mm512_mask_storeu_ps(r0 + 2 * ow + 16, second, _mm512_permutex2var_ps(a, hi, b));
      _mm512_mask_storeu_ps(r1 + 2 * ow, first, _mm512_permutex2var_ps(e, lo, f));
      _mm512_mask_storeu_ps(r1 + 2 * ow + 16, second, _mm512_permutex2var_ps(e, hi, f));
    }
    for (idx_t iw = 2 * g.Wo; iw < W; iw++) r0[iw] = r1[iw] = 0.0f;
  }
  std::fill(dx + 2 * g.Ho * W, dx + g.H * W, 0.0f);
  return true;
}
#endif

bool max2x2BackwardPlane(const Window& g, const float* dy, const float* argmax, float* dx) {
#if SF_X86
  if (activeIsa() == Isa::avx512) return max2x2BackwardPlaneAvx512(g, dy, argmax, dx);
#endif
  return max2x2BackwardPlaneScalar(g, dy, argmax, dx);
}

}  // namespace

void pool2dBackward(PoolMode mode, const Window& g, idx_t planes, bool countIncludePad, const float* dy,
                    const float* argmax, float* dx) {
  const idx_t plane = g.H * g.W, out = g.Ho * g.Wo;
  if (mode == PoolMode::max && isPlainMax2x2(g) && out > 0) {
    for (idx_t q = 0; q < planes; q++) {
      float* dxq = dx + q * plane;
      const float* dyq = dy + q * out;
      const float* aq = argmax + q * out;
      if (max2x2BackwardPlane(g, dyq, aq, dxq)) continue;
      std::fill(dxq, dxq + plane, 0.0f);
      for (idx_t k = 0; k < out; k++)
        if (aq[k] >= 0) dxq[static_cast<idx_t>(aq[k])] += dyq[k];
    }
    return;
  }
  std::fill(dx, dx + planes * plane, 0.0f);
  if (planes == 0 || out == 0) return;
  const PoolTaps taps = mode == PoolMode::max ? PoolTaps{nullptr, nullptr} : poolTaps(g);
  for (idx_t q = 0; q < planes; q++) {
    float* dxq = dx + q * plane;
    const float* dyq = dy + q * out;
    if (mode != PoolMode::max) {
      poolSpreadPlane(mode == PoolMode::avg, g, taps, countIncludePad, dyq, dxq);
      continue;
    }
    const float* aq = argmax + q * out;
    for (idx_t k = 0; k < out; k++)
      if (aq[k] >= 0) dxq[static_cast<idx_t>(aq[k])] += dyq[k];
  }
}

}  // namespace sf
