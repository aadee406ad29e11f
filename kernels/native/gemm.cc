// GEMM driver: the classic five-loop blocking around a register micro-kernel.
// Both operands are copied into contiguous panels first; the packing reads
// through strides, so the NN, NT, TN and TT layouts share one kernel, and alpha
// is folded into the packed A.
#include "gemm.h"

#include <algorithm>
#include <cstring>

#include "scratch.h"
#include "simd.h"
#include "parallel.h"

namespace sf {

namespace {

// Packing buffers, one pair per thread (the pool worker has its own).
thread_local Scratch<float> packA, packB;

// d[k·ldd + r] = alpha·s[r·ld + k] for r < n, k < kc: n source rows, each
// contiguous along k, become the columns of a packed panel (the transposing
// case of both packings: A stored [M, K], B stored [N, K]).
void gatherScalar(const float* s, idx_t ld, int n, idx_t kc, float alpha, float* d, int ldd) {
  for (int r = 0; r < n; r++) {
    const float* src = s + r * ld;
    float* dst = d + r;
    for (idx_t k = 0; k < kc; k++) dst[k * ldd] = alpha * src[k];
  }
}

#if SF_X86
// The same with 8×8 tiles transposed in registers (unpack, shuffle, 128-bit
// permute): the scalar form writes one float per ldd stride, which made the
// packing of a transposed operand cost as much as a small product itself.
SF_TARGET_AVX2 void gatherAvx2(const float* s, idx_t ld, int n, idx_t kc, float alpha, float* d, int ldd) {
  const int n8 = n / 8 * 8;
  const idx_t k8 = kc / 8 * 8;
  const __m256 va = _mm256_set1_ps(alpha);
  for (int r = 0; r < n8; r += 8) {
    const float* a = s + r * ld;
    for (idx_t k = 0; k < k8; k += 8) {
      __m256 r0 = _mm256_loadu_ps(a + k), r1 = _mm256_loadu_ps(a + ld + k), r2 = _mm256_loadu_ps(a + 2 * ld + k),
             r3 = _mm256_loadu_ps(a + 3 * ld + k), r4 = _mm256_loadu_ps(a + 4 * ld + k),
             r5 = _mm256_loadu_ps(a + 5 * ld + k), r6 = _mm256_loadu_ps(a + 6 * ld + k),
             r7 = _mm256_loadu_ps(a + 7 * ld + k);
      if (alpha != 1.0f) {
        r0 = _mm256_mul_ps(va, r0), r1 = _mm256_mul_ps(va, r1), r2 = _mm256_mul_ps(va, r2), r3 = _mm256_mul_ps(va, r3);
        r4 = _mm256_mul_ps(va, r4), r5 = _mm256_mul_ps(va, r5), r6 = _mm256_mul_ps(va, r6), r7 = _mm256_mul_ps(va, r7);
      }
      const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
                   t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
                   t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
                   u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
                   u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
                   u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      float* o = d + k * ldd + r;
      _mm256_storeu_ps(o, _mm256_permute2f128_ps(u0, u4, 0x20));
      _mm256_storeu_ps(o + ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
      _mm256_storeu_ps(o + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
      _mm256_storeu_ps(o + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
      _mm256_storeu_ps(o + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
      _mm256_storeu_ps(o + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
      _mm256_storeu_ps(o + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
      _mm256_storeu_ps(o + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
    if (k8 < kc) gatherScalar(a + k8, ld, 8, kc - k8, alpha, d + k8 * ldd + r, ldd);
  }
  if (n8 < n) gatherScalar(s + n8 * ld, ld, n - n8, kc, alpha, d + n8, ldd);
}
#endif

}  // namespace

void gather(const float* s, idx_t ld, int n, idx_t kc, float alpha, float* d, int ldd) {
#if SF_X86
  if (activeIsa() != Isa::scalar) return gatherAvx2(s, ld, n, kc, alpha, d, ldd);
#endif
  gatherScalar(s, ld, n, kc, alpha, d, ldd);
}

namespace {

// A block [mc × kc] → panels of mr rows, each [kc][mr], alpha applied, rows past mc zeroed.
void packPanelsA(idx_t mc, idx_t kc, const float* A, idx_t sAi, idx_t sAk, float alpha, int mr, float* dst) {
  for (idx_t i0 = 0; i0 < mc; i0 += mr, dst += kc * mr) {
    const int rows = static_cast<int>(std::min<idx_t>(mr, mc - i0));
    const float* a = A + i0 * sAi;
    if (sAi == 1) {
      // A stored transposed: a panel's rows are contiguous at each k.
      for (idx_t k = 0; k < kc; k++) {
        const float* s = a + k * sAk;
        float* d = dst + k * mr;
        for (int r = 0; r < rows; r++) d[r] = alpha * s[r];
        for (int r = rows; r < mr; r++) d[r] = 0.0f;
      }
    } else {
      if (sAk == 1) {
        gather(a, sAi, rows, kc, alpha, dst, mr);
      } else {
        for (int r = 0; r < rows; r++) {
          const float* s = a + r * sAi;
          float* d = dst + r;
          for (idx_t k = 0; k < kc; k++) d[k * mr] = alpha * s[k * sAk];
        }
      }
      for (int r = rows; r < mr; r++)
        for (idx_t k = 0; k < kc; k++) dst[k * mr + r] = 0.0f;
    }
  }
}

// B block [kc × nc] → panels of nr columns, each [kc][nr], columns past nc zeroed.
void packPanelsB(idx_t kc, idx_t nc, const float* B, idx_t sBk, idx_t sBj, int nr, float* dst) {
  if (sBj == 1) {
    // Rows contiguous along j: each row of the block is read once, front to
    // back, and dealt out to the panels. Panel by panel, the reads would walk
    // kc rows at once (64 streams of 128 bytes for a K = 64 product), more
    // than the hardware prefetcher follows, and the cold reads of B stalled.
    const idx_t full = nc / nr * nr, panel = kc * nr;
    for (idx_t k = 0; k < kc; k++) {
      const float* src = B + k * sBk;
      float* d = dst + k * nr;
      for (idx_t j0 = 0; j0 < full; j0 += nr, d += panel) std::memcpy(d, src + j0, nr * sizeof(float));
      if (full < nc) {
        const int cols = static_cast<int>(nc - full);
        std::memcpy(d, src + full, cols * sizeof(float));
        for (int j = cols; j < nr; j++) d[j] = 0.0f;
      }
    }
    return;
  }
  for (idx_t j0 = 0; j0 < nc; j0 += nr, dst += kc * nr) {
    const int cols = static_cast<int>(std::min<idx_t>(nr, nc - j0));
    const float* b = B + j0 * sBj;
    if (sBj == 1) {
      for (idx_t k = 0; k < kc; k++) {
        float* d = dst + k * nr;
        std::memcpy(d, b + k * sBk, cols * sizeof(float));
        for (int j = cols; j < nr; j++) d[j] = 0.0f;
      }
    } else {
      // B stored transposed ([N, K]): each column is contiguous along k.
      if (sBk == 1) {
        gather(b, sBj, cols, kc, 1.0f, dst, nr);
      } else {
        for (int j = 0; j < cols; j++) {
          const float* s = b + j * sBj;
          float* d = dst + j;
          for (idx_t k = 0; k < kc; k++) d[k * nr] = s[k * sBk];
        }
      }
      for (int j = cols; j < nr; j++)
        for (idx_t k = 0; k < kc; k++) dst[k * nr + j] = 0.0f;
    }
  }
}

idx_t roundUp(idx_t x, idx_t m) { return (x + m - 1) / m * m; }

// Below this many rows of C each element of B is used too few times to repay
// copying it into panels: when B's rows are contiguous along j (sBj = 1, the
// NN form of a convolution's im2col product) full-width panels are read in
// place. Only while B's rows are close: a panel touches kc rows, and with rows
// ≥ 80 KB apart the in-place reads measured slower than packing (page walks).
// (Measured, M×N×K: 32×5184×400 3.9 → 3.0 ms, 24×5184×100 0.59 → 0.26 ms,
// but 16×83520×25 2.3 → 5.6 ms.)
constexpr idx_t kDirectBMaxRows = 48;
constexpr idx_t kDirectBMaxStride = 8192;

void gemmSerial(const KernelInfo& ki, idx_t M, idx_t N, idx_t K, float alpha, const float* A, idx_t sAi, idx_t sAk,
                const float* B, idx_t sBk, idx_t sBj, float beta, float* C, idx_t ldc) {
  const int mr = ki.mr, nr = ki.nr;
  const idx_t MC = ki.mc, NC = ki.nc;
  // Equal k blocks (784 = 4×196, not 3×256 + 16): a thin last block would pay
  // a full pass of C loads and stores for a few multiply-adds.
  const idx_t kBlocks = (K + ki.kc - 1) / ki.kc;
  const idx_t KC = roundUp((K + kBlocks - 1) / kBlocks, 4);
  const bool directB = sBj == 1 && M <= kDirectBMaxRows && sBk <= kDirectBMaxStride;
  float* bp = packB.get(KC * roundUp(std::min(NC, N), nr));
  float* ap = packA.get(roundUp(std::min(MC, M), mr) * KC);
  for (idx_t jc = 0; jc < N; jc += NC) {
    const idx_t nc = std::min(NC, N - jc);
    // In place, only the last, partial panel is packed (zero-padded to nr columns).
    const idx_t packFrom = directB ? nc / nr * nr : 0;
    for (idx_t pc = 0; pc < K; pc += KC) {
      const idx_t kc = std::min(KC, K - pc);
      const bool first = pc == 0;
      const float* bBlock = B + pc * sBk + jc * sBj;
      if (packFrom < nc) packPanelsB(kc, nc - packFrom, bBlock + packFrom * sBj, sBk, sBj, nr, bp);
      for (idx_t ic = 0; ic < M; ic += MC) {
        const idx_t mc = std::min(MC, M - ic);
        packPanelsA(mc, kc, A + ic * sAi + pc * sAk, sAi, sAk, alpha, mr, ap);
        for (idx_t jr = 0; jr < nc; jr += nr) {
          const int cols = static_cast<int>(std::min<idx_t>(nr, nc - jr));
          const bool inPlace = jr < packFrom;
          const float* bpanel = inPlace ? bBlock + jr : bp + (jr - packFrom) * kc;
          const idx_t ldb = inPlace ? sBk : nr;
          for (idx_t ir = 0; ir < mc; ir += mr) {
            const int rows = static_cast<int>(std::min<idx_t>(mr, mc - ir));
            ki.fn(kc, ap + ir * kc, bpanel, ldb, C + (ic + ir) * ldc + jc + jr, ldc, rows, cols, first, beta);
          }
        }
      }
    }
  }
}

// One until the loader sets it (load-node.ts: SPIKEFLOW_THREADS, else 2 on a multi-core machine).
int threadCount = 1;

// Below this many multiply-adds the hand-off to the worker costs more than it saves.
constexpr double kParallelMinMacs = 4.0e6;

}  // namespace

void setGemmThreads(int n) { threadCount = n >= 2 ? 2 : 1; }
int gemmThreads() { return threadCount; }

void gemm(idx_t M, idx_t N, idx_t K, float alpha, const float* A, idx_t sAi, idx_t sAk, const float* B, idx_t sBk,
          idx_t sBj, float beta, float* C, idx_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (alpha == 0.0f || K <= 0) {
    for (idx_t i = 0; i < M; i++) {
      float* c = C + i * ldc;
      if (beta == 0.0f) std::memset(c, 0, N * sizeof(float));
      else if (beta != 1.0f)
        for (idx_t j = 0; j < N; j++) c[j] *= beta;
    }
    return;
  }
  if (M <= kSmallRows && gemmSmallM(M, N, K, alpha, A, sAi, sAk, B, sBk, sBj, beta, C, ldc)) return;
  if (gemmLongK(M, N, K, alpha, A, sAi, sAk, B, sBk, sBj, beta, C, ldc)) return;
  const KernelInfo& ki = gemmKernelFor(M, N);
  // Large products split the larger side at a tile boundary; each half packs what it needs.
  const bool byRows = M > N;
  runHalves(double(M) * double(N) * double(K) >= kParallelMinMacs, byRows ? M : N, byRows ? ki.mr : ki.nr,
            [&](idx_t a, idx_t b) {
              if (byRows)
                gemmSerial(ki, b - a, N, K, alpha, A + a * sAi, sAi, sAk, B, sBk, sBj, beta, C + a * ldc, ldc);
              else
                gemmSerial(ki, M, b - a, K, alpha, A, sAi, sAk, B + a * sBj, sBk, sBj, beta, C + a, ldc);
            });
}

}  // namespace sf
