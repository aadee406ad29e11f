import { ConfigError } from '../../errors.js';

/*
 * Band-limited sample-rate conversion by windowed-sinc interpolation,
 * evaluated polyphase: for integer rates in the ratio L/M (reduced by their
 * gcd), output sample j sits at input time j·M/L, whose fractional part is
 * one of L phases, so the kernel is tabulated once per phase (when L is
 * small enough to keep the table modest; otherwise it is evaluated per
 * sample, slower but the same numbers). The low-pass cutoff is the lower of
 * the two Nyquist frequencies times `rolloff`, so downsampling removes what
 * the new rate cannot carry instead of aliasing it; a Kaiser window bounds
 * the kernel to `zeroCrossings` lobes on each side. Each phase is normalised
 * to unit sum so DC passes exactly. Samples outside the signal count as 0.
 */

export interface ResampleOptions {
  /** Sinc lobes on each side of the kernel centre (length/quality trade-off). */
  zeroCrossings?: number;
  /** Cutoff as a fraction of the lower Nyquist frequency. */
  rolloff?: number;
  /** Kaiser window shape (8 ≈ 80 dB side lobes). */
  kaiserBeta?: number;
}

const MAX_TABLE_PHASES = 4096;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for the β used here). */
function besselI0(x: number): number {
  let sum = 1, term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Convert `x` sampled at `fromRate` Hz to `toRate` Hz (both positive integers). */
export function resample(x: Float32Array, fromRate: number, toRate: number, opts: ResampleOptions = {}): Float32Array {
  for (const [name, r] of [['fromRate', fromRate], ['toRate', toRate]] as const) {
    if (!Number.isInteger(r) || r < 1) throw new ConfigError(`resample: ${name} must be a positive integer (Hz), got ${r}`);
  }
  if (fromRate === toRate) return x.slice();
  const zc = opts.zeroCrossings ?? 16;
  const rolloff = opts.rolloff ?? 0.94;
  const beta = opts.kaiserBeta ?? 8;
  if (!(Number.isInteger(zc) && zc >= 1)) throw new ConfigError(`resample: zeroCrossings must be a positive integer, got ${zc}`);
  if (!(rolloff > 0 && rolloff <= 1)) throw new ConfigError(`resample: rolloff must be in (0, 1], got ${rolloff}`);
  const g = gcd(fromRate, toRate);
  const L = toRate / g, M = fromRate / g;
  // Cutoff in cycles per input sample, and the kernel's half-width in input samples.
  const fc = 0.5 * Math.min(1, L / M) * rolloff;
  const half = zc / (2 * fc);
  const K = Math.ceil(half);
  const taps = 2 * K;
  const i0b = besselI0(beta);
  const kernel = (tau: number): number => {
    const r = tau / half;
    if (r <= -1 || r >= 1) return 0;
    const arg = 2 * fc * tau;
    const sinc = arg === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
    return 2 * fc * sinc * (besselI0(beta * Math.sqrt(1 - r * r)) / i0b);
  };
  // Coefficients of one phase p (input time frac = p/L): tap i multiplies x[q - K + 1 + i].
  const phase = (p: number, out: Float64Array): void => {
    let s = 0;
    for (let i = 0; i < taps; i++) {
      const v = kernel(p / L + K - 1 - i);
      out[i] = v;
      s += v;
    }
    for (let i = 0; i < taps; i++) out[i]! /= s;
  };
  const table = L <= MAX_TABLE_PHASES ? new Float64Array(L * taps) : null;
  if (table) for (let p = 0; p < L; p++) phase(p, table.subarray(p * taps, (p + 1) * taps));
  const scratch = new Float64Array(taps);
  const n = x.length;
  const outLen = Math.ceil((n * L) / M);
  const y = new Float32Array(outLen);
  for (let j = 0; j < outLen; j++) {
    // j·M may exceed 2^53 only for absurd lengths; q and p are exact below that.
    const jm = j * M;
    const q = Math.floor(jm / L);
    const p = jm - q * L;
    let h: Float64Array;
    if (table) h = table.subarray(p * taps, (p + 1) * taps);
    else {
      phase(p, scratch);
      h = scratch;
    }
    const k0 = q - K + 1;
    let acc = 0;
    const a = Math.max(0, -k0), b = Math.min(taps, n - k0);
    for (let i = a; i < b; i++) acc += h[i]! * x[k0 + i]!;
    y[j] = acc;
  }
  return y;
}
