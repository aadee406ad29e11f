#include "event.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "scratch.h"
#include "simd.h"
#include "parallel.h"

namespace sf {

namespace {

thread_local Scratch<std::int32_t> listIdx, listStart, listCursor, colIdx, colStart;
thread_local Scratch<std::uint8_t> listBinary, colBinary;
thread_local Scratch<float> gradAcc;

// Adds the rows Wt[k, j0 .. j0+w) for every k in ks[0..n) into y[j0 .. j0+w), in list order.
using RowSumFn = void (*)(float* y, const float* W, idx_t ldw, const std::int32_t* ks, idx_t n, idx_t j0, idx_t w);

void rowSumScalar(float* y, const float* W, idx_t ldw, const std::int32_t* ks, idx_t n, idx_t j0, idx_t w) {
  for (idx_t q = 0; q < n; q++) {
    const float* r = W + ks[q] * ldw + j0;
    for (idx_t j = 0; j < w; j++) y[j0 + j] += r[j];
  }
}

#if SF_X86

// 64-column tiles held in 8 ymm accumulators; the last partial tile falls back to scalar adds.
SF_TARGET_AVX2 void rowSumAvx2(float* y, const float* W, idx_t ldw, const std::int32_t* ks, idx_t n, idx_t j0,
                               idx_t w) {
  idx_t j = j0;
  const idx_t end = j0 + w;
  for (; j + 64 <= end; j += 64) {
    __m256 a[8];
#pragma GCC unroll 8
    for (int v = 0; v < 8; v++) a[v] = _mm256_loadu_ps(y + j + 8 * v);
    for (idx_t q = 0; q < n; q++) {
      const float* r = W + ks[q] * ldw + j;
#pragma GCC unroll 8
      for (int v = 0; v < 8; v++) a[v] = _mm256_add_ps(a[v], _mm256_loadu_ps(r + 8 * v));
    }
#pragma GCC unroll 8
    for (int v = 0; v < 8; v++) _mm256_storeu_ps(y + j + 8 * v, a[v]);
  }
  if (j < end) rowSumScalar(y, W, ldw, ks, n, j, end - j);
}

// Tiles of 16·V columns held in V zmm accumulators; masks cover the last partial tile.
template <int V>
SF_TARGET_AVX512 inline void rowSumTile512(float* y, const float* W, idx_t ldw, const std::int32_t* ks, idx_t n,
                                           idx_t j, idx_t left) {
  __mmask16 m[V];
  __m512 a[V];
#pragma GCC unroll 16
  for (int v = 0; v < V; v++) {
    const idx_t rem = left - 16 * v;
    m[v] = rem >= 16 ? __mmask16(0xFFFF) : rem > 0 ? __mmask16((1u << rem) - 1) : __mmask16(0);
    a[v] = _mm512_maskz_loadu_ps(m[v], y + j + 16 * v);
  }
  for (idx_t q = 0; q < n; q++) {
    const float* r = W + ks[q] * ldw + j;
#pragma GCC unroll 16
    for (int v = 0; v < V; v++) a[v] = _mm512_add_ps(a[v], _mm512_maskz_loadu_ps(m[v], r + 16 * v));
  }
#pragma GCC unroll 16
  for (int v = 0; v < V; v++) _mm512_mask_storeu_ps(y + j + 16 * v, m[v], a[v]);
}

SF_TARGET_AVX512 void rowSumAvx512(float* y, const float* W, idx_t ldw, const std::int32_t* ks, idx_t n, idx_t j0,
                                   idx_t w) {
  const idx_t end = j0 + w;
  idx_t j = j0;
  for (; j + 256 <= end; j += 256) rowSumTile512<16>(y, W, ldw, ks, n, j, 256);
  for (; j < end; j += 128) rowSumTile512<8>(y, W, ldw, ks, n, j, end - j);
}

#endif

RowSumFn rowSumKernel() {
#if SF_X86
  switch (activeIsa()) {
    case Isa::avx512: return rowSumAvx512;
    case Isa::avx2: return rowSumAvx2;
    default: break;
  }
#endif
  return rowSumScalar;
}

// Row lists (CSR pattern) of the nonzero entries of X[M,K]: row m's column
// indices, ascending, are idx[start[m] .. start[m+1]); binary[m] says whether
// the row holds only 0s and 1s. idx needs room for M·K + 16 entries (the SIMD
// fills write a full vector past the last nonzero). "Nonzero" is x != 0 as in
// the reference (so NaN counts and -0 does not).
using RowListFn = idx_t (*)(idx_t M, idx_t K, const float* X, std::int32_t* start, std::int32_t* idx,
                            std::uint8_t* binary);

idx_t rowListsScalar(idx_t M, idx_t K, const float* X, std::int32_t* start, std::int32_t* idx, std::uint8_t* binary) {
  idx_t nnz = 0;
  for (idx_t m = 0; m < M; m++) {
    const float* x = X + m * K;
    start[m] = static_cast<std::int32_t>(nnz);
    bool ones = true;
    // Branch-free: always store k, advance only past nonzeros (spike positions are unpredictable).
    for (idx_t k = 0; k < K; k++) {
      const float v = x[k];
      idx[nnz] = static_cast<std::int32_t>(k);
      nnz += v != 0.0f;
      ones &= (v == 0.0f) | (v == 1.0f);
    }
    binary[m] = ones;
  }
  start[M] = static_cast<std::int32_t>(nnz);
  return nnz;
}

#if SF_X86

// 8 lanes at a time: the nonzero mask picks a precomputed permutation that
// packs the selected column indices to the front of the vector.
struct PackTable {
  alignas(32) std::int32_t perm[256][8];
  PackTable() {
    for (int mask = 0; mask < 256; mask++) {
      int n = 0;
      for (int b = 0; b < 8; b++)
        if (mask >> b & 1) perm[mask][n++] = b;
      for (; n < 8; n++) perm[mask][n] = 0;
    }
  }
};
const PackTable packTable;

SF_TARGET_AVX2 idx_t rowListsAvx2(idx_t M, idx_t K, const float* X, std::int32_t* start, std::int32_t* idx,
                                  std::uint8_t* binary) {
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
  const __m256i step = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  idx_t nnz = 0;
  for (idx_t m = 0; m < M; m++) {
    const float* x = X + m * K;
    start[m] = static_cast<std::int32_t>(nnz);
    unsigned odd = 0;
    idx_t k = 0;
    for (; k + 8 <= K; k += 8) {
      const __m256 v = _mm256_loadu_ps(x + k);
      const unsigned nz = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(v, zero, _CMP_NEQ_UQ)));
      const unsigned is1 = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(v, one, _CMP_EQ_OQ)));
      odd |= nz & ~is1;
      const __m256i ks = _mm256_add_epi32(step, _mm256_set1_epi32(static_cast<int>(k)));
      const __m256i p = _mm256_load_si256(reinterpret_cast<const __m256i*>(packTable.perm[nz]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + nnz), _mm256_permutevar8x32_epi32(ks, p));
      nnz += __builtin_popcount(nz);
    }
    for (; k < K; k++) {
      const float v = x[k];
      idx[nnz] = static_cast<std::int32_t>(k);
      nnz += v != 0.0f;
      odd |= (v != 0.0f) & (v != 1.0f);
    }
    binary[m] = odd == 0;
  }
  start[M] = static_cast<std::int32_t>(nnz);
  return nnz;
}

