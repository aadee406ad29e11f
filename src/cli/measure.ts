import { profileModel, type ProfileResult } from '../analysis/profile.js';
import { batchTensor, type DataLoader } from '../data/loader.js';
import { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Session } from './session-node.js';

/** Samples of the test set the spike statistics and energy figures are measured on. */
export const MEASURE_SAMPLES = 1024;

/**
 * Per-layer spike rates, operation counts and energy on (up to) the first
 * MEASURE_SAMPLES test samples, encoded with a fixed seed so the measurement
 * does not disturb the training generators and is the same for every run.
 */
export function measureModel(session: Session, testLoader: DataLoader): ProfileResult {
  const rng = new Rng(session.config.seed ^ 0x5eed);
  const shape = session.data.test.shape;
  function* batches(): Generator<Tensor> {
    let seen = 0;
    for (const b of testLoader) {
      if (seen >= MEASURE_SAMPLES) continue; // drain the epoch so the loader resets
      seen += b.size;
      yield session.encoder.encode(batchTensor(b, shape, session.backend), rng);
    }
  }
  return profileModel(session.model, batches());
}
