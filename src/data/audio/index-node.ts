/** Node-only audio helpers: espeak-ng synthesis and the spoken-digits loader (registered as a dataset by src/data/datasets-node.ts). */
export { espeakBinary, espeakVersion, synthesize, type EspeakJob, type SynthesizeOptions } from './espeak-node.js';
export { spokenDigitsLists, spokenDigitsSplits, SPOKEN_DIGITS_VERSION, type SpokenDigitsSpec, type SpokenDigitsOptions } from './spoken-digits-node.js';
