// GEMM micro-kernels. Each keeps an MR×NR block of C in registers while it
// walks the packed panels along k: per k, NR/W vector loads of B and MR
// broadcasts of A feed MR·NR/W fused multiply-adds.
#include <cmath>
#include <cstring>

#include "gemm.h"
#include "simd.h"

namespace sf {

// Writes a finished accumulator tile (row-major, stride nrFull) into C.
static inline void storeTile(const float* acc, int nrFull, float* C, idx_t ldc, int rows, int cols, bool first,
                             float beta) {
  for (int r = 0; r < rows; r++) {
    float* c = C + r * ldc;
    const float* a = acc + r * nrFull;
    if (!first) {
      for (int j = 0; j < cols; j++) c[j] += a[j];
    } else if (beta == 0.0f) {
      for (int j = 0; j < cols; j++) c[j] = a[j];
    } else {
      // Fused like the vector kernels' store, so a tile's position never changes its numbers.
      for (int j = 0; j < cols; j++) c[j] = std::fma(beta, c[j], a[j]);
    }
  }
}

// Portable 4×4 kernel: plain C the compiler keeps in registers (SSE2 at most).
static void kernelScalar(idx_t kc, const float* A, const float* B, idx_t ldb, float* C, idx_t ldc, int rows, int cols,
                         bool first, float beta) {
  float acc[16] = {0};
  for (idx_t k = 0; k < kc; k++, A += 4, B += ldb) {
    for (int r = 0; r < 4; r++) {
      const float a = A[r];
      for (int j = 0; j < 4; j++) acc[r * 4 + j] += a * B[j];
    }
  }
  storeTile(acc, 4, C, ldc, rows, cols, first, beta);
}

#if SF_X86

// AVX2 + FMA: 6 rows × 16 columns = 12 ymm accumulators (of 16 registers).
SF_TARGET_AVX2 static void kernelAvx2(idx_t kc, const float* A, const float* B, idx_t ldb, float* C, idx_t ldc,
                                      int rows, int cols, bool first, float beta) {
  constexpr int MR = 6;
  // As in kernelAvx512: the C tile's lines (64 bytes per row) asked for before the k loop.
  for (int r = 0; r < rows; r++) _mm_prefetch(reinterpret_cast<const char*>(C + r * ldc), _MM_HINT_T0);
  __m256 c[MR][2];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) c[r][0] = c[r][1] = _mm256_setzero_ps();
  for (idx_t k = 0; k < kc; k++, A += MR, B += ldb) {
    const __m256 b0 = _mm256_loadu_ps(B), b1 = _mm256_loadu_ps(B + 8);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const __m256 a = _mm256_broadcast_ss(A + r);
      c[r][0] = _mm256_fmadd_ps(a, b0, c[r][0]);
      c[r][1] = _mm256_fmadd_ps(a, b1, c[r][1]);
    }
  }
  // Partial tiles store through lane masks: copying the accumulators into an
  // array instead made GCC keep all twelve in memory inside the k loop (3×
  // slower). Masked-off lanes are neither read nor written.
  const bool full = rows == MR && cols == 16;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = full ? _mm256_set1_epi32(-1) : _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lane);
  const __m256i m1 = full ? _mm256_set1_epi32(-1) : _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - 8), lane);
  const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) {
    if (r >= rows) break;
    float* p = C + r * ldc;
    if (!first) {
      _mm256_maskstore_ps(p, m0, _mm256_add_ps(_mm256_maskload_ps(p, m0), c[r][0]));
      _mm256_maskstore_ps(p + 8, m1, _mm256_add_ps(_mm256_maskload_ps(p + 8, m1), c[r][1]));
    } else if (beta == 0.0f) {
      _mm256_maskstore_ps(p, m0, c[r][0]);
      _mm256_maskstore_ps(p + 8, m1, c[r][1]);
    } else {
      _mm256_maskstore_ps(p, m0, _mm256_fmadd_ps(vb, _mm256_maskload_ps(p, m0), c[r][0]));
      _mm256_maskstore_ps(p + 8, m1, _mm256_fmadd_ps(vb, _mm256_maskload_ps(p + 8, m1), c[r][1]));
    }
  }
}

