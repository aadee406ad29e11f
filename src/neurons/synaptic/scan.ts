import { record } from '../../autograd/tape.js';
import type { Backend } from '../../backend/backend.js';
import { ShapeError } from '../../errors.js';
import { fmtShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { empty, emptyOverwritten } from '../../ops/util.js';
import { checkParam, dims, foldLast, grad, lastRow, sameStepTrace, type ScanResult } from '../../ops/neuron.js';
import type { LifConfig } from '../../backend/kernels/neuron.js';
import { runLifBackward, runLifForward, type LifParams, type LifSettings } from '../lif/scan.js';
import { filterBackward, filterForward } from './filter-kernel.js';

export interface SynapticState {
  syn: Tensor;
  v: Tensor;
}

/**
 * Current-based LIF (snnTorch Synaptic): syn = α·syn + x feeds a LIF scan. The
 * synaptic filter never resets, so it runs as its own kernel, but forward and
 * backward stay one tape node.
 */
export function synapticScan(x: Tensor, state: SynapticState, alpha: Tensor, p: LifParams, settings: LifSettings): ScanResult<SynapticState> {
  const op = 'synapticScan';
  const { T, B, F, N } = dims(op, x, [state.syn, state.v]);
  const alphaPerNeuron = alpha.size !== 1;
  checkParam(op, 'alpha', alpha, F, alphaPerNeuron);
  const be = x.backend;
  const y = be.alloc(T * N);
  const fio = { T, B, F, alphaPerNeuron, alpha: alpha.storage, x: x.storage, y0: state.syn.storage, y };
  filterForward(fio);
  // The LIF kernel reads the synaptic trace as its input; the backward chains the two kernels by hand.
  const cfg: LifConfig = { ...settings, T, B, F, betaPerNeuron: p.beta.size !== 1, thresholdPerNeuron: p.threshold.size !== 1, recPerNeuron: false };
  checkParam(op, 'beta', p.beta, F, cfg.betaPerNeuron);
  checkParam(op, 'threshold', p.threshold, F, cfg.thresholdPerNeuron);
  // The scan writes every element of its traces.
  const spikes = emptyOverwritten(be, x.shape, !settings.surrogate.smooth);
  const h = emptyOverwritten(be, x.shape);
  const v = sameStepTrace(settings) ? emptyOverwritten(be, x.shape) : null;
  const mask = new Uint8Array(T * N);
  const io = { x: y, v0: state.v.storage, s0: null, beta: p.beta.storage, threshold: p.threshold.storage, recV: null, recW: null, spikes: spikes.storage, mask, h: h.storage, v: v ? v.storage : null, rec: null };
  runLifForward(be, cfg, io);
  const membrane = v ?? h;
  const stepShape = x.shape.slice(1);
  const synT = lastRow(be, y, T, N, stepShape);
  const vT = lastRow(be, membrane.storage, T, N, stepShape);
  record(op, [x, state.syn, state.v, alpha, p.beta, p.threshold], [spikes, membrane, synT, vT], ([gS, gM, gSyn, gvT]) => {
    const needFilter = x.requiresGrad || state.syn.requiresGrad || alpha.requiresGrad;
    const dy = needFilter ? be.alloc(T * N) : null;
    const dv0 = grad(be, state.v), dBeta = grad(be, p.beta), dThr = grad(be, p.threshold);
    runLifBackward(be, cfg, {
      ...io,
      gSpikes: gS ? gS.storage : null,
      gMem: foldLast(be, gM ?? null, gvT ?? null, T, N),
      dx: dy,
      dv0: dv0 ? dv0.storage : null,
      ds0: null,
      dBeta: dBeta ? dBeta.storage : null,
      dThreshold: dThr ? dThr.storage : null,
      dRecV: null,
      dRecW: null,
    });
    let dx: Tensor | null = null, dsyn0: Tensor | null = null, dAlpha: Tensor | null = null;
    if (dy) {
      if (gSyn && T > 0) {
        const o = dy.data, d = gSyn.storage.data, off = (T - 1) * N;
        for (let n = 0; n < N; n++) o[off + n] += d[n]!;
      }
      dx = grad(be, x);
      dsyn0 = grad(be, state.syn);
      dAlpha = grad(be, alpha);
      filterBackward({ ...fio, gy: dy, dx: dx ? dx.storage : null, dy0: dsyn0 ? dsyn0.storage : null, dAlpha: dAlpha ? dAlpha.storage : null });
    }
    return [dx, dsyn0, dv0, dAlpha, dBeta, dThr];
  }, [y, mask, h.storage]);
  return { spikes, membrane, state: { syn: synT, v: vT } };
}

