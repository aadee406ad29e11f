// LIF-family scan, forward and BPTT backward, for the configurations training
// uses (no recurrence, Heaviside spikes). The arithmetic mirrors the
// TypeScript reference operation by operation in double precision, rounding
// to float exactly where the reference stores into a Float32Array, so spikes
// and membranes are bit-identical to it (see src/backend/ts/neurons/lif.ts).
#pragma once
#include <cstdint>

#include "gemm.h"
#include "structs.generated.h"

namespace sf {

// LifCfg (the scan configuration) is declared in kernels/manifest.mjs: structs.generated.h.

struct LifIO {
  const float *x, *v0, *beta, *threshold;
  float* spikes;
  std::uint8_t* mask;
  float* h;
  float* v;  // null under delayed reset
  // Backward only (any may be null).
  const float *gSpikes, *gMem;
  float *dx, *dv0, *dBeta, *dThreshold;
};

void lifForward(const LifCfg& c, const LifIO& io);
void lifBackward(const LifCfg& c, const LifIO& io);

}  // namespace sf