// AVX-512: MR rows × 16·NV columns held in MR·NV = 24 zmm accumulators (of 32
// registers); the A broadcasts come straight from memory as FMA operands. Two
// tiles: 12×32, and 8×48 for products whose M is a multiple of 8 but not of 12
// (the 64 channels of a transformer's projections: 12-row tiles compute 72 rows
// for 64, 12.5% wasted), which also loads less per multiply-add (3 B vectors and
// 8 broadcasts for 24 FMAs). Each C element sums its k terms in order with one
// FMA each whatever the tile, so both give the same bits.
template <int MR, int NV>
SF_TARGET_AVX512 static void kernelAvx512(idx_t kc, const float* A, const float* B, idx_t ldb, float* C, idx_t ldc,
                                          int rows, int cols, bool first, float beta) {
  constexpr int NR = 16 * NV;
  // The C tile is first touched at the store, after the k loop: asking for its
  // lines now lets them arrive during it. With a small K (64: the products of
  // 1×1 convolutions and attention projections) the loop is too short to hide
  // a miss on a C that is not in cache, and the stores stalled on it.
  for (int r = 0; r < rows; r++)
    for (int v = 0; v < NV; v++) _mm_prefetch(reinterpret_cast<const char*>(C + r * ldc + 16 * v), _MM_HINT_T0);
  __m512 c[MR][NV];
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++) c[r][v] = _mm512_setzero_ps();
  for (idx_t k = 0; k < kc; k++, A += MR, B += ldb) {
    __m512 b[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++) b[v] = _mm512_loadu_ps(B + 16 * v);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      const __m512 a = _mm512_set1_ps(A[r]);
#pragma GCC unroll 3
      for (int v = 0; v < NV; v++) c[r][v] = _mm512_fmadd_ps(a, b[v], c[r][v]);
    }
  }
  if (rows == MR && cols == NR) {
    const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      float* p = C + r * ldc;
#pragma GCC unroll 3
      for (int v = 0; v < NV; v++) {
        if (!first) _mm512_storeu_ps(p + 16 * v, _mm512_add_ps(_mm512_loadu_ps(p + 16 * v), c[r][v]));
        else if (beta == 0.0f) _mm512_storeu_ps(p + 16 * v, c[r][v]);
        else _mm512_storeu_ps(p + 16 * v, _mm512_fmadd_ps(vb, _mm512_loadu_ps(p + 16 * v), c[r][v]));
      }
    }
    return;
  }
  alignas(64) float acc[MR * NR];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) _mm512_store_ps(acc + r * NR + 16 * v, c[r][v]);
  storeTile(acc, NR, C, ldc, rows, cols, first, beta);
}

#endif

// Block sizes: kc·nr floats of B (the micro-panel reused across a row of
// tiles) stay in L1, mc·kc of A in L2, kc·nc of B in L3.
static const KernelInfo kScalar = {4, 4, 256, 64, 2048, kernelScalar};
#if SF_X86
static const KernelInfo kAvx2 = {6, 16, 256, 96, 4096, kernelAvx2};
static const KernelInfo kAvx512 = {12, 32, 256, 144, 4096, kernelAvx512<12, 2>};
static const KernelInfo kAvx512x48 = {8, 48, 256, 144, 4080, kernelAvx512<8, 3>};
#endif

// The register tile that computes the fewest padded elements of C for an M×N
// product (ties: the 12×32 kernel).
const KernelInfo& gemmKernelFor(idx_t M, idx_t N) {
  const KernelInfo& base = gemmKernel();
#if SF_X86
  if (&base == &kAvx512) {
    const auto padded = [&](const KernelInfo& k) {
      return double((M + k.mr - 1) / k.mr * k.mr) * double((N + k.nr - 1) / k.nr * k.nr);
    };
    if (padded(kAvx512x48) < padded(kAvx512)) return kAvx512x48;
  }
#endif
  (void)M, (void)N;
  return base;
}

const KernelInfo& gemmKernel() {
#if SF_X86
  switch (activeIsa()) {
    case Isa::avx512: return kAvx512;
    case Isa::avx2: return kAvx2;
    default: break;
  }
#endif
  return kScalar;
}

}  // namespace sf
