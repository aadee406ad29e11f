import { getBackendByName } from '../backend/registry.js';
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { backward, noGrad } from './tape.js';

export interface GradcheckOptions {
  /** Finite-difference step (central differences). */
  eps?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
  /** Check at most this many coordinates per input (chosen at random) to bound time. */
  maxPerInput?: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsErr: number;
  /** Human-readable description of the worst mismatch. */
  worst: string;
}

/**
 * Compare analytic gradients with central finite differences. `fn` maps the
 * inputs to a tensor; the check differentiates Σ w ⊙ fn(inputs) with random
 * fixed weights w so every output element matters. Inputs should live on the
 * float64 backend (`ts64`) so differences are not drowned in rounding.
 */
export function gradcheck(fn: (inputs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-4;
  const rng = new Rng(opts.seed ?? 1234);
  const ts64 = getBackendByName('ts64');
  for (const x of inputs) {
    if (x.backend !== ts64) throw new Error('gradcheck: inputs must be on the ts64 backend');
    x.grad = null;
  }
  const out0 = fn(inputs);
  const w = new Float64Array(out0.size);
  for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-1, 1);
  const weighted = (o: Tensor): number => {
    let s = 0;
    const d = o.data;
    for (let i = 0; i < d.length; i++) s += w[i]! * d[i]!;
    return s;
  };
  const seed = new Tensor(ts64.fromArray(w), out0.shape, { backend: ts64 });
  if (out0.requiresGrad) backward(out0, seed);

  let maxAbsErr = 0;
  let worst = 'none';
  let ok = true;
  inputs.forEach((x, xi) => {
    if (!x.requiresGrad) return;
    const analytic = x.grad ? x.grad.data : new Float64Array(x.size);
    const idx: number[] = [];
    const limit = opts.maxPerInput ?? Infinity;
    if (x.size <= limit) for (let i = 0; i < x.size; i++) idx.push(i);
    else for (let i = 0; i < limit; i++) idx.push(rng.int(x.size));
    const d = x.data;
    for (const i of idx) {
      const orig = d[i]!;
      d[i] = orig + eps;
      const fp = noGrad(() => weighted(fn(inputs)));
      d[i] = orig - eps;
      const fm = noGrad(() => weighted(fn(inputs)));
      d[i] = orig;
      const numeric = (fp - fm) / (2 * eps);
      const a = analytic[i]!;
      const err = Math.abs(a - numeric);
      if (err > maxAbsErr) {
        maxAbsErr = err;
        worst = `input ${xi} element ${i}: analytic ${a}, numeric ${numeric}`;
      }
      if (err > atol + rtol * Math.abs(numeric)) ok = false;
    }
  });
  return { ok, maxAbsErr, worst };
}
