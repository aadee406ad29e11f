import { ConfigError } from '../errors.js';
import { Rng } from '../tensor/rng.js';
import { subset, type SplitDataset } from './dataset.js';

/**
 * Seed of the generator that picks the validation samples. Fixed, not the
 * run's seed: runs that differ only in their seed hold out the same samples,
 * so what is tuned on them is compared on the same data.
 */
export const VALIDATION_SEED = 0x5a11d;

/**
 * Hold `n` samples of the training split out as a validation split: `n`
 * indices drawn without replacement by a generator seeded with
 * VALIDATION_SEED (a random draw, so a training file sorted by class still
 * gives every class), kept in ascending order; training keeps the rest in
 * their original order. `n` = 0 returns the data unchanged. The test split
 * is never touched. Throws a ConfigError naming `where` when `n` would leave
 * no training sample, or when the data already has a validation split.
 */
export function holdOutValidation(data: SplitDataset, n: number, where = 'data.validation'): SplitDataset {
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${where}: expected a non-negative integer number of samples, got ${n}`);
  if (n === 0) return data;
  const train = data.train;
  if (data.validation) throw new ConfigError(`${where}: dataset '${train.name}' already comes with a validation split`);
  if (n >= train.length) {
    throw new ConfigError(`${where}: ${n} validation samples would leave no training sample: '${train.name}' has ${train.length} training samples (after train_limit)`);
  }
  const order = new Int32Array(train.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  new Rng(VALIDATION_SEED).shuffle(order);
  const held = order.slice(0, n).sort();
  const isHeld = new Uint8Array(train.length);
  for (const i of held) isHeld[i] = 1;
  const kept = new Int32Array(train.length - n);
  for (let i = 0, k = 0; i < train.length; i++) if (!isHeld[i]) kept[k++] = i;
  return { train: subset(train, kept, train.name), test: data.test, validation: subset(train, held, `${train.name} (validation)`) };
}
