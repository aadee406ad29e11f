// GEMM with very few rows (streaming inference: one sample per time step).
// The packed driver copies all of B into panels before it multiplies; with
// M = 1 that copy is as much memory traffic as the product itself, so here B
// is read once, in place: dot products when B's columns are contiguous along k
// (the NT form of a linear layer), row updates when B's rows are contiguous
// along j (NN). Up to kSmallRows rows of A share each load of B.
#include <algorithm>
#include <cstring>

#include "gemm.h"
#include "scratch.h"
#include "simd.h"

namespace sf {

namespace {

thread_local Scratch<float> rowsA, longKAcc;

// Stores alpha·acc + beta·C (C unread when beta = 0).
inline void storeScaled(float* c, float acc, float alpha, float beta) {
  *c = beta == 0.0f ? alpha * acc : alpha * acc + beta * *c;
}

#if SF_X86

// Horizontal sum of 16 lanes through memory: GCC 12's shuffle intrinsics (and
// _mm512_reduce_add_ps) trip -Wmaybe-uninitialized, and this runs once per output.
SF_TARGET_AVX512 float hsum512(__m512 v) {
  alignas(64) float t[16];
  _mm512_store_ps(t, v);
  for (int w = 8; w > 0; w >>= 1)
    for (int i = 0; i < w; i++) t[i] += t[i + w];
  return t[0];
}

// C[i, j] for 4 columns at a time: acc[r][c] = Σ_k A[r, k]·B[j + c, k], A rows contiguous (lda = K).
SF_TARGET_AVX512 void smallNtAvx512(idx_t M, idx_t N, idx_t K, float alpha, const float* A, const float* B,
                                    idx_t ldb, float beta, float* C, idx_t ldc) {
  const idx_t K16 = K / 16 * 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (K - K16)) - 1);
  for (idx_t j = 0; j < N; j += 4) {
    const int cols = static_cast<int>(std::min<idx_t>(4, N - j));
    const float* b[4];
    for (int c = 0; c < 4; c++) b[c] = B + (j + std::min(c, cols - 1)) * ldb;
    __m512 acc[kSmallRows][4];
    for (int r = 0; r < kSmallRows; r++)
      for (int c = 0; c < 4; c++) acc[r][c] = _mm512_setzero_ps();
    for (idx_t k = 0; k <= K16; k += 16) {
      const __mmask16 m = k < K16 ? __mmask16(0xFFFF) : tail;
      if (m == 0) break;
      __m512 bv[4];
      for (int c = 0; c < 4; c++) bv[c] = _mm512_maskz_loadu_ps(m, b[c] + k);
      for (int r = 0; r < kSmallRows; r++) {
        if (r >= M) break;
        const __m512 av = _mm512_maskz_loadu_ps(m, A + r * K + k);
        for (int c = 0; c < 4; c++) acc[r][c] = _mm512_fmadd_ps(av, bv[c], acc[r][c]);
      }
    }
    for (int r = 0; r < M; r++)
      for (int c = 0; c < cols; c++) storeScaled(C + r * ldc + j + c, hsum512(acc[r][c]), alpha, beta);
  }
}

// C[i, j .. j+64) = alpha·Σ_k A(i, k)·B[k, j ..] + beta·C, B rows contiguous along j.
SF_TARGET_AVX512 void smallNnAvx512(idx_t M, idx_t N, idx_t K, float alpha, const float* A, idx_t sAi, idx_t sAk,
                                    const float* B, idx_t ldb, float beta, float* C, idx_t ldc) {
  for (idx_t j = 0; j < N; j += 64) {
    __mmask16 m[4];
    for (int v = 0; v < 4; v++) {
      const idx_t rem = N - j - 16 * v;
      m[v] = rem >= 16 ? __mmask16(0xFFFF) : rem > 0 ? __mmask16((1u << rem) - 1) : __mmask16(0);
    }
    __m512 acc[kSmallRows][4];
    for (int r = 0; r < kSmallRows; r++)
      for (int v = 0; v < 4; v++) acc[r][v] = _mm512_setzero_ps();
    for (idx_t k = 0; k < K; k++) {
      const float* brow = B + k * ldb + j;
      __m512 bv[4];
      for (int v = 0; v < 4; v++) bv[v] = _mm512_maskz_loadu_ps(m[v], brow + 16 * v);
      for (int r = 0; r < kSmallRows; r++) {
        if (r >= M) break;
        const __m512 a = _mm512_set1_ps(A[r * sAi + k * sAk]);
        for (int v = 0; v < 4; v++) acc[r][v] = _mm512_fmadd_ps(a, bv[v], acc[r][v]);
      }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int r = 0; r < M; r++)
      for (int v = 0; v < 4; v++) {
        if (m[v] == 0) break;
        float* c = C + r * ldc + j + 16 * v;
        __m512 out = _mm512_mul_ps(va, acc[r][v]);
        if (beta != 0.0f) out = _mm512_add_ps(out, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m[v], c)));
        _mm512_mask_storeu_ps(c, m[v], out);
      }
  }
}

