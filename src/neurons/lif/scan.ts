import { record } from '../../autograd/tape.js';
import type { Backend } from '../../backend/backend.js';
import { ShapeError } from '../../errors.js';
import { fmtShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { empty, emptyOverwritten } from '../../ops/util.js';
import { checkParam, dims, foldLast, gradOverwritten, lastRow, sameStepTrace, type ScanResult } from '../../ops/neuron.js';
import { fusedKernel, LIF_SCAN, type LifBackwardIO, type LifConfig, type LifForwardIO } from '../../backend/kernels/neuron.js';
import { lifBackward, lifForward } from './kernel.js';

/** The backend's fused LIF kernel when it handles this configuration, else the reference in ./kernel.ts. */
export function runLifForward(be: Backend, cfg: LifConfig, io: LifForwardIO): void {
  if (!fusedKernel(be.neuronKernels, LIF_SCAN)?.forward(cfg, io)) lifForward(cfg, io);
}

export function runLifBackward(be: Backend, cfg: LifConfig, io: LifBackwardIO): void {
  if (!fusedKernel(be.neuronKernels, LIF_SCAN)?.backward(cfg, io)) lifBackward(cfg, io);
}

export type LifSettings = Omit<LifConfig, 'T' | 'B' | 'F' | 'betaPerNeuron' | 'thresholdPerNeuron' | 'recPerNeuron'>;

export interface LifState {
  v: Tensor;
  /** Previous spikes; present for recurrent models. */
  s: Tensor | null;
}

export interface LifParams {
  beta: Tensor;
  threshold: Tensor;
  /** One-to-one recurrent weights V (per layer or per neuron). */
  recV?: Tensor | null;
  /** Full recurrent weights W_rec [F, F]. */
  recW?: Tensor | null;
}

/** LIF-family scan (IF, Leaky, charge-fire-reset LIF, PLIF, RLeaky); equations in backend/kernels/neuron.ts. */
export function lifScan(x: Tensor, state: LifState, p: LifParams, settings: LifSettings): ScanResult<LifState> {
  const op = 'lifScan';
  const recV = p.recV ?? null, recW = p.recW ?? null;
  const recurrent = recV !== null || recW !== null;
  if (recurrent && !state.s) throw new ShapeError(`${op}: a recurrent scan needs the previous-spike state`);
  const { T, B, F, N } = dims(op, x, [state.v, recurrent ? state.s : null]);
  const cfg: LifConfig = {
    ...settings,
    T,
    B,
    F,
    betaPerNeuron: p.beta.size !== 1,
    thresholdPerNeuron: p.threshold.size !== 1,
    recPerNeuron: recV !== null && recV.size !== 1,
  };
  checkParam(op, 'beta', p.beta, F, cfg.betaPerNeuron);
  checkParam(op, 'threshold', p.threshold, F, cfg.thresholdPerNeuron);
  if (recV) checkParam(op, 'V', recV, F, cfg.recPerNeuron);
  if (recW && (recW.ndim !== 2 || recW.shape[0] !== F || recW.shape[1] !== F)) throw new ShapeError(`${op}: W_rec has shape ${fmtShape(recW.shape)}, expected [${F}, ${F}]`);
  const be = x.backend;
  const s0 = recurrent ? state.s : null;
  // The scan writes every element of its traces.
  const spikes = emptyOverwritten(be, x.shape, !settings.surrogate.smooth);
  const h = emptyOverwritten(be, x.shape);
  const v = sameStepTrace(settings) ? emptyOverwritten(be, x.shape) : null;
  const rec = recW ? be.alloc(T * N) : null;
  const mask = new Uint8Array(T * N);
  const io = {
    x: x.storage,
    v0: state.v.storage,
    s0: s0 ? s0.storage : null,
    beta: p.beta.storage,
    threshold: p.threshold.storage,
    recV: recV ? recV.storage : null,
    recW: recW ? recW.storage : null,
    spikes: spikes.storage,
    mask,
    h: h.storage,
    v: v ? v.storage : null,
    rec,
  };
  runLifForward(be, cfg, io);
  const membrane = v ?? h;
  const stepShape = x.shape.slice(1);
  const vT = lastRow(be, membrane.storage, T, N, stepShape);
  const sT = recurrent ? lastRow(be, spikes.storage, T, N, stepShape, spikes.binary) : null;
  const outputs = sT ? [spikes, membrane, vT, sT] : [spikes, membrane, vT];
  record(op, [x, state.v, s0, p.beta, p.threshold, recV, recW], outputs, ([gS, gM, gvT, gsT]) => {
    // Every kernel (reference, native, wasm, webgpu) writes each gradient it is given in full
    // (dx row by row, the rest from its per-neuron sums), so none needs zeroing first.
    const dx = gradOverwritten(be, x), dv0 = gradOverwritten(be, state.v), ds0 = gradOverwritten(be, s0);
    const dBeta = gradOverwritten(be, p.beta), dThr = gradOverwritten(be, p.threshold), dV = gradOverwritten(be, recV), dW = gradOverwritten(be, recW);
    runLifBackward(be, cfg, {
      ...io,
      gSpikes: foldLast(be, gS ?? null, gsT ?? null, T, N),
      gMem: foldLast(be, gM ?? null, gvT ?? null, T, N),
      dx: dx ? dx.storage : null,
      dv0: dv0 ? dv0.storage : null,
      ds0: ds0 ? ds0.storage : null,
      dBeta: dBeta ? dBeta.storage : null,
      dThreshold: dThr ? dThr.storage : null,
      dRecV: dV ? dV.storage : null,
      dRecW: dW ? dW.storage : null,
    });
    return [dx, dv0, ds0, dBeta, dThr, dV, dW];
  }, [mask, h.storage, ...(rec ? [rec] : [])]);
  return { spikes, membrane, state: { v: vT, s: sT } };
}

