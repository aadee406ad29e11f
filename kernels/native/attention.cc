// Spiking-transformer kernels (see attention.h). Per row r and head h the
// linear attention works on small matrices: G is dh × dh, built from K's
// nonzeros as row sums of the token-major V (G[i, :] += K[i, n]·Vᵀ[n, :]); out
// collects G rows per nonzero of Q into a token-major accumulator that is
// transposed once per row. The same two moves (a register-held sum of source
// rows picked by one spike row's nonzeros, and a scatter of a register-held
// row into the accumulator rows of a spike row's nonzeros) give dG, dK and dV
// in the backward; dQ = G·D is dense. Every output element gets its terms in
// the reference's order, in double, and is rounded once, so the results are
// the reference's bits; the vectors only run across independent elements.
#include "attention.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "elementwise.h"
#include "event.h"
#include "parallel.h"
#include "scratch.h"
#include "simd.h"

namespace sf {

namespace {

// Splitting a loop is worth the hand-off from about this many inner iterations (as the other kernels).
constexpr double kSplitWork = 2.0e6;
// The memory-bound row maps (rowDot, rowScale) split from this many elements (as elementwise.cc).
constexpr double kSplitElements = double(1 << 20);

// The nonzeros of a [rows, N] spike block: row c's tokens, ascending, are
// idx[start[c] .. start[c + 1]); binary[c]: the row holds only 0s and 1s.
struct Lists {
  const std::int32_t* start;
  const std::int32_t* idx;
  const std::uint8_t* binary;
};

// ---- Row primitives over short double rows (a head's dh channels, or the N tokens) ----
//
// gather:  acc[0..w) = Σ_q x_q·(pre·src[n_q·ld + 0..w)) over the tokens n_q = idx[q]
//          of one spike row `row` in list order, x_q = row[n_q]; src is float.
// scatter: for each row c < rows of the spike block S (row length N) and each of
//          its nonzero tokens n, ascending: acc[n·lda + 0..w) += S[c, n]·M[c·ldm + 0..w).
// dense:   out[0..w) = float(Σ_j g[j]·D[j·ldd + 0..w)) over j < dh ascending, zero g[j] skipped.
// A multiplication by an exact 1 (a spike; pre = 1) is skipped: 1·y = y, the same bits.
struct RowOps {
  void (*gather)(double* acc, const float* src, idx_t ld, const std::int32_t* idx, idx_t cnt, const float* row,
                 bool binary, double pre, idx_t w);
  void (*scatter)(double* acc, idx_t lda, const double* M, idx_t ldm, const Lists& L, const float* S, idx_t N,
                  idx_t rows, idx_t w);
  void (*dense)(float* out, const double* g, idx_t dh, const double* D, idx_t ldd, idx_t w);
};

void gatherScalar(double* acc, const float* src, idx_t ld, const std::int32_t* idx, idx_t cnt, const float* row,
                  bool binary, double pre, idx_t w) {
  std::fill(acc, acc + w, 0.0);
  const bool plain = binary && pre == 1.0;
  for (idx_t q = 0; q < cnt; q++) {
    const idx_t n = idx[q];
    const float* s = src + n * ld;
    if (plain) {
      for (idx_t j = 0; j < w; j++) acc[j] += double(s[j]);
    } else {
      const double x = row[n];
      for (idx_t j = 0; j < w; j++) acc[j] += x * (pre * double(s[j]));
    }
  }
}

void scatterScalar(double* acc, idx_t lda, const double* M, idx_t ldm, const Lists& L, const float* S, idx_t N,
                   idx_t rows, idx_t w) {
  for (idx_t c = 0; c < rows; c++) {
    const double* m = M + c * ldm;
    const float* s = S + c * N;
    for (std::int32_t q = L.start[c]; q < L.start[c + 1]; q++) {
      const idx_t n = L.idx[q];
      double* a = acc + n * lda;
      if (L.binary[c]) {
        for (idx_t j = 0; j < w; j++) a[j] += m[j];
      } else {
        const double x = s[n];
        for (idx_t j = 0; j < w; j++) a[j] += x * m[j];
      }
    }
  }
}

void denseScalar(float* out, const double* g, idx_t dh, const double* D, idx_t ldd, idx_t w) {
  for (idx_t n = 0; n < w; n++) {
    double s = 0;
    for (idx_t j = 0; j < dh; j++)
      if (g[j] != 0.0) s += g[j] * D[j * ldd + n];
    out[n] = float(s);
  }
}

// A switch over the number of vectors V (1..8) of a tile, each case a template instance.
#define SF_ATTN_TILES(v, CALL) \
  switch (v) {                 \
    case 1: CALL(1); break;    \
    case 2: CALL(2); break;    \
    case 3: CALL(3); break;    \
    case 4: CALL(4); break;    \
    case 5: CALL(5); break;    \
    case 6: CALL(6); break;    \
    case 7: CALL(7); break;    \
    default: CALL(8); break;   \
  }

#if SF_X86

// ---- AVX-512: tiles of up to 8 zmm (64 doubles), masks for the partial vectors ----

// A tile's lane mask twice: as a k-mask (double loads and stores) and as a vector
// of 32-bit lanes (8 float loads through AVX's maskload: narrowing a masked zmm
// load to its low half trips GCC 12's uninitialized-value warnings).
struct Mask8 {
  __mmask8 k;
  __m256i f;
};
SF_TARGET_AVX512 inline Mask8 mask8(idx_t rem) {
  const int r = int(std::max<idx_t>(0, std::min<idx_t>(rem, 8)));
  return {__mmask8((1u << r) - 1), _mm256_cmpgt_epi32(_mm256_set1_epi32(r), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))};
}
// 8 floats (masked) widened to 8 doubles; masked-off lanes read nothing.
SF_TARGET_AVX512 inline __m512d loadF8(const float* p, const Mask8& m) {
  return _mm512_maskz_cvtps_pd(m.k, _mm256_maskload_ps(p, m.f));
}

template <int V>
SF_TARGET_AVX512 inline void gatherTile512(double* acc, const float* src, idx_t ld, const std::int32_t* idx, idx_t cnt,
                                           const float* row, bool plain, double pre, idx_t left) {
  Mask8 m[V];
  __m512d a[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) {
    m[v] = mask8(left - 8 * v);
    a[v] = _mm512_setzero_pd();
  }
  if (plain) {
    for (idx_t q = 0; q < cnt; q++) {
      const float* s = src + idx_t(idx[q]) * ld;
#pragma GCC unroll 8
      for (int v = 0; v < V; v++) a[v] = _mm512_add_pd(a[v], loadF8(s + 8 * v, m[v]));
    }
  } else {
    const __m512d p = _mm512_set1_pd(pre);
    for (idx_t q = 0; q < cnt; q++) {
      const idx_t n = idx[q];
      const float* s = src + n * ld;
      const __m512d x = _mm512_set1_pd(double(row[n]));
#pragma GCC unroll 8
      for (int v = 0; v < V; v++) a[v] = _mm512_add_pd(a[v], _mm512_mul_pd(x, _mm512_mul_pd(p, loadF8(s + 8 * v, m[v]))));
    }
  }
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) _mm512_mask_storeu_pd(acc + 8 * v, m[v].k, a[v]);
}

