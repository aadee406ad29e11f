import { ConfigError, ShapeError } from '../../errors.js';
import type { Rng } from '../../tensor/rng.js';
import { makeDvsEvents, type DvsEvents } from './stream.js';

/**
 * Event-camera emulator options. Thresholds are on log intensity; each pixel
 * draws its own ON/OFF threshold from N(threshold, thresholdSigma²) once
 * (fixed-pattern mismatch), floored at `minThreshold`.
 */
export interface EmulatorOptions {
  thresholdOn?: number;
  thresholdOff?: number;
  thresholdSigma?: number;
  minThreshold?: number;
  /** A pixel that fired stays blind for this long (µs); crossings inside it are lost. */
  refractory?: number;
  /** Background-activity noise, events per pixel per second (random polarity, uniform times). */
  noiseRate?: number;
  /** Added to intensity before the log so black pixels stay finite. */
  logEps?: number;
}

export interface EmulatorInput {
  /** Intensities [T, H, W], row-major, normally in [0, 1]. */
  frames: Float32Array;
  width: number;
  height: number;
  /** Time stamp of each frame in µs (increasing), length T. */
  times: ArrayLike<number>;
}

/**
 * Convert an image sequence to DVS events. Between two frames the log
 * intensity of each pixel is taken to change linearly, and each crossing of
 * the pixel's reference level ± its threshold emits one event at the
 * interpolated crossing time; the reference then moves by one threshold. This
 * is the usual ESIM/v2e model without the photoreceptor low-pass.
 */
export function emulateEvents(input: EmulatorInput, rng: Rng, opts: EmulatorOptions = {}): DvsEvents {
  const { width: W, height: H, frames, times } = input;
  const P = W * H;
  const T = times.length;
  if (frames.length !== T * P) throw new ShapeError(`emulateEvents: ${frames.length} intensity values do not match ${T} frames of ${W}×${H}`);
  for (let k = 1; k < T; k++) if (!(times[k]! > times[k - 1]!)) throw new ConfigError(`emulateEvents: frame times must increase (frame ${k})`);
  const cOn = opts.thresholdOn ?? 0.2, cOff = opts.thresholdOff ?? 0.2;
  const sigma = opts.thresholdSigma ?? 0.03, cMin = opts.minThreshold ?? 0.01;
  const refractory = opts.refractory ?? 0, noiseRate = opts.noiseRate ?? 0, eps = opts.logEps ?? 0.1;
  if (!(cOn > 0 && cOff > 0 && sigma >= 0 && refractory >= 0 && noiseRate >= 0 && eps > 0)) {
    throw new ConfigError('emulateEvents: thresholds and logEps must be > 0; sigma, refractory and noiseRate ≥ 0');
  }
  const thOn = new Float32Array(P), thOff = new Float32Array(P);
  for (let i = 0; i < P; i++) {
    thOn[i] = Math.max(cMin, cOn + sigma * rng.normal());
    thOff[i] = Math.max(cMin, cOff + sigma * rng.normal());
  }
  const ref = new Float64Array(P);
  const lastFire = new Float64Array(P).fill(-Infinity);
  // Log intensities of the two frames around the current interval, each frame's computed once.
  let logA = new Float64Array(P), logB = new Float64Array(P);
  for (let i = 0; i < P; i++) logA[i] = ref[i] = Math.log(frames[i]! + eps);
  const out = new EventBuffer(Math.max(16_384, 4 * P));
  for (let k = 1; k < T; k++) {
    const ta = times[k - 1]!, tb = times[k]!, dt = tb - ta;
    const b = k * P;
    for (let i = 0; i < P; i++) logB[i] = Math.log(frames[b + i]! + eps);
    const first = out.length;
    for (let i = 0; i < P; i++) {
      const la = logA[i]!, lb = logB[i]!;
      const slope = lb - la;
      if (slope === 0) continue;
      // Emit crossings in time order; at most |Δ|/threshold + 1 per pixel and frame.
      for (;;) {
        const r = ref[i]!;
        let level: number, pol: number;
        if (slope > 0 && lb >= r + thOn[i]!) {
          level = r + thOn[i]!;
          pol = 1;
        } else if (slope < 0 && lb <= r - thOff[i]!) {
          level = r - thOff[i]!;
          pol = 0;
        } else break;
        const tc = ta + ((level - la) / slope) * dt;
        ref[i] = level;
        if (tc - lastFire[i]! < refractory) continue;
        lastFire[i] = tc;
        out.push(i % W, (i / W) | 0, Math.round(tc), pol);
      }
    }
    // Events of one interval lie in [ta, tb] and come out in pixel order; sorting
    // each interval alone gives the same order as a stable sort of the whole stream.
    out.sortRange(first, out.length);
    const swap = logA;
    logA = logB;
    logB = swap;
  }
  if (noiseRate > 0 && T > 1) {
    const span = times[T - 1]! - times[0]!;
    const count = poisson(noiseRate * P * span * 1e-6, rng);
    for (let j = 0; j < count; j++) {
      const nx = rng.int(W), ny = rng.int(H);
      const nt = Math.round(times[0]! + rng.random() * span);
      out.push(nx, ny, nt, rng.int(2));
    }
  }
  // makeDvsEvents sorts stably (needed only when noise was appended) and checks ranges.
  const n = out.length;
  return makeDvsEvents({ x: out.x.slice(0, n), y: out.y.slice(0, n), t: out.t.slice(0, n), p: out.p.slice(0, n), width: W, height: H, timeUnit: 'us' });
}

