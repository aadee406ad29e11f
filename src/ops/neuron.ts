import { record } from '../autograd/tape.js';
import type { Backend } from '../backend/backend.js';
import { ResetMode, type AlifConfig, type AlphaConfig, type IzhikevichConfig, type LifConfig } from '../backend/kernels/neuron.js';
import type { Storage } from '../backend/storage.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, emptyOverwritten } from './util.js';

/*
 * Differentiable neuron scans: one tape node per call covering all T steps,
 * whose inputs are the input sequence, the initial state tensors and the
 * parameters, and whose outputs are the spike trace, the membrane trace and
 * the final state. Because the state goes in and out as tensors, T calls with
 * T = 1 chain into the same gradients as one call over T steps.
 */

/** [T, B, ...features] → sizes; state tensors must be [B, ...features]. */
function dims(op: string, x: Tensor, states: (Tensor | null)[]): { T: number; B: number; F: number; N: number } {
  if (x.ndim < 2) throw new ShapeError(`${op}: input must be [T, B, ...features], got ${fmtShape(x.shape)}`);
  const T = x.shape[0]!, B = x.shape[1]!;
  const inner = x.shape.slice(1);
  const N = inner.reduce((a, b) => a * b, 1);
  const F = B === 0 ? 0 : N / B;
  for (const s of states) {
    if (s && (s.ndim !== inner.length || s.shape.some((d, i) => d !== inner[i])))
      throw new ShapeError(`${op}: state ${fmtShape(s.shape)} does not match input step shape ${fmtShape(inner)} (input ${fmtShape(x.shape)})`);
  }
  return { T, B, F, N };
}

function checkParam(op: string, name: string, p: Tensor, F: number, perNeuron: boolean): void {
  const want = perNeuron ? F : 1;
  if (p.size !== want) throw new ShapeError(`${op}: ${name} has shape ${fmtShape(p.shape)} (${p.size} values), expected ${perNeuron ? `${F} (one per neuron)` : '1 (per layer)'}`);
}

/** Copy row T−1 of a [T, N] trace into a fresh [B, ...] tensor. */
function lastRow(be: Backend, trace: Storage, T: number, N: number, shape: readonly number[], binary = false): Tensor {
  const out = empty(be, shape, binary);
  if (T > 0) be.copy(trace, (T - 1) * N, out.storage, 0, N);
  return out;
}

/**
 * Gradient of a trace with the gradient of its final state added to the last
 * row (the final state is that row). Returns null when both are absent; never
 * writes into the given gradients.
 */
function foldLast(be: Backend, g: Tensor | null, gLast: Tensor | null, T: number, N: number): Storage | null {
  if (!gLast) return g ? g.storage : null;
  const out = be.alloc(T * N);
  if (g) be.copy(g.storage, 0, out, 0, T * N);
  if (T > 0) {
    const o = out.data, d = gLast.storage.data, off = (T - 1) * N;
    for (let n = 0; n < N; n++) o[off + n] += d[n]!;
  }
  return out;
}

const grad = (be: Backend, t: Tensor | null): Tensor | null => (t && t.requiresGrad ? empty(be, t.shape) : null);

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

export interface ScanResult<S> {
  spikes: Tensor;
  /** Membrane trace [T, B, ...] (pre-reset under delayed reset, post-reset otherwise). */
  membrane: Tensor;
  state: S;
}

/**
 * Whether the scan needs a separate post-reset membrane trace `v`: only a
 * same-step reset that changes the membrane makes it differ from the
 * pre-reset trace `h`. (Under reset 'none' nothing would ever write `v`, so
 * the kernels must read the previous membrane from `h`.)
 */
