import { record } from '../../autograd/tape.js';
import type { Backend } from '../../backend/backend.js';
import { fusedKernel, MULTILEVEL_SCAN, type MultiLevelBackwardIO, type MultiLevelConfig, type MultiLevelForwardIO } from '../../backend/kernels/neuron.js';
import { checkParam, dims, grad, lastRow, type ScanResult } from '../../ops/neuron.js';
import { emptyOverwritten } from '../../ops/util.js';
import type { Tensor } from '../../tensor/tensor.js';
import { multiLevelBackward, multiLevelForward } from './kernel.js';

/** The backend's fused multi-level kernel when it handles this configuration, else the reference in ./kernel.ts. */
export function runMultiLevelForward(be: Backend, cfg: MultiLevelConfig, io: MultiLevelForwardIO): void {
  if (!fusedKernel(be.neuronKernels, MULTILEVEL_SCAN)?.forward(cfg, io)) multiLevelForward(cfg, io);
}

export function runMultiLevelBackward(be: Backend, cfg: MultiLevelConfig, io: MultiLevelBackwardIO): void {
  if (!fusedKernel(be.neuronKernels, MULTILEVEL_SCAN)?.backward(cfg, io)) multiLevelBackward(cfg, io);
}

export type MultiLevelSettings = Omit<MultiLevelConfig, 'T' | 'B' | 'F' | 'betaPerNeuron' | 'thresholdPerNeuron'>;

/**
 * The multi-level neuron over a [T, B, ...features] sequence as one tape node
 * (inputs: x, the initial membrane, β, θ; outputs: the spikes, the membrane
 * trace and the final membrane). β and θ hold 1 value (per layer) or F.
 */
export function multiLevelScan(x: Tensor, v0: Tensor, beta: Tensor, threshold: Tensor, settings: MultiLevelSettings): ScanResult<{ v: Tensor }> {
  const op = 'multiLevelScan';
  const { T, B, F, N } = dims(op, x, [v0]);
  const cfg: MultiLevelConfig = { ...settings, T, B, F, betaPerNeuron: beta.size !== 1, thresholdPerNeuron: threshold.size !== 1 };
  checkParam(op, 'beta', beta, F, cfg.betaPerNeuron);
  checkParam(op, 'threshold', threshold, F, cfg.thresholdPerNeuron);
  const be = x.backend;
  // The kernels write every element of both traces.
  const spikes = emptyOverwritten(be, x.shape, settings.levels === 1 && !settings.surrogate.smooth);
  const v = emptyOverwritten(be, x.shape);
  const io: MultiLevelForwardIO = { x: x.storage, v0: v0.storage, beta: beta.storage, threshold: threshold.storage, spikes: spikes.storage, v: v.storage };
  runMultiLevelForward(be, cfg, io);
  const vT = lastRow(be, v.storage, T, N, x.shape.slice(1));
  record(op, [x, v0, beta, threshold], [spikes, v, vT], ([gS, gM, gvT]) => {
    const dx = grad(be, x), dv0 = grad(be, v0), dBeta = grad(be, beta), dThr = grad(be, threshold);
    runMultiLevelBackward(be, cfg, {
      ...io,
      gSpikes: gS ? gS.storage : null,
      gMem: gM ? gM.storage : null,
      gState: gvT ? gvT.storage : null,
      dx: dx ? dx.storage : null,
      dv0: dv0 ? dv0.storage : null,
      dBeta: dBeta ? dBeta.storage : null,
      dThreshold: dThr ? dThr.storage : null,
    });
    return [dx, dv0, dBeta, dThr];
  });
  return { spikes, membrane: v, state: { v: vT } };
}