SF_TARGET_AVX512 idx_t rowListsAvx512(idx_t M, idx_t K, const float* X, std::int32_t* start, std::int32_t* idx,
                                      std::uint8_t* binary) {
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  const __m512i step = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  idx_t nnz = 0;
  for (idx_t m = 0; m < M; m++) {
    const float* x = X + m * K;
    start[m] = static_cast<std::int32_t>(nnz);
    __mmask16 odd = 0;
    for (idx_t k = 0; k < K; k += 16) {
      const idx_t rem = K - k;
      const __mmask16 live = rem >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << rem) - 1);
      const __m512 v = _mm512_maskz_loadu_ps(live, x + k);
      const __mmask16 nz = _mm512_mask_cmp_ps_mask(live, v, zero, _CMP_NEQ_UQ);
      odd |= nz & ~_mm512_cmp_ps_mask(v, one, _CMP_EQ_OQ);
      const __m512i ks = _mm512_add_epi32(step, _mm512_set1_epi32(static_cast<int>(k)));
      // Register compress + plain store: the memory form of compress is slow on some cores.
      _mm512_storeu_si512(idx + nnz, _mm512_maskz_compress_epi32(nz, ks));
      nnz += __builtin_popcount(static_cast<unsigned>(nz));
    }
    binary[m] = odd == 0;
  }
  start[M] = static_cast<std::int32_t>(nnz);
  return nnz;
}

