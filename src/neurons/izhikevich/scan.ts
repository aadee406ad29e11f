import { record } from '../../autograd/tape.js';
import type { Backend } from '../../backend/backend.js';
import { ShapeError } from '../../errors.js';
import { fmtShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { empty, emptyOverwritten } from '../../ops/util.js';
import { checkParam, dims, foldLast, grad, lastRow, sameStepTrace, type ScanResult } from '../../ops/neuron.js';
import { izhikevichBackward, izhikevichForward, type IzhikevichConfig } from './kernel.js';

export interface IzhikevichState {
  v: Tensor;
  u: Tensor;
}

export type IzhikevichSettings = Omit<IzhikevichConfig, 'T' | 'N'>;

/** Izhikevich scan (a, b, c, d settings; 1 ms per step). */
export function izhikevichScan(x: Tensor, state: IzhikevichState, settings: IzhikevichSettings): ScanResult<IzhikevichState> {
  const op = 'izhikevichScan';
  const { T, N } = dims(op, x, [state.v, state.u]);
  const cfg: IzhikevichConfig = { ...settings, T, N };
  const be = x.backend;
  const spikes = empty(be, x.shape, !settings.surrogate.smooth);
  const vPre = be.alloc(T * N), u = be.alloc(T * N);
  const v = empty(be, x.shape);
  const io = { x: x.storage, v0: state.v.storage, u0: state.u.storage, spikes: spikes.storage, mask: new Uint8Array(T * N), vPre, v: v.storage, u };
  izhikevichForward(cfg, io);
  const stepShape = x.shape.slice(1);
  const vT = lastRow(be, v.storage, T, N, stepShape), uT = lastRow(be, u, T, N, stepShape);
  record(op, [x, state.v, state.u], [spikes, v, vT, uT], ([gS, gM, gvT, guT]) => {
    const dx = grad(be, x), dv0 = grad(be, state.v), du0 = grad(be, state.u);
    izhikevichBackward(cfg, {
      ...io,
      gSpikes: gS ? gS.storage : null,
      gMem: foldLast(be, gM ?? null, gvT ?? null, T, N),
      gu: foldLast(be, null, guT ?? null, T, N),
      dx: dx ? dx.storage : null,
      dv0: dv0 ? dv0.storage : null,
      du0: du0 ? du0.storage : null,
    });
    return [dx, dv0, du0];
  }, [io.mask, vPre, u]);
  return { spikes, membrane: v, state: { v: vT, u: uT } };
}

