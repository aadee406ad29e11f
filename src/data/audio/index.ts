/** Audio front end (browser-safe): WAV reader, resampler, filterbanks, spike encoder, the spoken-digits corpus. Node helpers: index-node.ts. */
export { decodeWav, type WavAudio, type WavDecodeOptions } from './wav.js';
export { resample, type ResampleOptions } from './resample.js';
export { erbHz, erbRate, erbRateToHz, erbSpace, gammatone, type FilterbankOutput } from './gammatone.js';
export { hzToMel, melToHz, melWeights, melFilterbank, type MelOptions } from './mel.js';
export { compress, lifEncode, LIF_ENCODER_DEFAULTS, type Compression, type LifEncoderOptions } from './encoder.js';
export { addNoise } from './noise.js';
export { applyFilterbank, audioToSpikes, checkFrontendSpec, AUDIO_FRONTEND_DEFAULTS, AUTO_THRESHOLDS, type AudioFrontendSpec, type FilterbankKind } from './frontend.js';
export * from './spoken-digits.js';
export { SPOKEN_DIGITS_OPTIONS, spokenDigitsFrontend, type SpokenDigitsOptionValues } from './spoken-digits-options.js';
