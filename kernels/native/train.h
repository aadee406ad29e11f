// Optimizer updates, mirroring src/backend/ts/train.ts operation by operation
// in double precision with float stores, so parameters and optimizer state
// are bit-identical to the TypeScript reference.
#pragma once
#include "gemm.h"
#include "structs.generated.h"

namespace sf {

// SgdArgs and AdamArgs are declared in kernels/manifest.mjs (structs.generated.h).

void sgdStep(idx_t n, float* p, const float* g, float* buf, const SgdArgs& a);

// Scalars derived from the step count are computed by the caller (in JS, with
// the same Math.pow the reference uses): stepSize = lr / (1 − β1^t),
// bc2Sqrt = √(1 − β2^t), decay = 1 − lr·wd (decoupled) or 1.

void adamStep(idx_t n, float* p, const float* g, float* m, float* v, float* vMax, const AdamArgs& a);

}  // namespace sf
