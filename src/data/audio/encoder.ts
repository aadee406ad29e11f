import { ConfigError } from '../../errors.js';
import { makeChannelEvents, type ChannelEvents } from '../events/stream.js';
import type { FilterbankOutput } from './gammatone.js';

/*
 * From filterbank outputs to spikes, one leaky integrate-and-fire neuron per
 * channel. SHD's cochlea (Cramer et al. 2020) used a hair-cell model feeding
 * bushy cells; this is the simpler stand-in: the channel signal is
 * half-wave rectified (the inner hair cell passes one direction of the
 * basilar-membrane motion), scaled by π (so a tone's mean rectified output
 * equals its amplitude, the same scale as the mel bank's magnitudes),
 * compressed (the cochlea's compressive gain), and drives
 *
 *   v[n] = β·v[n-1] + (1 - β)·d[n],   β = exp(-1 / (rate·τ)),
 *
 * a low-pass whose output follows the drive's envelope over τ. When v
 * reaches the threshold θ outside the refractory period the channel spikes
 * and v drops by θ (reset by subtraction keeps the rate proportional to how
 * far the envelope stands above θ). A drive that stays below θ never fires,
 * which keeps quiet channels and low-level noise silent; the refractory
 * period caps the rate at 1 / refractory.
 */

export type Compression = 'cube-root' | 'log' | 'none';

/** The LIF encoder's constants. */
export interface LifEncoderOptions {
  /** Membrane time constant (ms). */
  tauMs: number;
  /** Threshold, in units of the compressed drive. */
  threshold: number;
  /** Dead time after a spike (ms); 0 = none. */
  refractoryMs: number;
}

/** The threshold suits gammatone + cube-root; frontend.ts's AUTO_THRESHOLDS has one per bank and compression. */
export const LIF_ENCODER_DEFAULTS: Readonly<LifEncoderOptions> = { tauMs: 5, threshold: 0.12, refractoryMs: 1 };

/** ε of the log compression: log(1 + x/ε) / log(1 + 1/ε), a 60 dB range mapped onto [0, 1] for x in [0, 1]. */
const LOG_EPS = 1e-3;

/** The compressive non-linearity applied to a non-negative drive. */
export function compress(x: number, c: Compression): number {
  switch (c) {
    case 'cube-root':
      return Math.cbrt(x);
    case 'log':
      return Math.log1p(x / LOG_EPS) / Math.log1p(1 / LOG_EPS);
    case 'none':
      return x;
  }
}

/**
 * Spikes of every channel of `fb` as a channel event stream (time stamps in
 * seconds, sorted). `rectify`: half-wave rectify and scale by π first (the
 * gammatone bank's signed waveforms); the mel bank's magnitudes are already
 * non-negative envelopes and pass as they are.
 */
export function lifEncode(fb: FilterbankOutput, compression: Compression, rectify: boolean, opts: LifEncoderOptions = LIF_ENCODER_DEFAULTS): ChannelEvents {
  const { tauMs, threshold, refractoryMs } = opts;
  if (!(tauMs > 0)) throw new ConfigError(`LIF encoder: tau_ms must be > 0, got ${tauMs}`);
  if (!(threshold > 0)) throw new ConfigError(`LIF encoder: threshold must be > 0, got ${threshold}`);
  if (!(refractoryMs >= 0)) throw new ConfigError(`LIF encoder: refractory_ms must be ≥ 0, got ${refractoryMs}`);
  const { channels: C, frames: n, rate, data } = fb;
  const beta = Math.exp(-1 / ((rate * tauMs) / 1000));
  const dead = Math.max(1, Math.round((refractoryMs * rate) / 1000));
  const gain = rectify ? Math.PI : 1;
  // Spikes as keys step·C + channel (exact in float64): one numeric sort then orders them by
  // time, channels ascending within a step, while the loops below stay channel-major (contiguous).
  const keys: number[] = [];
  for (let c = 0; c < C; c++) {
    const row = data.subarray(c * n, (c + 1) * n);
    let v = 0, ready = 0;
    for (let k = 0; k < n; k++) {
      const x = row[k]!;
      const d = x > 0 ? gain * x : 0;
      const m = beta * v + (1 - beta) * (compression === 'cube-root' ? Math.cbrt(d) : compress(d, compression));
      if (m >= threshold && k >= ready) {
        v = m - threshold;
        ready = k + dead;
        keys.push(k * C + c);
      } else v = m;
    }
  }
  const sorted = Float64Array.from(keys).sort();
  const t = new Float64Array(sorted.length), ch = new Uint16Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) {
    const step = Math.floor(sorted[i]! / C);
    t[i] = step / rate;
    ch[i] = sorted[i]! - step * C;
  }
  return makeChannelEvents({ t, channel: ch, channels: C, timeUnit: 's' });
}
