// The elementwise passes of an RWKV block (RwkvKernels in
// src/backend/kernels/rwkv.ts): token shift with mixing, the sigmoid
// receptance gate and ReLU², forward and backward, over float32 arrays. The
// arithmetic is the TypeScript reference's (src/backend/ts/rwkv.ts) in double
// with sgExp, one rounding per stored value: bit-identical to it.
#pragma once

#include "gemm.h"

namespace sf {

void tokenShiftForward(idx_t T, idx_t B, idx_t C, const float* x, const float* prev, const float* mu, float* out);
void tokenShiftBackward(idx_t T, idx_t B, idx_t C, const float* x, const float* prev, const float* mu, const float* g, float* dx, float* dMu);
void sigmoidGateForward(idx_t n, const float* r, const float* y, float* out, float* sig);
void sigmoidGateBackward(idx_t n, const float* g, const float* y, const float* sig, float* dr, float* dy);
void reluSquareForward(idx_t n, const float* x, float* out);
void reluSquareBackward(idx_t n, const float* x, const float* g, float* dx);

}  // namespace sf
