import { setBackend } from '../backend/registry.js';
import type { RunConfig } from '../config/schema.js';
import { buildSession, loadConfigData, type Session } from '../config/session.js';
import type { SplitDataset } from '../data/dataset.js';
// Registers the datasets that live on disk (mnist, fashion-mnist, idx, nmnist-emulated).
import '../data/datasets-node.js';

/*
 * The Node adapter of the library's session building (src/config/session.ts):
 * the datasets come from disk through the Node dataset entries; everything
 * else is buildSession.
 */

export { checkpointRngs, makeLoader, makeOptimizer, makeScheduler, tensorBatches, trainBatches, type Session } from '../config/session.js';

/**
 * The config's dataset with `train_limit` / `test_limit` applied (event
 * datasets generate only the samples kept). Temporal datasets have
 * `data.frames` (default encoder.steps) time bins and need the `frames`
 * encoder with as many steps.
 */
export function loadSessionData(config: RunConfig, log?: (line: string) => void): SplitDataset {
  return loadConfigData(config, log);
}

/** Load data, build encoder and model; throws typed errors before anything touches disk. */
export function createSession(config: RunConfig, opts: { backend?: string; log?: (line: string) => void; data?: SplitDataset } = {}): Session {
  // The backend is chosen before the data loads, as it always was (`data`: already loaded, as loadSessionData returns it).
  const backend = setBackend(opts.backend ?? config.backend);
  return buildSession(config, { data: opts.data ?? loadSessionData(config, opts.log), backend });
}
