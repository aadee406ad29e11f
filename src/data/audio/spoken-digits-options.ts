import { ConfigError } from '../../errors.js';
import { withDefaults, type ChoiceOption, type CustomOption, type NumberOption, type OptionSpec, type OptionValues } from '../../registry/options.js';
import { CHANNEL_DATASET_OPTIONS } from '../events/recorded-options.js';
import type { Compression } from './encoder.js';
import { AUDIO_FRONTEND_DEFAULTS, AUTO_THRESHOLDS, checkFrontendSpec, type AudioFrontendSpec, type FilterbankKind } from './frontend.js';

/*
 * The `data.options` of the spoken-digits dataset (snake_case in a config):
 * the event pipeline's binning (as for shd: binning, duration_ms,
 * downsample) plus the audio front end, the noise and the split. Browser-safe;
 * the Node loader turns them into a SpokenDigitsSpec.
 */

const D = AUDIO_FRONTEND_DEFAULTS;

const noiseSnrDb: CustomOption<number | null> = {
  type: 'custom',
  accepts: ['number', 'string'],
  doc: "additive white noise at this SNR in dB relative to the clip's mean power (e.g. 10); 'off' (the default): clean audio",
  parse: (v, where) => {
    if (v === undefined || v === 'off') return null;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    throw new ConfigError(`${where} must be a number of dB or 'off', got ${JSON.stringify(v)}`);
  },
};

export const SPOKEN_DIGITS_OPTIONS = {
  // Digits last under a second: 'time' binning over a fixed second, as for shd.
  ...withDefaults(CHANNEL_DATASET_OPTIONS, { durationMs: 1000 }),
  channels: { type: 'number' as const, integer: true, default: D.channels, check: (v) => v >= 1 && v <= 4096, want: 'an integer in [1, 4096]', doc: 'filterbank channels (= spike channels)' } satisfies NumberOption,
  sampleRate: { type: 'number' as const, integer: true, default: D.sampleRate, check: (v) => v >= 4000 && v <= 96000, want: 'an integer in [4000, 96000]', doc: 'Hz: the audio (22,050 Hz from espeak-ng) is resampled to this rate before the filterbank' } satisfies NumberOption,
  filterbank: { type: 'choice' as const, values: ['gammatone', 'mel'] as const, default: D.filterbank as FilterbankKind, doc: "'gammatone' (4th order, ERB-spaced) or 'mel' (triangles over a 25 ms STFT with a 1 ms hop)" } satisfies ChoiceOption<FilterbankKind>,
  fMin: { type: 'number' as const, default: D.fMin, check: (v) => v > 0, want: 'a number > 0', doc: 'lowest channel centre (gammatone) or lower band edge (mel), Hz' } satisfies NumberOption,
  fMax: { type: 'number' as const, default: D.fMax, check: (v) => v > 0, want: 'a number > 0', doc: 'highest channel centre (gammatone) or upper band edge (mel), Hz; below sample_rate / 2' } satisfies NumberOption,
  compression: { type: 'choice' as const, values: ['cube-root', 'log', 'none'] as const, default: D.compression as Compression, doc: 'compression of the rectified filter output before the spike encoder' } satisfies ChoiceOption<Compression>,
  threshold: { type: 'number' as const, default: 0, check: (v) => v >= 0, want: 'a number ≥ 0', doc: 'LIF encoder threshold in compressed units; 0: the measured default for the filterbank and compression (about 2,000 spikes per digit)' } satisfies NumberOption,
  tauMs: { type: 'number' as const, default: D.encoder.tauMs, check: (v) => v > 0, want: 'a number > 0', doc: 'LIF encoder membrane time constant, ms' } satisfies NumberOption,
  noiseSnrDb,
  split: { type: 'choice' as const, values: ['test', 'validation'] as const, default: 'test' as 'test' | 'validation', doc: "'validation': the test split holds the validation speakers (who then leave training), for model selection without touching test" } satisfies ChoiceOption<'test' | 'validation'>,
} as const satisfies OptionSpec;

export type SpokenDigitsOptionValues = OptionValues<typeof SPOKEN_DIGITS_OPTIONS>;

/** The front end a set of option values stands for (the auto threshold resolved), checked. */
export function spokenDigitsFrontend(o: SpokenDigitsOptionValues, where = 'data.options (spoken-digits)'): AudioFrontendSpec {
  const spec: AudioFrontendSpec = {
    ...D,
    sampleRate: o.sampleRate,
    filterbank: o.filterbank,
    channels: o.channels,
    fMin: o.fMin,
    fMax: o.fMax,
    compression: o.compression,
    encoder: { ...D.encoder, tauMs: o.tauMs, threshold: o.threshold > 0 ? o.threshold : AUTO_THRESHOLDS[o.filterbank][o.compression] },
  };
  checkFrontendSpec(spec, where);
  return spec;
}