/** Growable columnar event storage: typed arrays doubled on demand, no per-event objects. */
class EventBuffer {
  x: Uint16Array;
  y: Uint16Array;
  t: Float64Array;
  p: Uint8Array;
  length = 0;
  private order = new Uint32Array(0);
  private readonly counts = new Uint32Array(257);

  constructor(capacity: number) {
    this.x = new Uint16Array(capacity);
    this.y = new Uint16Array(capacity);
    this.t = new Float64Array(capacity);
    this.p = new Uint8Array(capacity);
  }

  push(x: number, y: number, t: number, p: number): void {
    if (this.length === this.t.length) this.grow();
    const n = this.length++;
    this.x[n] = x;
    this.y[n] = y;
    this.t[n] = t;
    this.p[n] = p;
  }

  private grow(): void {
    const cap = this.t.length * 2;
    const x = new Uint16Array(cap), y = new Uint16Array(cap), t = new Float64Array(cap), p = new Uint8Array(cap);
    x.set(this.x);
    y.set(this.y);
    t.set(this.t);
    p.set(this.p);
    this.x = x;
    this.y = y;
    this.t = t;
    this.p = p;
  }

  /**
   * Stable sort of events [a, b) by time, in place. Stamps are integers (µs,
   * rounded) spanning one frame interval, so an LSD radix sort on
   * t − min(t), 8 bits per pass, is linear; a comparison sort is the fallback
   * for non-integer stamps or spans beyond 2^32.
   */
  sortRange(a: number, b: number): void {
    const t = this.t;
    let sorted = true, lo = Infinity, hi = -Infinity;
    for (let i = a; i < b; i++) {
      const v = t[i]!;
      if (i > a && v < t[i - 1]!) sorted = false;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (sorted) return;
    const n = b - a;
    if (this.order.length < 2 * n) this.order = new Uint32Array(Math.max(2 * n, this.order.length * 2));
    let idx = this.order.subarray(0, n);
    for (let i = 0; i < n; i++) idx[i] = a + i;
    if (Number.isInteger(lo) && Number.isInteger(hi) && hi - lo < 4294967296) {
      let tmp = this.order.subarray(n, 2 * n);
      const c = this.counts;
      for (let shift = 0; shift < 32 && (hi - lo) >>> shift > 0; shift += 8) {
        c.fill(0);
        for (let i = 0; i < n; i++) c[(((t[idx[i]!]! - lo) >>> shift) & 255) + 1]!++;
        for (let k = 1; k <= 256; k++) c[k]! += c[k - 1]!;
        for (let i = 0; i < n; i++) {
          const e = idx[i]!;
          tmp[c[((t[e]! - lo) >>> shift) & 255]!++] = e;
        }
        const sw = idx;
        idx = tmp;
        tmp = sw;
      }
    } else {
      idx.sort((u, v) => t[u]! - t[v]! || u - v);
    }
    const xs = this.x.slice(a, b), ys = this.y.slice(a, b), ts = this.t.slice(a, b), ps = this.p.slice(a, b);
    for (let i = 0; i < n; i++) {
      const j = idx[i]! - a;
      this.x[a + i] = xs[j]!;
      this.y[a + i] = ys[j]!;
      this.t[a + i] = ts[j]!;
      this.p[a + i] = ps[j]!;
    }
  }
}

/** Poisson sample: Knuth's product method for small means, rounded normal approximation for large ones. */
export function poisson(mean: number, rng: Rng): number {
  if (mean <= 0) return 0;
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const L = Math.exp(-mean);
  let k = 0, prod = rng.random();
  while (prod > L) {
    k++;
    prod *= rng.random();
  }
  return k;
}
