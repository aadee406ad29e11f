import { ConfigError } from '../../errors.js';
import type { FilterbankOutput } from './gammatone.js';

/*
 * The alternative front end: a mel filterbank over a short-time Fourier
 * transform. Frames are Hann-windowed, centred at multiples of the hop
 * (zero padding at the ends), zero-padded to a power-of-two FFT. Each
 * channel is a triangle on the HTK mel scale (mel = 2595·log10(1 + f/700))
 * with peak weight 1, its corners at the neighbouring centres, the n + 2
 * corner points equally spaced in mel between fMin and fMax. Magnitudes are
 * scaled by 2 / Σwindow so a sinusoid of amplitude A at a bin centre reads
 * A there; a channel's output is the weighted sum of bin magnitudes. The
 * output runs at the frame rate (rate / hop samples), channel-major, like
 * the gammatone bank's.
 */

export function hzToMel(f: number): number {
  return 2595 * Math.log10(1 + f / 700);
}

export function melToHz(m: number): number {
  return 700 * (10 ** (m / 2595) - 1);
}

export interface MelOptions {
  /** Analysis window length (ms). */
  windowMs?: number;
  /** Hop between frames (ms): the output rate is 1000 / hopMs Hz. */
  hopMs?: number;
}

/** In-place iterative radix-2 FFT of (re, im), length a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang), wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1, ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k, b = a + len / 2;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
        const t = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = t;
      }
    }
  }
}

/** The triangle weights [channels][bins] and the channels' centre frequencies. */
export function melWeights(channels: number, fMin: number, fMax: number, nfft: number, rate: number): { weights: Float64Array; centres: Float64Array } {
  if (!(Number.isInteger(channels) && channels >= 1)) throw new ConfigError(`mel: channels must be a positive integer, got ${channels}`);
  if (!(fMin >= 0 && fMax > fMin && fMax <= rate / 2)) throw new ConfigError(`mel: need 0 ≤ f_min < f_max ≤ ${rate / 2} (Nyquist at ${rate} Hz), got f_min ${fMin}, f_max ${fMax}`);
  const bins = nfft / 2 + 1;
  const m0 = hzToMel(fMin), m1 = hzToMel(fMax);
  const pts = Array.from({ length: channels + 2 }, (_, i) => melToHz(m0 + ((m1 - m0) * i) / (channels + 1)));
  const weights = new Float64Array(channels * bins);
  const centres = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const lo = pts[c]!, mid = pts[c + 1]!, hi = pts[c + 2]!;
    centres[c] = mid;
    for (let k = 0; k < bins; k++) {
      const f = (k * rate) / nfft;
      const w = f <= lo || f >= hi ? 0 : f <= mid ? (f - lo) / (mid - lo) : (hi - f) / (hi - mid);
      weights[c * bins + k] = w;
    }
  }
  return { weights, centres };
}

/** Mel filterbank magnitudes of `x` (at `rate` Hz). */
export function melFilterbank(x: Float32Array, rate: number, channels: number, fMin: number, fMax: number, opts: MelOptions = {}): FilterbankOutput {
  const win = Math.round(((opts.windowMs ?? 25) * rate) / 1000);
  const hop = Math.round(((opts.hopMs ?? 1) * rate) / 1000);
  if (win < 2 || hop < 1) throw new ConfigError(`mel: window ${opts.windowMs ?? 25} ms and hop ${opts.hopMs ?? 1} ms are too short at ${rate} Hz`);
  let nfft = 1;
  while (nfft < win) nfft <<= 1;
  const bins = nfft / 2 + 1;
  const { weights, centres } = melWeights(channels, fMin, fMax, nfft, rate);
  const window = new Float64Array(win);
  let wsum = 0;
  for (let i = 0; i < win; i++) {
    window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / win); // periodic Hann
    wsum += window[i]!;
  }
  const scale = 2 / wsum;
  const frames = x.length === 0 ? 0 : Math.floor((x.length - 1) / hop) + 1;
  const data = new Float32Array(channels * frames);
  const re = new Float64Array(nfft), im = new Float64Array(nfft), mag = new Float64Array(bins);
  // Only the bins some triangle covers need their weights summed.
  const first = new Int32Array(channels), last = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    let a = bins, b = -1;
    for (let k = 0; k < bins; k++) if (weights[c * bins + k]! > 0) ((a = Math.min(a, k)), (b = k));
    first[c] = a;
    last[c] = b;
  }
  const offset = Math.floor(win / 2);
  for (let m = 0; m < frames; m++) {
    re.fill(0);
    im.fill(0);
    const start = m * hop - offset;
    for (let i = 0; i < win; i++) {
      const k = start + i;
      if (k >= 0 && k < x.length) re[i] = x[k]! * window[i]!;
    }
    fft(re, im);
    for (let k = 0; k < bins; k++) mag[k] = Math.hypot(re[k]!, im[k]!) * scale;
    for (let c = 0; c < channels; c++) {
      let s = 0;
      for (let k = first[c]!; k <= last[c]!; k++) s += weights[c * bins + k]! * mag[k]!;
      data[c * frames + m] = s;
    }
  }
  return { channels, frames, rate: rate / hop, data, centres };
}