SF_TARGET_AVX512 void gatherAvx512(double* acc, const float* src, idx_t ld, const std::int32_t* idx, idx_t cnt,
                                   const float* row, bool binary, double pre, idx_t w) {
  const bool plain = binary && pre == 1.0;
  for (idx_t j = 0; j < w; j += 64) {
    const idx_t left = w - j;
#define SF_CALL(V) gatherTile512<V>(acc + j, src + j, ld, idx, cnt, row, plain, pre, left)
    SF_ATTN_TILES((left + 7) / 8, SF_CALL)
#undef SF_CALL
  }
}

template <int V>
SF_TARGET_AVX512 inline void scatterTile512(double* acc, idx_t lda, const double* M, idx_t ldm, const Lists& L,
                                            const float* S, idx_t N, idx_t rows, idx_t left) {
  Mask8 m[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) m[v] = mask8(left - 8 * v);
  for (idx_t c = 0; c < rows; c++) {
    __m512d r[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) r[v] = _mm512_maskz_loadu_pd(m[v].k, M + c * ldm + 8 * v);
    const float* s = S + c * N;
    const std::int32_t* it = L.idx + L.start[c];
    const std::int32_t* end = L.idx + L.start[c + 1];
    if (L.binary[c]) {
      for (; it < end; ++it) {
        double* a = acc + idx_t(*it) * lda;
#pragma GCC unroll 8
        for (int v = 0; v < V; v++)
          _mm512_mask_storeu_pd(a + 8 * v, m[v].k, _mm512_add_pd(_mm512_maskz_loadu_pd(m[v].k, a + 8 * v), r[v]));
      }
    } else {
      for (; it < end; ++it) {
        double* a = acc + idx_t(*it) * lda;
        const __m512d x = _mm512_set1_pd(double(s[*it]));
#pragma GCC unroll 8
        for (int v = 0; v < V; v++)
          _mm512_mask_storeu_pd(a + 8 * v, m[v].k,
                                _mm512_add_pd(_mm512_maskz_loadu_pd(m[v].k, a + 8 * v), _mm512_mul_pd(x, r[v])));
      }
    }
  }
}

