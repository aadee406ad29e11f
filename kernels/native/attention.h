// Spiking-transformer kernels: linear (softmax-free) self-attention, the
// token dot product and channel mask of SDSA, and layer normalisation over
// the channels of each token (src/backend/kernels/attention.ts; reference
// src/backend/ts/attention.ts). Token maps are [R, C, N] with C = heads·dh.
//
// Every output is bit-identical to the reference on every instruction set and
// thread count: the sums run in double, each output element receives its terms
// in the reference's order, and the vectors run across the other index (the
// head's dh channels, or the tokens), never across a sum.
#pragma once

#include "gemm.h"

namespace sf {

// G[r, h] = Kₕ Vₕᵀ (dh × dh, stored as float) from K's nonzeros, and
// out = scale·Gᵀ Q from Q's nonzeros, per row r and head h.
void linearAttentionForward(idx_t R, idx_t heads, idx_t dh, idx_t N, double scale, const float* q, const float* k,
                            const float* v, float* G, float* out);
// With D = scale·dOut: dQ = G·D (dense), dG = Q·Dᵀ (Q's nonzeros), dK = dG·V
// (V's nonzeros), dV = dGᵀ·K (K's nonzeros). Null outputs are skipped.
void linearAttentionBackward(idx_t R, idx_t heads, idx_t dh, idx_t N, double scale, const float* q, const float* k,
                             const float* v, const float* G, const float* dOut, float* dQ, float* dK, float* dV);
// out[r] = Σₙ a[r, n]·b[r, n] (zeros of a skipped), n ascending, in double.
void rowDot(idx_t M, idx_t N, const float* a, const float* b, float* out);
// out[r, n] = x[r, n]·s[r].
void rowScale(idx_t M, idx_t N, const float* x, const float* s, float* out);
// Layer norm over C per (r, n); gamma/beta may be null; stats gets (μ, 1/√(σ² + ε)) per (r, n).
void layerNormForward(idx_t R, idx_t C, idx_t N, double eps, const float* x, const float* gamma, const float* beta,
                      float* stats, float* out);
// Its backward: dX overwritten; dGamma/dBeta (may be null) accumulated into.
void layerNormBackward(idx_t R, idx_t C, idx_t N, const float* x, const float* gamma, const float* stats,
                       const float* dY, float* dX, float* dGamma, float* dBeta);

}  // namespace sf
