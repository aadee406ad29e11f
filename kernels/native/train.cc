#include "train.h"

#include <cmath>

#include "simd.h"

namespace sf {

SF_CLONES void sgdStep(idx_t n, float* p, const float* g, float* buf, const SgdArgs& a) {
  const double lr = a.lr, mom = a.momentum, damp = 1 - a.dampening, wd = a.weightDecay;
  for (idx_t i = 0; i < n; i++) {
    double d = g[i];
    if (wd != 0) d += wd * static_cast<double>(p[i]);
    if (buf) {
      const double m = a.initBuf ? d : mom * static_cast<double>(buf[i]) + damp * d;
      buf[i] = static_cast<float>(m);
      // The stored (float-rounded) buffer, as the reference re-reads it.
      const double b = buf[i];
      d = a.nesterov ? d + mom * b : b;
    }
    p[i] = static_cast<float>(static_cast<double>(p[i]) - lr * d);
  }
}

SF_CLONES void adamStep(idx_t n, float* p, const float* g, float* m, float* v, float* vMax, const AdamArgs& a) {
  const double b1 = a.beta1, b2 = a.beta2, c1 = 1 - a.beta1, c2 = 1 - a.beta2, eps = a.eps, wd = a.weightDecay;
  const double stepSize = a.stepSize, bc2Sqrt = a.bc2Sqrt, decay = a.decay;
  const bool decoupled = a.decoupled;
  for (idx_t i = 0; i < n; i++) {
    double d = g[i];
    double w = p[i];
    if (decoupled) w *= decay;
    else if (wd != 0) d += wd * w;
    m[i] = static_cast<float>(b1 * static_cast<double>(m[i]) + c1 * d);
    v[i] = static_cast<float>(b2 * static_cast<double>(v[i]) + c2 * d * d);
    double second = v[i];
    if (vMax) {
      if (second > vMax[i]) vMax[i] = static_cast<float>(second);
      second = vMax[i];
    }
    const double denom = std::sqrt(second) / bc2Sqrt + eps;
    p[i] = static_cast<float>(w - (stepSize * static_cast<double>(m[i])) / denom);
  }
}

}  // namespace sf