// AVX2 versions: 8 lanes, scalar tails (AVX2 has no cheap masked float loads for the sums).
SF_TARGET_AVX2 float hsum256(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

SF_TARGET_AVX2 void smallNtAvx2(idx_t M, idx_t N, idx_t K, float alpha, const float* A, const float* B, idx_t ldb,
                                float beta, float* C, idx_t ldc) {
  const idx_t K8 = K / 8 * 8;
  for (idx_t j = 0; j < N; j += 2) {
    const int cols = static_cast<int>(std::min<idx_t>(2, N - j));
    const float* b0 = B + j * ldb;
    const float* b1 = B + (j + cols - 1) * ldb;
    __m256 acc[kSmallRows][2];
    for (int r = 0; r < kSmallRows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (idx_t k = 0; k < K8; k += 8) {
      const __m256 v0 = _mm256_loadu_ps(b0 + k), v1 = _mm256_loadu_ps(b1 + k);
      for (int r = 0; r < kSmallRows; r++) {
        if (r >= M) break;
        const __m256 av = _mm256_loadu_ps(A + r * K + k);
        acc[r][0] = _mm256_fmadd_ps(av, v0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(av, v1, acc[r][1]);
      }
    }
    for (int r = 0; r < M; r++) {
      const float* a = A + r * K;
      float s0 = hsum256(acc[r][0]), s1 = hsum256(acc[r][1]);
      for (idx_t k = K8; k < K; k++) {
        s0 += a[k] * b0[k];
        s1 += a[k] * b1[k];
      }
      storeScaled(C + r * ldc + j, s0, alpha, beta);
      if (cols == 2) storeScaled(C + r * ldc + j + 1, s1, alpha, beta);
    }
  }
}

SF_TARGET_AVX2 void smallNnAvx2(idx_t M, idx_t N, idx_t K, float alpha, const float* A, idx_t sAi, idx_t sAk,
                                const float* B, idx_t ldb, float beta, float* C, idx_t ldc) {
  const idx_t N32 = N / 32 * 32;
  for (idx_t j = 0; j < N32; j += 32) {
    __m256 acc[kSmallRows][4];
    for (int r = 0; r < kSmallRows; r++)
      for (int v = 0; v < 4; v++) acc[r][v] = _mm256_setzero_ps();
    for (idx_t k = 0; k < K; k++) {
      const float* brow = B + k * ldb + j;
      __m256 bv[4];
      for (int v = 0; v < 4; v++) bv[v] = _mm256_loadu_ps(brow + 8 * v);
      for (int r = 0; r < kSmallRows; r++) {
        if (r >= M) break;
        const __m256 a = _mm256_set1_ps(A[r * sAi + k * sAk]);
        for (int v = 0; v < 4; v++) acc[r][v] = _mm256_fmadd_ps(a, bv[v], acc[r][v]);
      }
    }
    for (int r = 0; r < M; r++)
      for (int v = 0; v < 4; v++) {
        alignas(32) float t[8];
        _mm256_store_ps(t, acc[r][v]);
        for (int q = 0; q < 8; q++) storeScaled(C + r * ldc + j + 8 * v + q, t[q], alpha, beta);
      }
  }
  // Last columns: plain loops (at most 31 of them).
  for (int r = 0; r < M; r++)
    for (idx_t jj = N32; jj < N; jj++) {
      float s = 0.0f;
      for (idx_t k = 0; k < K; k++) s += A[r * sAi + k * sAk] * B[k * ldb + jj];
      storeScaled(C + r * ldc + jj, s, alpha, beta);
    }
}

// A tiny C (a convolution's weight gradient: Cout × Cin·k²) from a very long
// reduction (k runs over every output position of the batch). Packing would
// copy both operands in full for a handful of outputs, and the 12×32 register
// tile would mostly hold padding, so 4×4 blocks of dot products run over
// k-chunks that stay in L2, their sums collected in acc[M·N].
SF_TARGET_AVX512 void longKAvx512(idx_t M, idx_t N, idx_t K, const float* A, idx_t lda, const float* B, idx_t ldb,
                                  float* acc) {
  constexpr idx_t KB = 1024;
  for (idx_t k0 = 0; k0 < K; k0 += KB) {
    const idx_t k1 = std::min(K, k0 + KB);
    for (idx_t i0 = 0; i0 < M; i0 += 4) {
      const int rows = static_cast<int>(std::min<idx_t>(4, M - i0));
      const float* a[4];
      for (int r = 0; r < 4; r++) a[r] = A + (i0 + std::min(r, rows - 1)) * lda;
      for (idx_t j0 = 0; j0 < N; j0 += 4) {
        const int cols = static_cast<int>(std::min<idx_t>(4, N - j0));
        const float* b[4];
        for (int c = 0; c < 4; c++) b[c] = B + (j0 + std::min(c, cols - 1)) * ldb;
        __m512 t[4][4];
        for (int r = 0; r < 4; r++)
          for (int c = 0; c < 4; c++) t[r][c] = _mm512_setzero_ps();
        for (idx_t k = k0; k < k1; k += 16) {
          const idx_t rem = k1 - k;
          const __mmask16 m = rem >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << rem) - 1);
          __m512 av[4], bv[4];
          for (int r = 0; r < 4; r++) av[r] = _mm512_maskz_loadu_ps(m, a[r] + k);
          for (int c = 0; c < 4; c++) bv[c] = _mm512_maskz_loadu_ps(m, b[c] + k);
          for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++) t[r][c] = _mm512_fmadd_ps(av[r], bv[c], t[r][c]);
        }
        for (int r = 0; r < rows; r++)
          for (int c = 0; c < cols; c++) acc[(i0 + r) * N + j0 + c] += hsum512(t[r][c]);
      }
    }
  }
}

