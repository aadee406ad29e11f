// The RWKV-4 WKV recurrence of SpikeGPT's time mixing (RwkvKernels in
// src/backend/kernels/rwkv.ts), forward and backward, over time-major
// [T, B, C] float32 arrays. The arithmetic is the TypeScript reference's
// (src/backend/ts/rwkv.ts) operation by operation in double, with sgExp for
// every exponential, rounding once to float: bit-identical to it.
#pragma once

#include "gemm.h"

namespace sf {

void wkvForward(idx_t T, idx_t B, idx_t C, const float* k, const float* v, const float* w, const float* u, const float* s0, float* y, float* s1);
void wkvBackward(idx_t T, idx_t B, idx_t C, const float* k, const float* v, const float* w, const float* u, const float* s0, const float* gy, float* gk,
                 float* gv, float* gw, float* gu);

}  // namespace sf
