// Event-driven (spike-input) linear kernels. Both visit only the nonzero input
// entries and add in the same order as the TypeScript reference (ascending k
// for a row of Y, ascending m for a row of the weight gradient), so results
// are bit-identical to it.
#pragma once
#include <cstdint>

#include "gemm.h"

namespace sf {

// Y[M,N] = X[M,K]·Wt[K,N] + beta·Y.
void eventGemm(idx_t M, idx_t N, idx_t K, const float* X, const float* Wt, double beta, float* Y);

// dW[N,K] += Σ_m dY[m,n]·X[m,k].
void eventGemmGradW(idx_t M, idx_t N, idx_t K, const float* dY, const float* X, float* dW);

// y[0..N) += Σ_q W[ks[q]·ldw + 0..N) for q ascending (rows of W added in list order,
// float32, accumulators held in registers across the whole list): the row sum
// the event kernels use, shared with the delay kernels.
void addRows(float* y, const float* W, idx_t ldw, const std::int32_t* ks, idx_t n, idx_t N);

}  // namespace sf
