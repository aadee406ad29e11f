import { ConfigError } from '../../errors.js';

/*
 * A 4th-order gammatone filterbank with ERB-spaced centre frequencies
 * (Patterson et al. 1992; ERB of Glasberg & Moore 1990), implemented by
 * complex frequency shifting (Holdsworth et al. 1988, as in Cooke's and
 * Ma's gammatone code): for a channel at fc the signal is multiplied by
 * e^{-iωn}, which moves fc to 0 Hz, passed through four identical complex
 * one-pole low-passes (pole a = e^{-2π·b/fs}, b = 1.019·ERB(fc)), and
 * shifted back. A cascade of four one-poles has the impulse response
 * C(n+3, 3)·aⁿ — the gammatone envelope n³·aⁿ up to lower-order terms — so
 * each channel is a band-pass with the gammatone's shape, cheap (no
 * transcendental per sample) and stable for every fc below Nyquist.
 *
 * Each stage is scaled by (1 - a) so the gain at fc is 1; the real part of
 * the shifted-back output carries half the amplitude of a real input tone,
 * hence the factor 2. Output is channel-major: channel c's samples are
 * `data[c·frames .. (c+1)·frames)`, at the input's rate.
 */

/** Equivalent rectangular bandwidth (Hz) of the auditory filter at f Hz (Glasberg & Moore 1990). */
export function erbHz(f: number): number {
  return 24.7 * (4.37e-3 * f + 1);
}

/** ERB-rate (number of ERBs below f): the scale on which centre frequencies are equally spaced. */
export function erbRate(f: number): number {
  return 21.4 * Math.log10(4.37e-3 * f + 1);
}

export function erbRateToHz(e: number): number {
  return (10 ** (e / 21.4) - 1) / 4.37e-3;
}

/** `n` centre frequencies from fMin to fMax inclusive, equally spaced in ERB-rate, increasing. */
export function erbSpace(fMin: number, fMax: number, n: number): Float64Array {
  if (!(Number.isInteger(n) && n >= 1)) throw new ConfigError(`erbSpace: channels must be a positive integer, got ${n}`);
  if (!(fMin > 0 && fMax > fMin)) throw new ConfigError(`erbSpace: need 0 < f_min < f_max, got f_min ${fMin}, f_max ${fMax}`);
  const a = erbRate(fMin), b = erbRate(fMax);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = erbRateToHz(n === 1 ? a : a + ((b - a) * i) / (n - 1));
  return out;
}

/** A bank's output: `channels` signals of `frames` samples at `rate` Hz, channel-major. */
export interface FilterbankOutput {
  readonly channels: number;
  readonly frames: number;
  readonly rate: number;
  readonly data: Float32Array;
  /** Centre frequency of each channel (Hz), increasing. */
  readonly centres: Float64Array;
}

/** Filter `x` (at `rate` Hz) through 4th-order gammatones centred at `centres` (each below rate/2). */
export function gammatone(x: Float32Array, rate: number, centres: Float64Array): FilterbankOutput {
  const n = x.length, C = centres.length;
  const data = new Float32Array(C * n);
  for (let c = 0; c < C; c++) {
    const fc = centres[c]!;
    if (!(fc > 0 && fc < rate / 2)) throw new ConfigError(`gammatone: centre frequency ${fc} Hz of channel ${c} is not in (0, ${rate / 2}) (Nyquist at ${rate} Hz)`);
    const a = Math.exp((-2 * Math.PI * 1.019 * erbHz(fc)) / rate);
    const g = 1 - a;
    const w = (2 * Math.PI * fc) / rate;
    const rc = Math.cos(w), rs = Math.sin(w);
    // Phasor z = e^{iωn} by rotation; re-derived exactly every 4096 samples so rounding cannot accumulate.
    let zr = 1, zi = 0;
    let r1 = 0, i1 = 0, r2 = 0, i2 = 0, r3 = 0, i3 = 0, r4 = 0, i4 = 0;
    const out = data.subarray(c * n, (c + 1) * n);
    for (let k = 0; k < n; k++) {
      const xv = x[k]!;
      // u = x·conj(z)
      const ur = xv * zr, ui = -xv * zi;
      r1 += g * (ur - r1);
      i1 += g * (ui - i1);
      r2 += g * (r1 - r2);
      i2 += g * (i1 - i2);
      r3 += g * (r2 - r3);
      i3 += g * (i2 - i3);
      r4 += g * (r3 - r4);
      i4 += g * (i3 - i4);
      out[k] = 2 * (r4 * zr - i4 * zi);
      if ((k & 4095) === 4095) {
        zr = Math.cos(w * (k + 1));
        zi = Math.sin(w * (k + 1));
      } else {
        const t = zr * rc - zi * rs;
        zi = zr * rs + zi * rc;
        zr = t;
      }
    }
  }
  return { channels: C, frames: n, rate, data, centres };
}
