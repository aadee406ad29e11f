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

// Row lists (CSR pattern) of the nonzeros of X[M, K] (x != 0, so NaN counts and
// -0 does not): row m's column indices, ascending, are idx[start[m] ..
// start[m + 1]); binary[m] says whether the row holds only 0s and 1s. idx needs
// room for M·K + 16 entries (the SIMD versions store whole vectors). Returns
// the number of nonzeros. Shared with the attention kernels.
idx_t nonzeroRowLists(idx_t M, idx_t K, const float* X, std::int32_t* start, std::int32_t* idx, std::uint8_t* binary);

}  // namespace sf
