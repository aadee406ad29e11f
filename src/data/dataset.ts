import { ShapeError } from '../errors.js';
import { fmtShape, sizeOf } from '../tensor/shape.js';

/** Class labels: bytes for datasets with up to 256 classes (IDX ubyte), int32 otherwise. */
export type Labels = Uint8Array | Int32Array;

/**
 * An in-memory labelled dataset. Sample `i` occupies
 * `images[i*features, (i+1)*features)`; values are analog intensities, normally
 * in [0, 1]. `shape` is the per-sample feature shape (channel-first, e.g.
 * `[1, 28, 28]`), so a batch of B samples reshapes to `[B, ...shape]`.
 */
export interface Dataset {
  readonly name: string;
  readonly images: Float32Array;
  readonly labels: Labels;
  readonly shape: readonly number[];
  readonly numClasses: number;
  /** Number of samples. */
  readonly length: number;
  /** Product of `shape`: numbers per sample. */
  readonly features: number;
}

/**
 * A train/test pair, as returned by every loader, and optionally a
 * validation split held out of training (`data.validation`,
 * src/data/validation.ts): what thresholds and other choices are tuned on,
 * so the test split stays untouched.
 */
export interface SplitDataset {
  train: Dataset;
  test: Dataset;
  validation?: Dataset;
}

export interface DatasetInit {
  name: string;
  images: Float32Array;
  labels: Labels;
  shape: readonly number[];
  numClasses: number;
}

/** Build a dataset, checking that images, labels, shape and classes agree. */
export function makeDataset(init: DatasetInit): Dataset {
  const features = sizeOf(init.shape);
  const n = init.labels.length;
  if (features === 0) throw new ShapeError(`dataset '${init.name}': per-sample shape ${fmtShape(init.shape)} has no elements`);
  if (init.images.length !== n * features) {
    throw new ShapeError(
      `dataset '${init.name}': ${init.images.length} image values do not match ${n} labels × ${features} features (shape ${fmtShape(init.shape)})`,
    );
  }
  if (!Number.isInteger(init.numClasses) || init.numClasses < 1) {
    throw new ShapeError(`dataset '${init.name}': numClasses must be a positive integer, got ${init.numClasses}`);
  }
  for (let i = 0; i < n; i++) {
    const y = init.labels[i]!;
    if (y < 0 || y >= init.numClasses) {
      throw new ShapeError(`dataset '${init.name}': label ${y} of sample ${i} is outside [0, ${init.numClasses})`);
    }
  }
  return {
    name: init.name,
    images: init.images,
    labels: init.labels,
    shape: Object.freeze([...init.shape]),
    numClasses: init.numClasses,
    length: n,
    features,
  };
}

/**
 * A new dataset holding copies of the given samples, in the given order
 * (indices may repeat). Copies rather than views so the subset owns compact
 * memory and does not pin the parent's buffers.
 */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const F = ds.features;
  const m = indices.length;
  const images = new Float32Array(m * F);
  const labels = ds.labels instanceof Uint8Array ? new Uint8Array(m) : new Int32Array(m);
  for (let k = 0; k < m; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= ds.length) {
      throw new ShapeError(`subset of '${ds.name}': index ${i} (position ${k}) is outside [0, ${ds.length})`);
    }
    images.set(ds.images.subarray(i * F, (i + 1) * F), k * F);
    labels[k] = ds.labels[i]!;
  }
  return makeDataset({ name, images, labels, shape: ds.shape, numClasses: ds.numClasses });
}

/** The first `n` samples (or all when the dataset is smaller): quick runs and smoke tests. */
export function take(ds: Dataset, n: number): Dataset {
  const m = Math.max(0, Math.min(n, ds.length));
  const idx = new Int32Array(m);
  for (let i = 0; i < m; i++) idx[i] = i;
  return subset(ds, idx);
}

/** Number of samples per class. */
export function classCounts(ds: Dataset): Int32Array {
  const c = new Int32Array(ds.numClasses);
  for (let i = 0; i < ds.length; i++) c[ds.labels[i]!]!++;
  return c;
}
