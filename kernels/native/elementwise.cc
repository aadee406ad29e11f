#include "elementwise.h"

#include <algorithm>
#include <cstring>

#include "parallel.h"
#include "simd.h"

namespace sf {

SF_CLONES void add(idx_t n, const float* a, const float* b, float* out) {
  for (idx_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

SF_CLONES void sub(idx_t n, const float* a, const float* b, float* out) {
  for (idx_t i = 0; i < n; i++) out[i] = a[i] - b[i];
}

SF_CLONES void mul(idx_t n, const float* a, const float* b, float* out) {
  for (idx_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

SF_CLONES void affine(idx_t n, const float* x, double alpha, double beta, float* out) {
  for (idx_t i = 0; i < n; i++) out[i] = static_cast<float>(alpha * static_cast<double>(x[i]) + beta);
}

SF_CLONES void axpy(idx_t n, double alpha, const float* x, float* y) {
  for (idx_t i = 0; i < n; i++) y[i] = static_cast<float>(static_cast<double>(y[i]) + alpha * static_cast<double>(x[i]));
}

namespace {

SF_CLONES void addRowVectorRows(idx_t m0, idx_t m1, idx_t N, float* Y, const float* b) {
  for (idx_t m = m0; m < m1; m++) {
    float* y = Y + m * N;
    for (idx_t j = 0; j < N; j++) y[j] += b[j];
  }
}

SF_CLONES idx_t countNonzeroSerial(idx_t n, const float* x) {
  idx_t c = 0;
  for (idx_t i = 0; i < n; i++) c += x[i] != 0.0f;
  return c;
}

// Memory-bound passes: split across the pool only from ~1 M elements (a few MB).
constexpr idx_t kParallelElements = idx_t(1) << 20;

}  // namespace

void addRowVector(idx_t M, idx_t N, float* Y, const float* b) {
  splitRange(M, N > 0 ? kParallelElements / N : M + 1, 1, [&](idx_t m0, idx_t m1) { addRowVectorRows(m0, m1, N, Y, b); });
}

SF_CLONES void sumRows(idx_t M, idx_t N, const float* X, double beta, float* out) {
  if (beta == 0) std::memset(out, 0, N * sizeof(float));
  else if (beta != 1)
    for (idx_t j = 0; j < N; j++) out[j] = static_cast<float>(static_cast<double>(out[j]) * beta);
  // Row by row (the reference's order), so each column's running sum rounds identically.
  for (idx_t m = 0; m < M; m++) {
    const float* x = X + m * N;
    for (idx_t j = 0; j < N; j++) out[j] += x[j];
  }
}

idx_t countNonzero(idx_t n, const float* x) {
  idx_t counts[2] = {0, 0};
  splitRange(n, kParallelElements, 16, [&](idx_t i0, idx_t i1) { counts[i0 == 0 ? 0 : 1] = countNonzeroSerial(i1 - i0, x + i0); });
  return counts[0] + counts[1];
}

namespace {

// Scalar transpose of the block rows [i0, i1) × columns [j0, j1).
void transposeBlock(idx_t M, idx_t N, const float* A, float* out, idx_t i0, idx_t i1, idx_t j0, idx_t j1) {
  for (idx_t i = i0; i < i1; i++) {
    const float* a = A + i * N;
    for (idx_t j = j0; j < j1; j++) out[j * M + i] = a[j];
  }
}

#if SF_X86
// 8×8 tiles in eight ymm registers: unpack pairs, then 4-lane shuffles, then
// 128-bit halves — three rounds of the classic butterfly. Tails go scalar.
SF_TARGET_AVX2 void transposeAvx2(idx_t M, idx_t N, const float* A, float* out) {
  const idx_t M8 = M / 8 * 8, N8 = N / 8 * 8;
  constexpr idx_t TB = 64;  // 64×64 blocks keep the source rows and destination columns in L1
  for (idx_t i0 = 0; i0 < M8; i0 += TB) {
    const idx_t i1 = std::min(M8, i0 + TB);
    for (idx_t j0 = 0; j0 < N8; j0 += TB) {
      const idx_t j1 = std::min(N8, j0 + TB);
      for (idx_t i = i0; i < i1; i += 8)
        for (idx_t j = j0; j < j1; j += 8) {
          const float* a = A + i * N + j;
          __m256 r0 = _mm256_loadu_ps(a), r1 = _mm256_loadu_ps(a + N), r2 = _mm256_loadu_ps(a + 2 * N),
                 r3 = _mm256_loadu_ps(a + 3 * N), r4 = _mm256_loadu_ps(a + 4 * N), r5 = _mm256_loadu_ps(a + 5 * N),
                 r6 = _mm256_loadu_ps(a + 6 * N), r7 = _mm256_loadu_ps(a + 7 * N);
          const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
                       t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
                       t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
          const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
                       u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
                       u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
                       u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
          r0 = _mm256_permute2f128_ps(u0, u4, 0x20);
          r1 = _mm256_permute2f128_ps(u1, u5, 0x20);
          r2 = _mm256_permute2f128_ps(u2, u6, 0x20);
          r3 = _mm256_permute2f128_ps(u3, u7, 0x20);
          r4 = _mm256_permute2f128_ps(u0, u4, 0x31);
          r5 = _mm256_permute2f128_ps(u1, u5, 0x31);
          r6 = _mm256_permute2f128_ps(u2, u6, 0x31);
          r7 = _mm256_permute2f128_ps(u3, u7, 0x31);
          float* o = out + j * M + i;
          _mm256_storeu_ps(o, r0);
          _mm256_storeu_ps(o + M, r1);
          _mm256_storeu_ps(o + 2 * M, r2);
          _mm256_storeu_ps(o + 3 * M, r3);
          _mm256_storeu_ps(o + 4 * M, r4);
          _mm256_storeu_ps(o + 5 * M, r5);
          _mm256_storeu_ps(o + 6 * M, r6);
          _mm256_storeu_ps(o + 7 * M, r7);
        }
    }
  }
  transposeBlock(M, N, A, out, 0, M8, N8, N);
  transposeBlock(M, N, A, out, M8, M, 0, N);
}
#endif

}  // namespace

void transpose(idx_t M, idx_t N, const float* A, float* out) {
#if SF_X86
  if (activeIsa() != Isa::scalar) return transposeAvx2(M, N, A, out);
#endif
  constexpr idx_t TB = 32;
  for (idx_t i0 = 0; i0 < M; i0 += TB) {
    const idx_t i1 = std::min(M, i0 + TB);
    for (idx_t j0 = 0; j0 < N; j0 += TB) transposeBlock(M, N, A, out, i0, i1, j0, std::min(N, j0 + TB));
  }
}

}  // namespace sf
