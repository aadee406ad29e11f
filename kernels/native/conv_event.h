// Convolutions driven by the nonzero entries of one operand (ConvKernels.
// eventConv / eventConvGradW / convGradXSparse of src/backend/kernels/conv.ts),
// bit-identical to src/backend/ts/conv/event.ts: every output accumulates its
// terms in the reference's order and rounds where it does. Callers (addon.cc)
// have checked the sizes, the group split and every array's length.
#pragma once
#include "gemm.h"
#include "structs.generated.h"

namespace sf {

// y [N, Cout, Ho, Wo] (overwritten) from the nonzero x [N, Cin, H, W] and w [Cout, Cin/groups, kh, kw].
void eventConv(const Window& g, idx_t N, idx_t Cin, idx_t Cout, idx_t groups, const float* x, const float* w,
               float* y);
// dw [Cout, Cin/groups, kh, kw] += Σ dy·x over the nonzero x.
void eventConvGradW(const Window& g, idx_t N, idx_t Cin, idx_t Cout, idx_t groups, const float* x,
                    const float* dy, float* dw);
// dx [N, Cin, H, W] (overwritten) = Σ dy·w over the nonzero dy [N, Cout, Ho, Wo], in double, rounded once.
void convGradXSparse(const Window& g, idx_t N, idx_t Cin, idx_t Cout, idx_t groups, const float* dy,
                     const float* w, float* dx);

}  // namespace sf