SF_TARGET_AVX512 void scatterAvx512(double* acc, idx_t lda, const double* M, idx_t ldm, const Lists& L, const float* S,
                                    idx_t N, idx_t rows, idx_t w) {
  for (idx_t j = 0; j < w; j += 64) {
    const idx_t left = w - j;
#define SF_CALL(V) scatterTile512<V>(acc + j, lda, M + j, ldm, L, S, N, rows, left)
    SF_ATTN_TILES((left + 7) / 8, SF_CALL)
#undef SF_CALL
  }
}

template <int V>
SF_TARGET_AVX512 inline void denseTile512(float* out, const double* g, idx_t dh, const double* D, idx_t ldd,
                                          idx_t left) {
  Mask8 m[V];
  __m512d a[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) {
    m[v] = mask8(left - 8 * v);
    a[v] = _mm512_setzero_pd();
  }
  for (idx_t j = 0; j < dh; j++) {
    if (g[j] == 0.0) continue;
    const __m512d gv = _mm512_set1_pd(g[j]);
    const double* d = D + j * ldd;
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) a[v] = _mm512_add_pd(a[v], _mm512_mul_pd(gv, _mm512_maskz_loadu_pd(m[v].k, d + 8 * v)));
  }
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) _mm256_maskstore_ps(out + 8 * v, m[v].f, _mm512_maskz_cvtpd_ps(m[v].k, a[v]));
}

SF_TARGET_AVX512 void denseAvx512(float* out, const double* g, idx_t dh, const double* D, idx_t ldd, idx_t w) {
  for (idx_t j = 0; j < w; j += 64) {
    const idx_t left = w - j;
#define SF_CALL(V) denseTile512<V>(out + j, g, dh, D + j, ldd, left)
    SF_ATTN_TILES((left + 7) / 8, SF_CALL)
#undef SF_CALL
  }
}

// ---- AVX2: the same tiles with 4-double ymm vectors (up to 32 doubles), AVX masked loads/stores ----

struct Mask4 {
  __m256i d;  // 64-bit lanes, for double loads/stores
  __m128i f;  // 32-bit lanes, for float loads/stores
};
SF_TARGET_AVX2 inline Mask4 mask4(idx_t rem) {
  const int r = int(std::max<idx_t>(0, std::min<idx_t>(rem, 4)));
  return {_mm256_cmpgt_epi64(_mm256_set1_epi64x(r), _mm256_setr_epi64x(0, 1, 2, 3)),
          _mm_cmpgt_epi32(_mm_set1_epi32(r), _mm_setr_epi32(0, 1, 2, 3))};
}
SF_TARGET_AVX2 inline __m256d loadF4(const float* p, const Mask4& m) { return _mm256_cvtps_pd(_mm_maskload_ps(p, m.f)); }

