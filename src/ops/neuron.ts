import { record } from '../autograd/tape.js';
import type { Backend } from '../backend/backend.js';
import { ResetMode } from '../backend/kernels/neuron.js';
import type { Storage } from '../backend/storage.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, emptyOverwritten } from './util.js';

/*
 * What every model's scan op shares (each op lives in its model's folder
 * under src/neurons/): differentiable neuron scans are one tape node per call covering all T steps,
 * whose inputs are the input sequence, the initial state tensors and the
 * parameters, and whose outputs are the spike trace, the membrane trace and
 * the final state. Because the state goes in and out as tensors, T calls with
 * T = 1 chain into the same gradients as one call over T steps.
 */

/** [T, B, ...features] → sizes; state tensors must be [B, ...features]. */
export function dims(op: string, x: Tensor, states: (Tensor | null)[]): { T: number; B: number; F: number; N: number } {
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

export function checkParam(op: string, name: string, p: Tensor, F: number, perNeuron: boolean): void {
  const want = perNeuron ? F : 1;
  if (p.size !== want) throw new ShapeError(`${op}: ${name} has shape ${fmtShape(p.shape)} (${p.size} values), expected ${perNeuron ? `${F} (one per neuron)` : '1 (per layer)'}`);
}

/** Copy row T−1 of a [T, N] trace into a fresh [B, ...] tensor. */
export function lastRow(be: Backend, trace: Storage, T: number, N: number, shape: readonly number[], binary = false): Tensor {
  if (T === 0) return empty(be, shape, binary);
  const out = emptyOverwritten(be, shape, binary);
  be.copy(trace, (T - 1) * N, out.storage, 0, N);
  return out;
}

/**
 * Gradient of a trace with the gradient of its final state added to the last
 * row (the final state is that row). Returns null when both are absent; never
 * writes into the given gradients.
 */
export function foldLast(be: Backend, g: Tensor | null, gLast: Tensor | null, T: number, N: number): Storage | null {
  if (!gLast) return g ? g.storage : null;
  const out = be.alloc(T * N);
  if (g) be.copy(g.storage, 0, out, 0, T * N);
  if (T > 0) {
    // Last row += gLast through kernels (no host view, so a GPU backend runs it too).
    const last = be.alloc(N);
    be.copy(out, (T - 1) * N, last, 0, N);
    be.add(last, gLast.storage, last);
    be.copy(last, 0, out, (T - 1) * N, N);
  }
  return out;
}

export const grad = (be: Backend, t: Tensor | null): Tensor | null => (t && t.requiresGrad ? empty(be, t.shape) : null);

/** As grad, for a kernel that writes every element of the gradient (no zero fill: emptyOverwritten). */
export const gradOverwritten = (be: Backend, t: Tensor | null): Tensor | null => (t && t.requiresGrad ? emptyOverwritten(be, t.shape) : null);

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
export function sameStepTrace(settings: { delayedReset: boolean; resetMode: number }): boolean {
  return !settings.delayedReset && settings.resetMode !== ResetMode.none;
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
