// LIF-family scan, forward and BPTT backward, for the configurations training
// uses (no recurrence, Heaviside spikes). The arithmetic mirrors the
// TypeScript reference operation by operation in double precision, rounding
// to float exactly where the reference stores into a Float32Array, so spikes
// and membranes are bit-identical to it (see src/backend/ts/neurons/lif.ts).
#pragma once
#include <cstdint>

#include "gemm.h"

namespace sf {

struct LifCfg {
  idx_t T, B, F;
  int resetMode;  // 0 none, 1 subtract, 2 zero, 3 zeroAfter
  bool delayedReset, detachReset, inputLeak;
  double vReset;
  bool betaPerNeuron, thresholdPerNeuron;
  int surrogate;  // SurrogateId (0..10)
  double p0, p1;
  // Batch rows [bBegin, bEnd) this call computes (the entry points set them:
  // all rows, or one half per thread when the scan is split).
  idx_t bBegin = 0, bEnd = 0;
};

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

// True when the surrogate id is one the native scan implements.
bool lifSurrogateSupported(int id);

void lifForward(const LifCfg& c, const LifIO& io);
void lifBackward(const LifCfg& c, const LifIO& io);

}  // namespace sf
