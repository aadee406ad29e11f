import type { FuzzTarget } from '../target.js';
import { EVENT_TARGETS } from './events.js';
import { HDF5_TARGETS } from './hdf5.js';
import { MEDIA_TARGETS } from './media.js';
import { SELF_TEST_TARGETS } from './selftest.js';
import { TENSOR_TARGETS } from './tensors.js';
import { TEXT_TARGETS } from './text.js';

/**
 * Every parser the suite fuzzes, in table order. The readers of files
 * spikeflow writes for itself only (run summaries, sweep plans and results,
 * the event caches, the embedded MNIST pack, the SHD child's dump) are not
 * here: they are not meant to be handed untrusted files.
 */
export const TARGETS: readonly FuzzTarget[] = [...TENSOR_TARGETS, ...HDF5_TARGETS, ...EVENT_TARGETS, ...MEDIA_TARGETS, ...TEXT_TARGETS];

export function targetNames(): string[] {
  return TARGETS.map((t) => t.name);
}

/** A parser by name; the harness's self-test targets ('_hang', ...) are found too, though never listed. */
export function findTarget(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name) ?? SELF_TEST_TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown fuzz parser '${name}' (known: ${targetNames().join(', ')})`);
  return t;
}