template <int V>
SF_TARGET_AVX2 inline void gatherTile256(double* acc, const float* src, idx_t ld, const std::int32_t* idx, idx_t cnt,
                                         const float* row, bool plain, double pre, idx_t left) {
  Mask4 m[V];
  __m256d a[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) {
    m[v] = mask4(left - 4 * v);
    a[v] = _mm256_setzero_pd();
  }
  if (plain) {
    for (idx_t q = 0; q < cnt; q++) {
      const float* s = src + idx_t(idx[q]) * ld;
#pragma GCC unroll 8
      for (int v = 0; v < V; v++) a[v] = _mm256_add_pd(a[v], loadF4(s + 4 * v, m[v]));
    }
  } else {
    const __m256d p = _mm256_set1_pd(pre);
    for (idx_t q = 0; q < cnt; q++) {
      const idx_t n = idx[q];
      const float* s = src + n * ld;
      const __m256d x = _mm256_set1_pd(double(row[n]));
#pragma GCC unroll 8
      for (int v = 0; v < V; v++) a[v] = _mm256_add_pd(a[v], _mm256_mul_pd(x, _mm256_mul_pd(p, loadF4(s + 4 * v, m[v]))));
    }
  }
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) _mm256_maskstore_pd(acc + 4 * v, m[v].d, a[v]);
}

SF_TARGET_AVX2 void gatherAvx2(double* acc, const float* src, idx_t ld, const std::int32_t* idx, idx_t cnt,
                               const float* row, bool binary, double pre, idx_t w) {
  const bool plain = binary && pre == 1.0;
  for (idx_t j = 0; j < w; j += 32) {
    const idx_t left = w - j;
#define SF_CALL(V) gatherTile256<V>(acc + j, src + j, ld, idx, cnt, row, plain, pre, left)
    SF_ATTN_TILES((left + 3) / 4, SF_CALL)
#undef SF_CALL
  }
}

template <int V>
SF_TARGET_AVX2 inline void scatterTile256(double* acc, idx_t lda, const double* M, idx_t ldm, const Lists& L,
                                          const float* S, idx_t N, idx_t rows, idx_t left) {
  Mask4 m[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) m[v] = mask4(left - 4 * v);
  for (idx_t c = 0; c < rows; c++) {
    __m256d r[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) r[v] = _mm256_maskload_pd(M + c * ldm + 4 * v, m[v].d);
    const float* s = S + c * N;
    const std::int32_t* it = L.idx + L.start[c];
    const std::int32_t* end = L.idx + L.start[c + 1];
    const bool binary = L.binary[c];
    for (; it < end; ++it) {
      double* a = acc + idx_t(*it) * lda;
      const __m256d x = _mm256_set1_pd(double(s[*it]));
#pragma GCC unroll 8
      for (int v = 0; v < V; v++) {
        const __m256d t = binary ? r[v] : _mm256_mul_pd(x, r[v]);
        _mm256_maskstore_pd(a + 4 * v, m[v].d, _mm256_add_pd(_mm256_maskload_pd(a + 4 * v, m[v].d), t));
      }
    }
  }
}

SF_TARGET_AVX2 void scatterAvx2(double* acc, idx_t lda, const double* M, idx_t ldm, const Lists& L, const float* S,
                                idx_t N, idx_t rows, idx_t w) {
  for (idx_t j = 0; j < w; j += 32) {
    const idx_t left = w - j;
#define SF_CALL(V) scatterTile256<V>(acc + j, lda, M + j, ldm, L, S, N, rows, left)
    SF_ATTN_TILES((left + 3) / 4, SF_CALL)
#undef SF_CALL
  }
}

template <int V>
SF_TARGET_AVX2 inline void denseTile256(float* out, const double* g, idx_t dh, const double* D, idx_t ldd, idx_t left) {
  Mask4 m[V];
  __m256d a[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) {
    m[v] = mask4(left - 4 * v);
    a[v] = _mm256_setzero_pd();
  }
  for (idx_t j = 0; j < dh; j++) {
    if (g[j] == 0.0) continue;
    const __m256d gv = _mm256_set1_pd(g[j]);
    const double* d = D + j * ldd;
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) a[v] = _mm256_add_pd(a[v], _mm256_mul_pd(gv, _mm256_maskload_pd(d + 4 * v, m[v].d)));
  }
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) _mm_maskstore_ps(out + 4 * v, m[v].f, _mm256_cvtpd_ps(a[v]));
}

SF_TARGET_AVX2 void denseAvx2(float* out, const double* g, idx_t dh, const double* D, idx_t ldd, idx_t w) {
  for (idx_t j = 0; j < w; j += 32) {
    const idx_t left = w - j;
#define SF_CALL(V) denseTile256<V>(out + j, g, dh, D + j, ldd, left)
    SF_ATTN_TILES((left + 3) / 4, SF_CALL)
#undef SF_CALL
  }
}

#endif  // SF_X86

