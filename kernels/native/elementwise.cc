#include "elementwise.h"

#include <algorithm>
#include <cstring>

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

SF_CLONES void addRowVector(idx_t M, idx_t N, float* Y, const float* b) {
  for (idx_t m = 0; m < M; m++) {
    float* y = Y + m * N;
    for (idx_t j = 0; j < N; j++) y[j] += b[j];
  }
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

SF_CLONES idx_t countNonzero(idx_t n, const float* x) {
  idx_t c = 0;
  for (idx_t i = 0; i < n; i++) c += x[i] != 0.0f;
  return c;
}

void transpose(idx_t M, idx_t N, const float* A, float* out) {
  constexpr idx_t TB = 32;
  for (idx_t i0 = 0; i0 < M; i0 += TB) {
    const idx_t i1 = std::min(M, i0 + TB);
    for (idx_t j0 = 0; j0 < N; j0 += TB) {
      const idx_t j1 = std::min(N, j0 + TB);
      for (idx_t i = i0; i < i1; i++) {
        const float* a = A + i * N;
        for (idx_t j = j0; j < j1; j++) out[j * M + i] = a[j];
      }
    }
  }
}

}  // namespace sf
