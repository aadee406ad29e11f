import { record } from '../../autograd/tape.js';
import type { Backend } from '../../backend/backend.js';
import { ShapeError } from '../../errors.js';
import { fmtShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { empty, emptyOverwritten } from '../../ops/util.js';
import { checkParam, dims, foldLast, grad, lastRow, sameStepTrace, type ScanResult } from '../../ops/neuron.js';
import { alphaBackward, alphaForward, type AlphaConfig } from './kernel.js';

export interface AlphaState {
  e: Tensor;
  i: Tensor;
}

export type AlphaSettings = Omit<AlphaConfig, 'T' | 'B' | 'F' | 'thresholdPerNeuron'>;

/** snnTorch Alpha neuron scan (α, β fixed settings; θ a tensor). */
export function alphaScan(x: Tensor, state: AlphaState, threshold: Tensor, settings: AlphaSettings): ScanResult<AlphaState> {
  const op = 'alphaScan';
  const { T, B, F, N } = dims(op, x, [state.e, state.i]);
  const cfg: AlphaConfig = { ...settings, T, B, F, thresholdPerNeuron: threshold.size !== 1 };
  checkParam(op, 'threshold', threshold, F, cfg.thresholdPerNeuron);
  const be = x.backend;
  const spikes = empty(be, x.shape, !settings.surrogate.smooth);
  const e = be.alloc(T * N), i = be.alloc(T * N);
  const m = empty(be, x.shape);
  const io = { x: x.storage, e0: state.e.storage, i0: state.i.storage, threshold: threshold.storage, spikes: spikes.storage, mask: new Uint8Array(T * N), e, i, m: m.storage };
  alphaForward(cfg, io);
  const stepShape = x.shape.slice(1);
  const eT = lastRow(be, e, T, N, stepShape), iT = lastRow(be, i, T, N, stepShape);
  record(op, [x, state.e, state.i, threshold], [spikes, m, eT, iT], ([gS, gM, geT, giT]) => {
    const dx = grad(be, x), de0 = grad(be, state.e), di0 = grad(be, state.i), dThr = grad(be, threshold);
    alphaBackward(cfg, {
      ...io,
      gSpikes: gS ? gS.storage : null,
      gMem: gM ? gM.storage : null,
      ge: foldLast(be, null, geT ?? null, T, N),
      gi: foldLast(be, null, giT ?? null, T, N),
      dx: dx ? dx.storage : null,
      de0: de0 ? de0.storage : null,
      di0: di0 ? di0.storage : null,
      dThreshold: dThr ? dThr.storage : null,
    });
    return [dx, de0, di0, dThr];
  }, [io.mask, e, i]);
  return { spikes, membrane: m, state: { e: eT, i: iT } };
}

