// Event-driven (spike-input) linear kernels. Both visit only the nonzero input
// entries and add in the same order as the TypeScript reference (ascending k
// for a row of Y, ascending m for a row of the weight gradient), so results
// are bit-identical to it.
#pragma once
#include "gemm.h"

namespace sf {

// Y[M,N] = X[M,K]·Wt[K,N] + beta·Y.
void eventGemm(idx_t M, idx_t N, idx_t K, const float* X, const float* Wt, double beta, float* Y);

// dW[N,K] += Σ_m dY[m,n]·X[m,k].
void eventGemmGradW(idx_t M, idx_t N, idx_t K, const float* dY, const float* X, float* dW);

}  // namespace sf