#undef SF_ATTN_TILES

RowOps rowOps() {
#if SF_X86
  switch (activeIsa()) {
    case Isa::avx512: return {gatherAvx512, scatterAvx512, denseAvx512};
    case Isa::avx2: return {gatherAvx2, scatterAvx2, denseAvx2};
    default: break;
  }
#endif
  return {gatherScalar, scatterScalar, denseScalar};
}

// ---- Per-thread scratch (the pool worker has its own) ----

thread_local Scratch<std::int32_t> listStart[3], listIdx[3];
thread_local Scratch<std::uint8_t> listBinary[3];
thread_local Scratch<float> tokenMajor, rounded;
thread_local Scratch<double> accA, accB, headA, headB, headC, scaledD;

// Row lists of the spike block x [C, N] in scratch slot `slot` (0..2).
Lists buildLists(int slot, idx_t C, idx_t N, const float* x) {
  std::int32_t* start = listStart[slot].get(C + 1);
  std::int32_t* idx = listIdx[slot].get(C * N + 16);
  std::uint8_t* binary = listBinary[slot].get(C);
  nonzeroRowLists(C, N, x, start, idx, binary);
  return {start, idx, binary};
}

// The rows of one head (from channel c0 on).
Lists headRows(const Lists& L, idx_t c0) { return {L.start + c0, L.idx, L.binary + c0}; }

SF_CLONES void roundScaled(idx_t n, const double* acc, double scale, float* out) {
  for (idx_t i = 0; i < n; i++) out[i] = float(scale * acc[i]);
}

SF_CLONES void scaleToDouble(idx_t n, const float* x, double scale, double* out) {
  for (idx_t i = 0; i < n; i++) out[i] = scale * double(x[i]);
}

SF_CLONES void widen(idx_t n, const float* x, double* out) {
  for (idx_t i = 0; i < n; i++) out[i] = double(x[i]);
}

// The token-major double accumulator acc [N, C] rounded (times scale) into y [C, N].
void storeTransposed(idx_t C, idx_t N, const double* acc, double scale, float* y) {
  float* tmp = rounded.get(C * N);
  roundScaled(C * N, acc, scale, tmp);
  transpose(N, C, tmp, y);
}

void forwardRows(idx_t r0, idx_t r1, idx_t heads, idx_t dh, idx_t N, double scale, const float* q, const float* k,
                 const float* v, float* G, float* out) {
  const RowOps ops = rowOps();
  const idx_t C = heads * dh, CN = C * N;
  float* Vt = tokenMajor.get(CN);
  double* acc = accA.get(CN);
  double* Gd = headA.get(dh * dh);
  for (idx_t r = r0; r < r1; r++) {
    const float *Q = q + r * CN, *K = k + r * CN;
    const Lists LQ = buildLists(0, C, N, Q), LK = buildLists(1, C, N, K);
    transpose(C, N, v + r * CN, Vt);
    std::fill(acc, acc + CN, 0.0);
    for (idx_t h = 0; h < heads; h++) {
      const idx_t c0 = h * dh;
      // G[i, :] = Σ over K row i's tokens n of K[i, n]·Vᵀ[n, head h's channels].
      for (idx_t i = 0; i < dh; i++) {
        const idx_t c = c0 + i;
        ops.gather(Gd + i * dh, Vt + c0, C, LK.idx + LK.start[c], LK.start[c + 1] - LK.start[c], K + c * N, LK.binary[c],
                   1.0, dh);
      }
      float* g = G + (r * heads + h) * dh * dh;
      for (idx_t x = 0; x < dh * dh; x++) g[x] = float(Gd[x]);
      // outᵀ[n, head h] += Q[i, n]·G[i, :] over Q's nonzeros (the unrounded G, as the reference).
      ops.scatter(acc + c0, C, Gd, dh, headRows(LQ, c0), Q + c0 * N, N, dh, dh);
    }
    storeTransposed(C, N, acc, scale, out + r * CN);
  }
}

