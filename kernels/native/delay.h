// Learnable synaptic delays (DCLS): the kernels of src/backend/kernels/delay.ts
// (construction of the temporal kernel and its adjoint, the exact
// integer-delay sum) and the event-driven delay convolution for sparse
// (spike) inputs. Reference: src/backend/ts/delay.ts.
#pragma once
#include <cstdint>

#include "gemm.h"

namespace sf {

// kernel[k·n + s] from w[s], p[s] (interp 0 Gaussian, 1 linear); computed in
// double like the reference, std::exp in place of Math.exp (≤ 1 ulp apart).
void delayKernelBuild(idx_t n, idx_t K, int interp, double sigma, const float* w, const float* p, float* kernel);
// dW[s], dP[s] (either may be null) from dKernel[k·n + s].
void delayKernelBuildBackward(idx_t n, idx_t K, int interp, double sigma, const float* w, const float* p,
                              const float* dKernel, float* dW, float* dP);

// The exact integer-delay sum over tap-major synapse lists (rowPtr[K·I + 1],
// cols, vals) for output steps [tStart, tEnd): float64 accumulation, tap k
// ascending then input i ascending, one rounding per output; bit-identical
// to the reference however the steps are split between threads.
void delaySparseForward(idx_t Tin, idx_t tStart, idx_t tEnd, idx_t B, idx_t K, idx_t I, idx_t O,
                        const std::int32_t* rowPtr, const std::int32_t* cols, const float* vals, const float* x,
                        float* y);

// Event-driven delay convolution for a sparse input x[T, B, I]:
// y[t + d, b, :] = Σ_k Σ_{i: x≠0} x[t, b, i]·kernel[k, :, i] (d = K − 1 − k,
// t + d < Tout), y [Tout, B, O] overwritten. Each output row is a float32 sum
// over taps ascending, inputs ascending, whatever the thread split.
void delayEventForward(idx_t T, idx_t Tout, idx_t B, idx_t I, idx_t O, idx_t K, const float* x, const float* kernel,
                       float* y);
// Its kernel gradient: dK[k, o, i] = Σ_{t, b: x≠0} x[t, b, i]·dY[t + d, b, o],
// dK [K, O, I] overwritten (steps t ascending, then b, per element).
void delayEventGradKernel(idx_t T, idx_t Tout, idx_t B, idx_t I, idx_t O, idx_t K, const float* x, const float* dY,
                          float* dK);

}  // namespace sf
