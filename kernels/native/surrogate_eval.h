// Test hook for the generated surrogate code (kernels/native/surrogates.generated.h):
// evaluates sgExp or a surrogate gradient over an array with the lane forms
// the LIF backward uses, so tests can compare them to the TypeScript reference
// bit for bit, per instruction set.
#pragma once

#include "gemm.h"

namespace sf {

// out[i] = g_sid(x[i]) with parameters p0, p1, or e^{x[i]} (sgExp) for sid = -1;
// sid is validated by the caller. Whole vectors of the active instruction set
// (setIsa lowers it), then the tail with the scalar code.
void surrogateEval(int sid, double p0, double p1, idx_t n, const double* x, double* out);

}  // namespace sf
