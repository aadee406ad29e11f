/**
 * `spikeflow/config`: the run-config schema (zod). A subpath of its own so the
 * core entry carries no schema library; reading config files from disk
 * (loadConfig, parseConfigText, applyOverrides) is in `spikeflow/node`.
 */
export { configSchema, type RunConfig } from './config/schema.js';
