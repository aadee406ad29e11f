import { ConfigError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkSteps, inputData, output, type EncodeOptions } from './common.js';

export interface LatencyOptions extends EncodeOptions {
  /** Time constant of the RC (log) code, or slope of the linear code (default 1). */
  tau?: number;
  /** Inputs below it are "off": they fire last, or never with `clip` (default 0.01, in (0, 1)). */
  threshold?: number;
  /** Linear code `tau·(1 − x)` instead of the log code (default false). */
  linear?: boolean;
  /** Stretch the code so the latest possible spike falls on step T−1 (default false). */
  normalize?: boolean;
  /** Inputs below threshold produce no spike at all (default false). */
  clip?: boolean;
  /** Keeps the log code finite at the threshold (default 1e-7). */
  epsilon?: number;
}

/** Options with defaults filled in, range-checked (ConfigError naming the option). */
export function resolveLatencyOptions(opts: LatencyOptions): Required<Omit<LatencyOptions, 'backend'>> {
  const tau = opts.tau ?? 1, threshold = opts.threshold ?? 0.01, epsilon = opts.epsilon ?? 1e-7;
  if (!(threshold > 0 && threshold < 1)) throw new ConfigError(`latency encoder: threshold must be in (0, 1), got ${threshold}`);
  if (!(tau > 0)) throw new ConfigError(`latency encoder: tau must be > 0, got ${tau}`);
  if (!(epsilon > 0)) throw new ConfigError(`latency encoder: epsilon must be > 0, got ${epsilon}`);
  return { tau, threshold, epsilon, linear: opts.linear ?? false, normalize: opts.normalize ?? false, clip: opts.clip ?? false };
}

/**
 * Round half to even, as torch.round does, so spike steps agree with snnTorch
 * on exact .5 times.
 */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Spike time (in steps, before rounding) of one input under the latency code.
 * Follows snnTorch's `latency_code`:
 * - log:    t = tau · ln(x / (x − θ)) with x clamped to ≥ θ + ε (the charging time
 *           of an RC circuit driven by x up to threshold θ);
 * - linear: t = tau · (1 − max(x, θ)).
 * With normalize, the log code is scaled by (T−1) / (tau · ln((θ+ε)/ε)) and the
 * linear code uses tau = T−1, so the slowest input lands on step T−1.
 * (snnTorch divides the log code by the batch's largest time instead; that
 * equals our fixed value whenever the batch has any input below θ — e.g. every
 * MNIST batch — and the fixed value keeps a sample's code independent of its
 * batch mates.) Times below 0 (inputs > 1) are clamped to 0.
 */
export function latencyTime(x: number, T: number, tau: number, threshold: number, linear: boolean, normalize: boolean, epsilon: number): number {
  let t: number;
  if (linear) {
    const slope = normalize ? T - 1 : tau;
    t = slope * (1 - Math.max(x, threshold));
  } else {
    const xc = Math.max(x, threshold + epsilon);
    t = tau * Math.log(xc / (xc - threshold));
    if (normalize) t *= (T - 1) / (tau * Math.log((threshold + epsilon) / epsilon));
  }
  return t > 0 ? t : 0;
}

/**
 * Latency (time-to-first-spike) coding: input `[B, ...]` → spikes `[T, B, ...]`
 * with at most one spike per input, brighter inputs earlier. The spike falls on
 * step round(t) (half to even); a time past T−1 gives no spike (snnTorch
 * clamps such spikes to T−1 and then blanks that whole step; we drop only the
 * late ones). Deterministic: no Rng.
 */
export function latencyEncode(x: Tensor, T: number, opts: LatencyOptions = {}): Tensor {
  checkSteps('latency encoder', T);
  const { tau, threshold, epsilon, linear, normalize, clip } = resolveLatencyOptions(opts);
  const src = inputData('latency encoder', x);
  const n = src.length;
  const out = output([T, ...x.shape], true, x, opts);
  const o = out.data;
  for (let i = 0; i < n; i++) {
    const v = src[i]!;
    if (clip && v < threshold) continue;
    if (Number.isNaN(v)) continue;
    const step = roundHalfEven(latencyTime(v, T, tau, threshold, linear, normalize, epsilon));
    if (step <= T - 1) o[step * n + i] = 1;
  }
  return out;
}
