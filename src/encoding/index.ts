export { rateEncode, poissonEncode, poissonGain, type RateOptions, type PoissonOptions } from './rate.js';
export { latencyEncode, latencyTime, resolveLatencyOptions, type LatencyOptions } from './latency.js';
export { deltaEncode, resolveDeltaOptions, type DeltaOptions, type DeltaOff } from './delta.js';
export { directEncode } from './direct.js';
export { populationEncode, populationCentres, POPULATION_DEFAULTS, type PopulationOptions, type PopulationCode } from './population.js';
export { createEncoder, ENCODER_TYPES, encoderRegistry, defineEncoder, type Encoder, type EncoderConfig, type EncoderType, type EncoderEntry, type EncoderParts } from './factory.js';
export type { EncodeOptions } from './common.js';