#endif

RowListFn rowListKernel() {
#if SF_X86
  switch (activeIsa()) {
    case Isa::avx512: return rowListsAvx512;
    case Isa::avx2: return rowListsAvx2;
    default: break;
  }
#endif
  return rowListsScalar;
}

// Non-binary entries: y += x·w rounded as the reference does (product and sum in double, then float).
void rowAxpyDouble(float* y, const float* r, double x, idx_t w) {
  for (idx_t j = 0; j < w; j++) y[j] = static_cast<float>(static_cast<double>(y[j]) + x * static_cast<double>(r[j]));
}

// Columns per cache block: the touched weight rows of a block should stay in L2 across all rows of X.
idx_t blockColumns(idx_t rowsTouched, idx_t N) {
  const idx_t budget = (384 * 1024) / (4 * std::max<idx_t>(rowsTouched, 1));
  const idx_t jc = std::max<idx_t>(256, budget / 256 * 256);
  return std::min(jc, N);
}

// Below this many additions (nonzeros × N) the hand-off to the pool worker costs more than it saves.
constexpr double kParallelMinAdds = 2.0e6;

// Y rows [m0, m1) of eventGemm: lists, binary rows through the SIMD row sums, the rest exact.
void eventRows(idx_t m0, idx_t m1, idx_t N, idx_t K, const float* X, const float* Wt, double beta, float* Y) {
  const idx_t M = m1 - m0;
  X += m0 * K;
  Y += m0 * N;
  const idx_t total = M * N;
  if (beta == 0.0) std::memset(Y, 0, total * sizeof(float));
  else if (beta != 1.0)
    for (idx_t i = 0; i < total; i++) Y[i] = static_cast<float>(static_cast<double>(Y[i]) * beta);
  if (M == 0 || N == 0 || K == 0) return;
  // Nonzero column lists per row, built once and reused by every column block;
  // rows holding only ones take the add-only path.
  std::int32_t* start = listStart.get(M + 1);
  std::uint8_t* binary = listBinary.get(M);
  std::int32_t* idx = listIdx.get(M * K + 16);
  rowListKernel()(M, K, X, start, idx, binary);
  const RowSumFn rowSum = rowSumKernel();
  const idx_t JC = blockColumns(K, N);
  for (idx_t jc = 0; jc < N; jc += JC) {
    const idx_t w = std::min(JC, N - jc);
    for (idx_t m = 0; m < M; m++) {
      if (!binary[m]) continue;
      rowSum(Y + m * N, Wt, N, idx + start[m], start[m + 1] - start[m], jc, w);
    }
  }
  for (idx_t m = 0; m < M; m++) {
    if (binary[m]) continue;
    for (std::int32_t q = start[m]; q < start[m + 1]; q++) {
      const idx_t k = idx[q];
      rowAxpyDouble(Y + m * N, Wt + k * N, X[m * K + k], N);
    }
  }
}

