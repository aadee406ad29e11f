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
  const dead = Math.round((refractoryMs * rate) / 1000);
  const v = new Float64Array(C);
  const ready = new Float64Array(C); // first step at which each channel may fire again
  const t: number[] = [], ch: number[] = [];
  // Time outer, channels inner: the events come out sorted by time with no sort.
  for (let k = 0; k < n; k++) {
    for (let c = 0; c < C; c++) {
      let d = data[c * n + k]!;
      if (rectify) d = d > 0 ? Math.PI * d : 0;
      else if (d < 0) d = 0;
      const m = beta * v[c]! + (1 - beta) * compress(d, compression);
      if (m >= threshold && k >= ready[c]!) {
        v[c] = m - threshold;
        ready[c] = k + Math.max(1, dead);
        t.push(k / rate);
        ch.push(c);
      } else v[c] = m;
    }
  }
  return makeChannelEvents({ t: Float64Array.from(t), channel: Uint16Array.from(ch), channels: C, timeUnit: 's' });
}
