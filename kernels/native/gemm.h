// Packed, cache-blocked single-precision GEMM with run-time selected
// micro-kernels (AVX-512, AVX2+FMA, portable scalar).
#pragma once
#include <cstddef>

namespace sf {

using idx_t = std::ptrdiff_t;

// C[M,N] = alpha·op(A)·op(B) + beta·C, where op(A)(i,k) = A[i·sAi + k·sAk],
// op(B)(k,j) = B[k·sBk + j·sBj] and C has row stride ldc. With beta = 0, C is
// never read (so stale NaNs in it do not leak into the result).
void gemm(idx_t M, idx_t N, idx_t K, float alpha, const float* A, idx_t sAi, idx_t sAk, const float* B, idx_t sBk,
          idx_t sBj, float beta, float* C, idx_t ldc);

// Rows up to which gemm() skips packing and reads B in place (gemm_small.cc).
constexpr int kSmallRows = 4;

// The few-row path: returns false (computing nothing) when the layout or the
// instruction set has no such kernel, and the packed driver takes over.
bool gemmSmallM(idx_t M, idx_t N, idx_t K, float alpha, const float* A, idx_t sAi, idx_t sAk, const float* B,
                idx_t sBk, idx_t sBj, float beta, float* C, idx_t ldc);

// A small C from a long reduction, both operands contiguous along k (NT form):
// 4×4 blocks of dot products without packing (gemm_small.cc); false when the
// shape, layout or instruction set does not fit.
constexpr idx_t kLongKMaxOutputs = 1024;
constexpr idx_t kLongKMinDepth = 4096;
bool gemmLongK(idx_t M, idx_t N, idx_t K, float alpha, const float* A, idx_t sAi, idx_t sAk, const float* B,
               idx_t sBk, idx_t sBj, float beta, float* C, idx_t ldc);

// d[k·ldd + r] = alpha·s[r·ld + k] for r < n, k < kc: n rows of a matrix
// become n columns (the packing's transpose, in 8×8 register tiles when the
// instruction set has them; exact for alpha = 1). Batch norm's statistics use
// it too (conv.cc), to sum 16 rows in vector lanes.
void gather(const float* s, idx_t ld, int n, idx_t kc, float alpha, float* d, int ldd);

// Threads GEMM may use (1 or 2); large products only are split (see gemm.cc).
void setGemmThreads(int n);
int gemmThreads();

// Micro-kernel: a full mr×nr tile of C from a packed A panel ([kc][MR]) and a
// B panel of kc rows of NR floats, ldb apart (NR when packed; B's own row
// stride when read in place); only the top-left rows×cols part is written back.
// first: overwrite C with acc + beta·C (C unread when beta = 0); else C += acc.
using MicroKernel = void (*)(idx_t kc, const float* Ap, const float* Bp, idx_t ldb, float* C, idx_t ldc, int rows,
                             int cols, bool first, float beta);

struct KernelInfo {
  int mr, nr;        // register tile
  idx_t kc, mc, nc;  // cache blocks (mc multiple of mr, nc multiple of nr)
  MicroKernel fn;
};

// The kernel for the active instruction set.
const KernelInfo& gemmKernel();
// The active instruction set's kernel whose tile fits an M×N product best (gemm_kernels.cc).
const KernelInfo& gemmKernelFor(idx_t M, idx_t N);

}  // namespace sf