// Columns [n0, n1) of the weight gradient: dW[n, k] += Σ_m dY[m, n]·X[m, k].
void gradWColumns(idx_t n0, idx_t n1, idx_t M, idx_t N, idx_t K, const float* dY, const float* X, float* dW) {
  const idx_t w = n1 - n0;
  if (M == 0 || w <= 0 || K == 0) return;
  // Row lists of the nonzeros first (one vectorized pass over X); the column
  // lists below are then built from them in time proportional to the nonzeros.
  std::int32_t* rstart = listStart.get(M + 1);
  std::uint8_t* rbinary = listBinary.get(M);
  std::int32_t* ridx = listIdx.get(M * K + 16);
  rowListKernel()(M, K, X, rstart, ridx, rbinary);
  // Columns of X holding a value other than 0/1 take the exact double path below.
  std::uint8_t* binary = colBinary.get(K);
  std::memset(binary, 1, K);
  for (idx_t m = 0; m < M; m++) {
    if (rbinary[m]) continue;
    for (std::int32_t q = rstart[m]; q < rstart[m + 1]; q++)
      if (X[m * K + ridx[q]] != 1.0f) binary[ridx[q]] = 0;
  }
  // acc[k, j] = Σ_m x[m, k]·dY[m, n0 + j], accumulated in float in ascending m
  // as the reference's scratch is. Rows are taken in blocks whose dY rows fit
  // in L2; within a block each input column lists its nonzero rows (CSC pattern).
  float* acc = gradAcc.get(K * w);
  std::memset(acc, 0, K * w * sizeof(float));
  const RowSumFn rowSum = rowSumKernel();
  const idx_t MB = std::max<idx_t>(16, (512 * 1024) / (4 * w));
  std::int32_t* start = colStart.get(K + 1);
  std::int32_t* cur = listCursor.get(K);
  std::int32_t* idx = colIdx.get(std::min(MB, M) * K);
  const float* src = dY + n0;
  for (idx_t m0 = 0; m0 < M; m0 += MB) {
    const idx_t m1 = std::min(M, m0 + MB);
    std::memset(start, 0, (K + 1) * sizeof(std::int32_t));
    for (std::int32_t q = rstart[m0]; q < rstart[m1]; q++) start[ridx[q] + 1]++;
    for (idx_t k = 0; k < K; k++) start[k + 1] += start[k];
    std::memcpy(cur, start, K * sizeof(std::int32_t));
    // Rows in ascending order, so each column's list is ascending in m.
    for (idx_t m = m0; m < m1; m++)
      for (std::int32_t q = rstart[m]; q < rstart[m + 1]; q++) idx[cur[ridx[q]]++] = static_cast<std::int32_t>(m);
    for (idx_t k = 0; k < K; k++) {
      const std::int32_t q0 = start[k], q1 = start[k + 1];
      if (q0 == q1) continue;
      if (binary[k]) {
        rowSum(acc + k * w, src, N, idx + q0, q1 - q0, 0, w);
      } else {
        for (std::int32_t q = q0; q < q1; q++) rowAxpyDouble(acc + k * w, src + idx[q] * N, X[idx[q] * K + k], w);
      }
    }
  }
  // dW[n, k] += acc[k, n - n0], in 32×32 blocks so both sides stay in cache.
  constexpr idx_t TB = 32;
  for (idx_t j0 = 0; j0 < w; j0 += TB) {
    const idx_t j1 = std::min(w, j0 + TB);
    for (idx_t k0 = 0; k0 < K; k0 += TB) {
      const idx_t k1 = std::min(K, k0 + TB);
      for (idx_t j = j0; j < j1; j++) {
        float* d = dW + (n0 + j) * K;
        for (idx_t k = k0; k < k1; k++) d[k] += acc[k * w + j];
      }
    }
  }
}

// Worth two threads: enough work that the halves share — the additions
// (density estimated from a sample of X), plus the scan of X that builds the
// lists when each half scans only its own rows — and two non-empty halves.
bool worthSplitting(idx_t M, idx_t N, idx_t K, const float* X, idx_t len, bool scanShared) {
  if (gemmThreads() < 2 || len < 2) return false;
  const double scan = double(M) * double(K), shared = scanShared ? scan : 0.0;
  if (scan * double(N) + shared < kParallelMinAdds) return false;
  // Density from every 61st entry: cheap, and enough to tell 1% from 10%.
  idx_t hits = 0, seen = 0;
  for (idx_t i = 0; i < M * K; i += 61, seen++) hits += X[i] != 0.0f;
  return double(hits) / double(seen) * scan * double(N) + shared >= kParallelMinAdds;
}

}  // namespace

void eventGemm(idx_t M, idx_t N, idx_t K, const float* X, const float* Wt, double beta, float* Y) {
  // Rows are independent: each thread builds the lists of its own half.
  runHalves(worthSplitting(M, N, K, X, M, true), M, 1,
            [&](idx_t m0, idx_t m1) { eventRows(m0, m1, N, K, X, Wt, beta, Y); });
}

void eventGemmGradW(idx_t M, idx_t N, idx_t K, const float* dY, const float* X, float* dW) {
  // Columns of dW are independent (cut at a 16-column boundary); both halves build the same (cheap) lists.
  runHalves(worthSplitting(M, N, K, X, N, false), N, 16,
            [&](idx_t n0, idx_t n1) { gradWColumns(n0, n1, M, N, K, dY, X, dW); });
}

void addRows(float* y, const float* W, idx_t ldw, const std::int32_t* ks, idx_t n, idx_t N) {
  if (n > 0 && N > 0) rowSumKernel()(y, W, ldw, ks, n, 0, N);
}

idx_t nonzeroRowLists(idx_t M, idx_t K, const float* X, std::int32_t* start, std::int32_t* idx, std::uint8_t* binary) {
  return rowListKernel()(M, K, X, start, idx, binary);
}

}  // namespace sf
