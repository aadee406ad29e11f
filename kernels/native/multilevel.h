// The multi-level integer-spike neuron's scan (I-LIF; MultiLevelConfig in
// src/backend/kernels/neuron.ts), forward and BPTT backward, for Heaviside
// counts (the test-only smooth forward runs in TypeScript). The arithmetic is
// the TypeScript reference's (src/neurons/multilevel/kernel.ts) operation by
// operation in double precision, rounding to float where the reference does,
// so spikes, membranes and gradients are bit-identical to it.
#pragma once

#include "gemm.h"
#include "structs.generated.h"

namespace sf {

// MultiLevelCfg is declared in kernels/manifest.mjs: structs.generated.h.

struct MultiLevelIO {
  const float *x, *v0, *beta, *threshold;
  float* spikes;  // forward only
  float* v;       // written by the forward, read by the backward
  // Backward only (any may be null).
  const float *gSpikes, *gMem, *gState;
  float *dx, *dv0, *dBeta, *dThreshold;
};

void multiLevelForward(const MultiLevelCfg& c, const MultiLevelIO& io);
void multiLevelBackward(const MultiLevelCfg& c, const MultiLevelIO& io);

}  // namespace sf