#endif

}  // namespace

bool gemmLongK(idx_t M, idx_t N, idx_t K, float alpha, const float* A, idx_t sAi, idx_t sAk, const float* B,
               idx_t sBk, idx_t sBj, float beta, float* C, idx_t ldc) {
#if SF_X86
  if (activeIsa() != Isa::avx512 || sAk != 1 || sBk != 1 || M * N > kLongKMaxOutputs || K < kLongKMinDepth) return false;
  float* acc = longKAcc.get(M * N);
  std::memset(acc, 0, M * N * sizeof(float));
  longKAvx512(M, N, K, A, sAi, B, sBj, acc);
  for (idx_t i = 0; i < M; i++)
    for (idx_t j = 0; j < N; j++) storeScaled(C + i * ldc + j, acc[i * N + j], alpha, beta);
  return true;
#else
  (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)sAi, (void)sAk, (void)B, (void)sBk, (void)sBj, (void)beta,
      (void)C, (void)ldc;
  return false;
#endif
}

bool gemmSmallM(idx_t M, idx_t N, idx_t K, float alpha, const float* A, idx_t sAi, idx_t sAk, const float* B,
                idx_t sBk, idx_t sBj, float beta, float* C, idx_t ldc) {
#if SF_X86
  const Isa isa = activeIsa();
  if (M > kSmallRows || isa == Isa::scalar) return false;
  if (sBk == 1) {
    // Dot products want A's rows contiguous along k too; copy the few rows if they are not.
    const float* a = A;
    if (sAk != 1 || sAi != K) {
      float* t = rowsA.get(M * K);
      for (idx_t i = 0; i < M; i++)
        for (idx_t k = 0; k < K; k++) t[i * K + k] = A[i * sAi + k * sAk];
      a = t;
    }
    if (isa == Isa::avx512) smallNtAvx512(M, N, K, alpha, a, B, sBj, beta, C, ldc);
    else smallNtAvx2(M, N, K, alpha, a, B, sBj, beta, C, ldc);
    return true;
  }
  if (sBj == 1) {
    if (isa == Isa::avx512) smallNnAvx512(M, N, K, alpha, A, sAi, sAk, B, sBk, beta, C, ldc);
    else smallNnAvx2(M, N, K, alpha, A, sAi, sAk, B, sBk, beta, C, ldc);
    return true;
  }
#else
  (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)sAi, (void)sAk, (void)B, (void)sBk, (void)sBj, (void)beta,
      (void)C, (void)ldc;
#endif
  return false;
}

}  // namespace sf
