import { record } from '../../autograd/tape.js';
import type { Backend } from '../../backend/backend.js';
import { ShapeError } from '../../errors.js';
import { fmtShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { empty, emptyOverwritten } from '../../ops/util.js';
import { checkParam, dims, foldLast, grad, lastRow, sameStepTrace, type ScanResult } from '../../ops/neuron.js';
import { alifBackward, alifForward, type AlifConfig } from './kernel.js';

export interface AlifState {
  v: Tensor;
  a: Tensor;
  s: Tensor;
}

export type AlifSettings = Omit<AlifConfig, 'T' | 'B' | 'F' | 'betaPerNeuron' | 'thresholdPerNeuron'>;

/** Adaptive LIF scan (Bellec 2018); β and θ0 are tensors, ρ and βa settings. */
export function alifScan(x: Tensor, state: AlifState, beta: Tensor, threshold: Tensor, settings: AlifSettings): ScanResult<AlifState> {
  const op = 'alifScan';
  const { T, B, F, N } = dims(op, x, [state.v, state.a, state.s]);
  const cfg: AlifConfig = { ...settings, T, B, F, betaPerNeuron: beta.size !== 1, thresholdPerNeuron: threshold.size !== 1 };
  checkParam(op, 'beta', beta, F, cfg.betaPerNeuron);
  checkParam(op, 'threshold', threshold, F, cfg.thresholdPerNeuron);
  const be = x.backend;
  const spikes = empty(be, x.shape, !settings.surrogate.smooth);
  const h = be.alloc(T * N), a = be.alloc(T * N);
  const v = empty(be, x.shape);
  const io = { x: x.storage, v0: state.v.storage, a0: state.a.storage, s0: state.s.storage, beta: beta.storage, threshold: threshold.storage, spikes: spikes.storage, mask: new Uint8Array(T * N), h, v: v.storage, a };
  alifForward(cfg, io);
  const stepShape = x.shape.slice(1);
  const vT = lastRow(be, v.storage, T, N, stepShape), aT = lastRow(be, a, T, N, stepShape), sT = lastRow(be, spikes.storage, T, N, stepShape, spikes.binary);
  record(op, [x, state.v, state.a, state.s, beta, threshold], [spikes, v, vT, aT, sT], ([gS, gM, gvT, gaT, gsT]) => {
    const dx = grad(be, x), dv0 = grad(be, state.v), da0 = grad(be, state.a), ds0 = grad(be, state.s);
    const dBeta = grad(be, beta), dThr = grad(be, threshold);
    alifBackward(cfg, {
      ...io,
      gSpikes: foldLast(be, gS ?? null, gsT ?? null, T, N),
      gMem: foldLast(be, gM ?? null, gvT ?? null, T, N),
      ga: foldLast(be, null, gaT ?? null, T, N),
      dx: dx ? dx.storage : null,
      dv0: dv0 ? dv0.storage : null,
      da0: da0 ? da0.storage : null,
      ds0: ds0 ? ds0.storage : null,
      dBeta: dBeta ? dBeta.storage : null,
      dThreshold: dThr ? dThr.storage : null,
    });
    return [dx, dv0, da0, ds0, dBeta, dThr];
  }, [io.mask, h, a]);
  return { spikes, membrane: v, state: { v: vT, a: aT, s: sT } };
}