void backwardRows(idx_t r0, idx_t r1, idx_t heads, idx_t dh, idx_t N, double scale, const float* q, const float* k,
                  const float* v, const float* G, const float* dOut, float* dQ, float* dK, float* dV) {
  const RowOps ops = rowOps();
  const idx_t C = heads * dh, CN = C * N;
  double* D = dQ ? scaledD.get(CN) : nullptr;
  double* Gh = headC.get(dh * dh);
  double* dG = headA.get(dh * dh);
  double* dGt = headB.get(dh * dh);
  float* dOt = dK || dV ? tokenMajor.get(CN) : nullptr;
  double* accK = dK ? accA.get(CN) : nullptr;
  double* accV = dV ? accB.get(CN) : nullptr;
  for (idx_t r = r0; r < r1; r++) {
    const float *Q = q + r * CN, *K = k + r * CN, *V = v + r * CN, *O = dOut + r * CN;
    if (dQ) {
      // dQ[i, :] = Σ_j G[i, j]·D[j, :], D = scale·dOut: dense, vectors over the tokens.
      scaleToDouble(CN, O, scale, D);
      for (idx_t h = 0; h < heads; h++) {
        const idx_t c0 = h * dh;
        widen(dh * dh, G + (r * heads + h) * dh * dh, Gh);
        for (idx_t i = 0; i < dh; i++) ops.dense(dQ + r * CN + (c0 + i) * N, Gh + i * dh, dh, D + c0 * N, N, N);
      }
    }
    if (!dK && !dV) continue;
    const Lists LQ = buildLists(0, C, N, Q);
    const Lists LK = dV ? buildLists(1, C, N, K) : Lists{};
    const Lists LV = dK ? buildLists(2, C, N, V) : Lists{};
    transpose(C, N, O, dOt);
    if (accK) std::fill(accK, accK + CN, 0.0);
    if (accV) std::fill(accV, accV + CN, 0.0);
    for (idx_t h = 0; h < heads; h++) {
      const idx_t c0 = h * dh;
      // dG[i, :] = Σ over Q row i's tokens n of Q[i, n]·(scale·dOutᵀ[n, head h]).
      for (idx_t i = 0; i < dh; i++) {
        const idx_t c = c0 + i;
        ops.gather(dG + i * dh, dOt + c0, C, LQ.idx + LQ.start[c], LQ.start[c + 1] - LQ.start[c], Q + c * N, LQ.binary[c],
                   scale, dh);
      }
      if (dK) {
        // dKᵀ[n, i] += V[j, n]·dG[i, j] over V's nonzeros: rows of dGᵀ.
        for (idx_t i = 0; i < dh; i++)
          for (idx_t j = 0; j < dh; j++) dGt[j * dh + i] = dG[i * dh + j];
        ops.scatter(accK + c0, C, dGt, dh, headRows(LV, c0), V + c0 * N, N, dh, dh);
      }
      // dVᵀ[n, j] += K[i, n]·dG[i, j] over K's nonzeros.
      if (dV) ops.scatter(accV + c0, C, dG, dh, headRows(LK, c0), K + c0 * N, N, dh, dh);
    }
    if (dK) storeTransposed(C, N, accK, 1.0, dK + r * CN);
    if (dV) storeTransposed(C, N, accV, 1.0, dV + r * CN);
  }
}

// ---- Layer norm: vectors over the tokens n; each (r, n) sums its channels in ascending order ----

// Mean and 1/√(σ² + ε) of every token of one row x [C, N], in double.
SF_CLONES void lnMoments(idx_t C, idx_t N, double eps, const float* x, double* mean, double* inv) {
  std::fill(mean, mean + N, 0.0);
  std::fill(inv, inv + N, 0.0);
  for (idx_t c = 0; c < C; c++)
    for (idx_t n = 0; n < N; n++) mean[n] += double(x[c * N + n]);
  for (idx_t n = 0; n < N; n++) mean[n] /= double(C);
  for (idx_t c = 0; c < C; c++)
    for (idx_t n = 0; n < N; n++) {
      const double d = double(x[c * N + n]) - mean[n];
      inv[n] += d * d;
    }
  for (idx_t n = 0; n < N; n++) inv[n] = 1.0 / std::sqrt(inv[n] / double(C) + eps);
}

SF_CLONES void lnApply(idx_t C, idx_t N, const float* x, const double* mean, const double* inv, const float* gamma,
                       const float* beta, float* y) {
  for (idx_t c = 0; c < C; c++) {
    const double g = gamma ? double(gamma[c]) : 1.0, b = beta ? double(beta[c]) : 0.0;
    const float* xr = x + c * N;
    float* yr = y + c * N;
    for (idx_t n = 0; n < N; n++) yr[n] = float(g * ((double(xr[n]) - mean[n]) * inv[n]) + b);
  }
}

