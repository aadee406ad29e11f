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
  for (let i = 0; i < P; i++) ref[i] = Math.log(frames[i]! + eps);
  const xs: number[] = [], ys: number[] = [], ts: number[] = [], ps: number[] = [];
  for (let k = 1; k < T; k++) {
    const ta = times[k - 1]!, tb = times[k]!, dt = tb - ta;
    const a = (k - 1) * P, b = k * P;
    for (let i = 0; i < P; i++) {
      const la = Math.log(frames[a + i]! + eps), lb = Math.log(frames[b + i]! + eps);
      const slope = lb - la;
      if (slope === 0) continue;
      // Emit crossings in time order; at most |Δ|/threshold + 1 per pixel and frame.
      for (;;) {
        const up = ref[i]! + thOn[i]!, down = ref[i]! - thOff[i]!;
        let level: number, pol: number;
        if (slope > 0 && lb >= up) {
          level = up;
          pol = 1;
        } else if (slope < 0 && lb <= down) {
          level = down;
          pol = 0;
        } else break;
        const tc = ta + ((level - la) / slope) * dt;
        ref[i] = level;
        if (tc - lastFire[i]! < refractory) continue;
        lastFire[i] = tc;
        xs.push(i % W);
        ys.push((i / W) | 0);
        ts.push(Math.round(tc));
        ps.push(pol);
      }
    }
  }
  if (noiseRate > 0 && T > 1) {
    const span = times[T - 1]! - times[0]!;
    const count = poisson(noiseRate * P * span * 1e-6, rng);
    for (let j = 0; j < count; j++) {
      xs.push(rng.int(W));
      ys.push(rng.int(H));
      ts.push(Math.round(times[0]! + rng.random() * span));
      ps.push(rng.int(2));
    }
  }
  return makeDvsEvents({ x: xs, y: ys, t: ts, p: ps, width: W, height: H, timeUnit: 'us' });
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
