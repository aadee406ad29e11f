// Convolution-family kernels (im2col/col2im, layout swaps, per-channel maps and
// reductions, pooling), mirroring src/backend/ts/conv/*.ts operation by
// operation: where the reference computes in JS numbers (double) and stores to
// float, these compute in double and round at the same points, and every
// order-sensitive sum runs in the reference's order, so results are
// bit-identical. Callers (addon.cc) have checked that every index fits.
#pragma once
#include "gemm.h"
#include "structs.generated.h"

namespace sf {

// Window (WindowGeometry of src/backend/kernels/conv.ts) is declared in
// kernels/manifest.mjs: structs.generated.h.

// PoolMode is declared in kernels/manifest.mjs too (enums).

// x and dx point at the first image (the caller applies xOff / dxOff).
void im2col(const Window& g, idx_t C, idx_t c0, idx_t cg, idx_t n, const float* x, float* cols);
void col2im(const Window& g, idx_t C, idx_t c0, idx_t cg, idx_t n, const float* cols, float* dx);
void swapAxes01(idx_t A, idx_t B, idx_t inner, const float* src, float* dst);

void addChannelBias(idx_t N, idx_t C, idx_t P, float* y, const float* bias);
void channelSums(idx_t N, idx_t C, idx_t P, const float* x, float* out);
void channelMoments(idx_t N, idx_t C, idx_t P, const float* x, float* mean, float* variance);
void channelCenteredDot(idx_t N, idx_t C, idx_t P, const float* dy, const float* x, const float* mean, float* sumDy,
                        float* sumDyXc);
void channelAffine(idx_t N, idx_t C, idx_t P, const float* x, const float* a, const float* b, float* y);
void channelAffine2(idx_t N, idx_t C, idx_t P, const float* u, const float* v, const float* a, const float* b,
                    const float* k, float* y);
void mulBroadcast(idx_t R, idx_t N, const float* x, const float* v, float* y);

// argmax is required in max mode (ignored otherwise).
void pool2d(PoolMode mode, const Window& g, idx_t planes, bool countIncludePad, const float* x, float* y, float* argmax);
// True when every argmax entry either skips (negative or NaN, as in the
// reference) or is a whole in-plane index; checked before pool2dBackward in
// max mode, since a bad entry would otherwise address outside its plane.
bool poolArgmaxValid(const Window& g, idx_t planes, const float* argmax);
void pool2dBackward(PoolMode mode, const Window& g, idx_t planes, bool countIncludePad, const float* dy,
                    const float* argmax, float* dx);

}  // namespace sf
