// Elementwise ops and reductions. Float-by-float operations (add, sub, mul,
// row sums) round exactly as the reference's double-then-store; the ones with
// JS-number coefficients (affine, axpy, scaling) compute in double like it.
#pragma once
#include <cstdint>

#include "gemm.h"

namespace sf {

void add(idx_t n, const float* a, const float* b, float* out);
void sub(idx_t n, const float* a, const float* b, float* out);
void mul(idx_t n, const float* a, const float* b, float* out);
void affine(idx_t n, const float* x, double alpha, double beta, float* out);
void axpy(idx_t n, double alpha, const float* x, float* y);
void addRowVector(idx_t M, idx_t N, float* Y, const float* b);
void sumRows(idx_t M, idx_t N, const float* X, double beta, float* out);
idx_t countNonzero(idx_t n, const float* x);
void transpose(idx_t M, idx_t N, const float* A, float* out);

}  // namespace sf