function sameStepTrace(settings: { delayedReset: boolean; resetMode: number }): boolean {
  return !settings.delayedReset && settings.resetMode !== ResetMode.none;
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
  be.lifForward(cfg, io);
  const membrane = v ?? h;
  const stepShape = x.shape.slice(1);
  const vT = lastRow(be, membrane.storage, T, N, stepShape);
  const sT = recurrent ? lastRow(be, spikes.storage, T, N, stepShape, spikes.binary) : null;
  const outputs = sT ? [spikes, membrane, vT, sT] : [spikes, membrane, vT];
  record(op, [x, state.v, s0, p.beta, p.threshold, recV, recW], outputs, ([gS, gM, gvT, gsT]) => {
    const dx = grad(be, x), dv0 = grad(be, state.v), ds0 = grad(be, s0);
    const dBeta = grad(be, p.beta), dThr = grad(be, p.threshold), dV = grad(be, recV), dW = grad(be, recW);
    be.lifBackward(cfg, {
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
  });
  return { spikes, membrane, state: { v: vT, s: sT } };
}

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
  be.filterForward(fio);
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
  be.lifForward(cfg, io);
  const membrane = v ?? h;
  const stepShape = x.shape.slice(1);
  const synT = lastRow(be, y, T, N, stepShape);
  const vT = lastRow(be, membrane.storage, T, N, stepShape);
  record(op, [x, state.syn, state.v, alpha, p.beta, p.threshold], [spikes, membrane, synT, vT], ([gS, gM, gSyn, gvT]) => {
    const needFilter = x.requiresGrad || state.syn.requiresGrad || alpha.requiresGrad;
    const dy = needFilter ? be.alloc(T * N) : null;
    const dv0 = grad(be, state.v), dBeta = grad(be, p.beta), dThr = grad(be, p.threshold);
    be.lifBackward(cfg, {
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
      be.filterBackward({ ...fio, gy: dy, dx: dx ? dx.storage : null, dy0: dsyn0 ? dsyn0.storage : null, dAlpha: dAlpha ? dAlpha.storage : null });
    }
    return [dx, dsyn0, dv0, dAlpha, dBeta, dThr];
  });
  return { spikes, membrane, state: { syn: synT, v: vT } };
}

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
  be.alphaForward(cfg, io);
  const stepShape = x.shape.slice(1);
  const eT = lastRow(be, e, T, N, stepShape), iT = lastRow(be, i, T, N, stepShape);
  record(op, [x, state.e, state.i, threshold], [spikes, m, eT, iT], ([gS, gM, geT, giT]) => {
    const dx = grad(be, x), de0 = grad(be, state.e), di0 = grad(be, state.i), dThr = grad(be, threshold);
    be.alphaBackward(cfg, {
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
  });
  return { spikes, membrane: m, state: { e: eT, i: iT } };
}

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
  be.alifForward(cfg, io);
  const stepShape = x.shape.slice(1);
  const vT = lastRow(be, v.storage, T, N, stepShape), aT = lastRow(be, a, T, N, stepShape), sT = lastRow(be, spikes.storage, T, N, stepShape, spikes.binary);
  record(op, [x, state.v, state.a, state.s, beta, threshold], [spikes, v, vT, aT, sT], ([gS, gM, gvT, gaT, gsT]) => {
    const dx = grad(be, x), dv0 = grad(be, state.v), da0 = grad(be, state.a), ds0 = grad(be, state.s);
    const dBeta = grad(be, beta), dThr = grad(be, threshold);
    be.alifBackward(cfg, {
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
  });
  return { spikes, membrane: v, state: { v: vT, a: aT, s: sT } };
}

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
  be.izhikevichForward(cfg, io);
  const stepShape = x.shape.slice(1);
  const vT = lastRow(be, v.storage, T, N, stepShape), uT = lastRow(be, u, T, N, stepShape);
  record(op, [x, state.v, state.u], [spikes, v, vT, uT], ([gS, gM, gvT, guT]) => {
    const dx = grad(be, x), dv0 = grad(be, state.v), du0 = grad(be, state.u);
    be.izhikevichBackward(cfg, {
      ...io,
      gSpikes: gS ? gS.storage : null,
      gMem: foldLast(be, gM ?? null, gvT ?? null, T, N),
      gu: foldLast(be, null, guT ?? null, T, N),
      dx: dx ? dx.storage : null,
      dv0: dv0 ? dv0.storage : null,
      du0: du0 ? du0.storage : null,
    });
    return [dx, dv0, du0];
  });
  return { spikes, membrane: v, state: { v: vT, u: uT } };
}

/** PLIF decay β = 1 − sigmoid(w) (so 1/τ = sigmoid(w)), differentiable in w. */
export function plifDecay(w: Tensor): Tensor {
  const be = w.backend;
  const out = empty(be, w.shape);
  const wd = w.data, o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = 1 - 1 / (1 + Math.exp(-wd[i]!));
  record('plifDecay', [w], [out], ([g]) => {
    const gw = empty(be, w.shape);
    const gd = g!.data, od = out.data, r = gw.data;
    // dβ/dw = −σ(w)(1 − σ(w)) = −(1 − β)·β
    for (let i = 0; i < r.length; i++) r[i] = -gd[i]! * (1 - od[i]!) * od[i]!;
    return [gw];
  });
  return out;
}

/** clamp(x, 0, 1) with the gradient passed where 0 < x < 1 (snnTorch clamps learnable decays this way). */
export function clampUnit(x: Tensor): Tensor {
  const be = x.backend;
  const out = empty(be, x.shape);
  const xd = x.data, o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = Math.min(1, Math.max(0, xd[i]!));
  record('clampUnit', [x], [out], ([g]) => {
    const gx = empty(be, x.shape);
    const gd = g!.data, r = gx.data, xs = x.data;
    for (let i = 0; i < r.length; i++) r[i] = xs[i]! >= 0 && xs[i]! <= 1 ? gd[i]! : 0;
    return [gx];
  });
  return out;
}