// dx = inv·(g − mean_c(g) − x̂·mean_c(g·x̂)) with g = γ·dy, for one row.
SF_CLONES void lnInputGrad(idx_t C, idx_t N, const float* x, const double* mean, const double* inv, const float* gamma,
                           const float* dy, double* sg, double* sgx, float* dx) {
  std::fill(sg, sg + N, 0.0);
  std::fill(sgx, sgx + N, 0.0);
  for (idx_t c = 0; c < C; c++) {
    const double g = gamma ? double(gamma[c]) : 1.0;
    for (idx_t n = 0; n < N; n++) {
      const double xh = (double(x[c * N + n]) - mean[n]) * inv[n];
      const double gc = g * double(dy[c * N + n]);
      sg[n] += gc;
      sgx[n] += gc * xh;
    }
  }
  for (idx_t n = 0; n < N; n++) {
    sg[n] /= double(C);
    sgx[n] /= double(C);
  }
  for (idx_t c = 0; c < C; c++) {
    const double g = gamma ? double(gamma[c]) : 1.0;
    for (idx_t n = 0; n < N; n++) {
      const double xh = (double(x[c * N + n]) - mean[n]) * inv[n];
      const double gc = g * double(dy[c * N + n]);
      dx[c * N + n] = float(inv[n] * (gc - sg[n] - xh * sgx[n]));
    }
  }
}

// One token's contribution to the γ/β gradients, vectors over the channels
// (token-major rows xT, dyT), so each channel still sums its (r, n) terms in order.
SF_CLONES void lnParamGradToken(idx_t C, double mean, double inv, const float* xT, const float* dyT, double* dga,
                                double* dbe) {
  if (dga)
    for (idx_t c = 0; c < C; c++) dga[c] += double(dyT[c]) * ((double(xT[c]) - mean) * inv);
  if (dbe)
    for (idx_t c = 0; c < C; c++) dbe[c] += double(dyT[c]);
}

}  // namespace

void linearAttentionForward(idx_t R, idx_t heads, idx_t dh, idx_t N, double scale, const float* q, const float* k,
                            const float* v, float* G, float* out) {
  if (R == 0 || heads == 0 || dh == 0) return;
  // Rows are independent. Work: the nonzeros' row operations (~2·density·dh per element at ~25%) plus
  // the list scans, transposes and roundings (~8 per element).
  const double work = double(R) * double(heads * dh) * double(N) * (double(dh) / 2 + 8);
  runHalves(work >= kSplitWork, R, 1, [&](idx_t a, idx_t b) { forwardRows(a, b, heads, dh, N, scale, q, k, v, G, out); });
}

void linearAttentionBackward(idx_t R, idx_t heads, idx_t dh, idx_t N, double scale, const float* q, const float* k,
                             const float* v, const float* G, const float* dOut, float* dQ, float* dK, float* dV) {
  if (R == 0 || heads == 0 || dh == 0 || (!dQ && !dK && !dV)) return;
  // dQ is dense (dh multiply-adds per element); the rest as in the forward.
  const double work = double(R) * double(heads * dh) * double(N) * ((dQ ? double(dh) : 0.0) + double(dh) / 2 + 12);
  runHalves(work >= kSplitWork, R, 1,
            [&](idx_t a, idx_t b) { backwardRows(a, b, heads, dh, N, scale, q, k, v, G, dOut, dQ, dK, dV); });
}

void rowDot(idx_t M, idx_t N, const float* a, const float* b, float* out) {
  // Each row is one sequential double sum in token order (the reference's bits); four rows in
  // flight hide the add latency. A zero of a adds +0, which leaves every partial sum unchanged
  // (they start at +0 and never become −0), and skips b (a NaN there is not read into the sum).
  runHalves(double(M) * double(N) >= kSplitElements, M, 4, [&](idx_t r0, idx_t r1) {
    idx_t r = r0;
    for (; r + 4 <= r1; r += 4) {
      double s[4] = {0, 0, 0, 0};
      for (idx_t n = 0; n < N; n++)
        for (int l = 0; l < 4; l++) {
          const float x = a[(r + l) * N + n];
          s[l] += x != 0.0f ? double(x) * double(b[(r + l) * N + n]) : 0.0;
        }
      for (int l = 0; l < 4; l++) out[r + l] = float(s[l]);
    }
    for (; r < r1; r++) {
      double s = 0;
      for (idx_t n = 0; n < N; n++) {
        const float x = a[r * N + n];
        if (x != 0.0f) s += double(x) * double(b[r * N + n]);
      }
      out[r] = float(s);
    }
  });
}

