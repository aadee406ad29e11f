import { ConfigError } from '../../errors.js';
import type { ChannelEvents } from '../events/stream.js';
import { LIF_ENCODER_DEFAULTS, lifEncode, type Compression, type LifEncoderOptions } from './encoder.js';
import { erbSpace, gammatone, type FilterbankOutput } from './gammatone.js';
import { melFilterbank } from './mel.js';
import { resample } from './resample.js';

/*
 * The whole audio → spikes front end as one plain, serialisable spec:
 * resample to `sampleRate`, filter into `channels` bands between fMin and
 * fMax (gammatone, or mel over an STFT), rectify + compress, and encode each
 * band with a LIF neuron (encoder.ts). The result is a ChannelEvents stream
 * like the ones the SHD reader returns, so the event pipeline
 * (recorded-options.ts) bins it into [frames, channels] the same way.
 */

export type FilterbankKind = 'gammatone' | 'mel';

export interface AudioFrontendSpec {
  /** Rate (Hz) the filterbank runs at; input audio is resampled to it. */
  sampleRate: number;
  filterbank: FilterbankKind;
  channels: number;
  fMin: number;
  fMax: number;
  compression: Compression;
  encoder: LifEncoderOptions;
  /** mel only: STFT window and hop (ms). */
  melWindowMs: number;
  melHopMs: number;
}

/**
 * Encoder thresholds per bank and compression, measured to give about
 * 2,000 spikes on a 0.7 s espeak-ng digit at its default level (64
 * channels, τ = 5 ms): a gammatone channel is narrower than a mel triangle,
 * so it carries less of a broadband sound's power.
 */
export const AUTO_THRESHOLDS: Readonly<Record<FilterbankKind, Readonly<Record<Compression, number>>>> = {
  gammatone: { 'cube-root': 0.12, log: 0.2, none: 0.016 },
  mel: { 'cube-root': 0.2, log: 0.3, none: 0.016 },
};

export const AUDIO_FRONTEND_DEFAULTS: Readonly<AudioFrontendSpec> = {
  sampleRate: 16000,
  filterbank: 'gammatone',
  channels: 64,
  fMin: 100,
  fMax: 7000,
  compression: 'cube-root',
  encoder: { ...LIF_ENCODER_DEFAULTS, threshold: AUTO_THRESHOLDS.gammatone['cube-root'] },
  melWindowMs: 25,
  melHopMs: 1,
};

/** Check a spec's fields against each other; throws a ConfigError naming the field. */
export function checkFrontendSpec(s: AudioFrontendSpec, where = 'audio front end'): void {
  if (!(Number.isInteger(s.sampleRate) && s.sampleRate >= 1000)) throw new ConfigError(`${where}: sample_rate must be an integer ≥ 1000 Hz, got ${s.sampleRate}`);
  if (!(Number.isInteger(s.channels) && s.channels >= 1 && s.channels <= 65536)) throw new ConfigError(`${where}: channels must be an integer in [1, 65536], got ${s.channels}`);
  if (!(s.fMin > 0 && s.fMax > s.fMin)) throw new ConfigError(`${where}: need 0 < f_min < f_max, got f_min ${s.fMin}, f_max ${s.fMax}`);
  if (s.fMax >= s.sampleRate / 2) throw new ConfigError(`${where}: f_max ${s.fMax} Hz must be below the Nyquist frequency ${s.sampleRate / 2} Hz of sample_rate ${s.sampleRate}`);
}

/** The filterbank stage alone (for plots and tests): `x` at `rate` Hz, already at the spec's rate. */
export function applyFilterbank(x: Float32Array, spec: AudioFrontendSpec): FilterbankOutput {
  if (spec.filterbank === 'mel') return melFilterbank(x, spec.sampleRate, spec.channels, spec.fMin, spec.fMax, { windowMs: spec.melWindowMs, hopMs: spec.melHopMs });
  return gammatone(x, spec.sampleRate, erbSpace(spec.fMin, spec.fMax, spec.channels));
}

/** Audio samples at `rate` Hz → spikes of `spec.channels` channels (time stamps in seconds). */
export function audioToSpikes(samples: Float32Array, rate: number, spec: AudioFrontendSpec): ChannelEvents {
  checkFrontendSpec(spec);
  const x = rate === spec.sampleRate ? samples : resample(samples, rate, spec.sampleRate);
  const fb = applyFilterbank(x, spec);
  return lifEncode(fb, spec.compression, spec.filterbank === 'gammatone', spec.encoder);
}
