// Window arithmetic shared by the conv-family kernels (conv.cc, conv_event.cc).
#pragma once
#include <algorithm>

#include "gemm.h"

namespace sf {

// Integer ceil / floor of a / b for b > 0: the reference's Math.ceil(a / b) and
// Math.floor(a / b), exact here for every size the bindings accept.
inline idx_t ceilDiv(idx_t a, idx_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
inline idx_t floorDiv(idx_t a, idx_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

struct Span {
  idx_t lo, hi;
};

// Kernel taps t in [0, k) whose cell start + t·d lies in [0, size): the
// reference's i0/i1 (pool backward) and, visited in order, the cells its
// forward loops keep after their bounds checks. Empty when hi <= lo.
inline Span validTaps(idx_t start, idx_t k, idx_t d, idx_t size) {
  return {std::max<idx_t>(0, ceilDiv(-start, d)), std::min(k, floorDiv(size - 1 - start, d) + 1)};
}

}  // namespace sf