namespace {
// A float product equals the reference's double product rounded once: the exact product of two
// floats fits in a double.
SF_CLONES void rowScaleRows(idx_t r0, idx_t r1, idx_t N, const float* x, const float* s, float* out) {
  for (idx_t r = r0; r < r1; r++) {
    const float c = s[r];
    const float* xr = x + r * N;
    float* o = out + r * N;
    for (idx_t n = 0; n < N; n++) o[n] = xr[n] * c;
  }
}
}  // namespace

void rowScale(idx_t M, idx_t N, const float* x, const float* s, float* out) {
  runHalves(double(M) * double(N) >= kSplitElements, M, 1,
            [&](idx_t r0, idx_t r1) { rowScaleRows(r0, r1, N, x, s, out); });
}

void layerNormForward(idx_t R, idx_t C, idx_t N, double eps, const float* x, const float* gamma, const float* beta,
                      float* stats, float* out) {
  runHalves(double(R) * double(C) * double(N) * 4 >= kSplitWork, R, 1, [&](idx_t r0, idx_t r1) {
    double* mean = headA.get(N);
    double* inv = headB.get(N);
    for (idx_t r = r0; r < r1; r++) {
      const float* xr = x + r * C * N;
      lnMoments(C, N, eps, xr, mean, inv);
      for (idx_t n = 0; n < N; n++) {
        stats[2 * (r * N + n)] = float(mean[n]);
        stats[2 * (r * N + n) + 1] = float(inv[n]);
      }
      lnApply(C, N, xr, mean, inv, gamma, beta, out + r * C * N);
    }
  });
}

void layerNormBackward(idx_t R, idx_t C, idx_t N, const float* x, const float* gamma, const float* stats,
                       const float* dY, float* dX, float* dGamma, float* dBeta) {
  // dX: rows are independent. The statistics are the stored (float) ones, as in the reference.
  runHalves(double(R) * double(C) * double(N) * 4 >= kSplitWork, R, 1, [&](idx_t r0, idx_t r1) {
    double* mean = headA.get(N);
    double* inv = headB.get(N);
    double* sg = accA.get(N);
    double* sgx = accB.get(N);
    for (idx_t r = r0; r < r1; r++) {
      for (idx_t n = 0; n < N; n++) {
        mean[n] = stats[2 * (r * N + n)];
        inv[n] = stats[2 * (r * N + n) + 1];
      }
      const idx_t off = r * C * N;
      lnInputGrad(C, N, x + off, mean, inv, gamma, dY + off, sg, sgx, dX + off);
    }
  });
  if (!dGamma && !dBeta) return;
  // γ/β: every channel sums over (r, n) in the reference's order, so this pass stays on one
  // thread; token-major copies of each row let the vectors run across channels.
  double* dga = dGamma ? headA.get(C) : nullptr;
  double* dbe = dBeta ? headB.get(C) : nullptr;
  if (dga) std::fill(dga, dga + C, 0.0);
  if (dbe) std::fill(dbe, dbe + C, 0.0);
  float* xT = tokenMajor.get(C * N);
  float* dyT = rounded.get(C * N);
  for (idx_t r = 0; r < R; r++) {
    transpose(C, N, x + r * C * N, xT);
    transpose(C, N, dY + r * C * N, dyT);
    for (idx_t n = 0; n < N; n++)
      lnParamGradToken(C, stats[2 * (r * N + n)], stats[2 * (r * N + n) + 1], xT + n * C, dyT + n * C, dga, dbe);
  }
  for (idx_t c = 0; c < C; c++) {
    if (dGamma) dGamma[c] = float(double(dGamma[c]) + dga[c]);
    if (dBeta) dBeta[c] = float(double(dBeta[c]) + dbe[c]);
  }
}

}  // namespace sf
