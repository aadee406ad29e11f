import { ConfigError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import { makeDataset, type Dataset } from './dataset.js';

/*
 * Per-channel normalisation, (x − mean[c]) / std[c], of image samples
 * [C, H, W] (torchvision's Normalize). It is preprocessing, not augmentation:
 * the same map applies to the training and the test split, once, when a
 * session is built, so everything that reads the session's data (training,
 * evaluation, measurement, plots) sees the same inputs.
 */

export interface NormalizeSpec {
  mean: readonly number[];
  std: readonly number[];
}

/**
 * Check a spec against a sample shape: [C, H, W] samples, one finite mean
 * and one positive std per channel. Errors name `where` ('data.normalize').
 */
export function checkNormalize(spec: NormalizeSpec, shape: readonly number[], where = 'normalize', dataset?: string): void {
  const of = dataset !== undefined ? `'${dataset}' samples are` : 'the samples are';
  if (shape.length !== 3) throw new ConfigError(`${where}: applies to images with samples [C, H, W]; ${of} ${fmtShape(shape)}`);
  const C = shape[0]!;
  for (const key of ['mean', 'std'] as const) {
    const v = spec[key];
    if (v.length !== C) throw new ConfigError(`${where}.${key}: ${v.length} value${v.length === 1 ? '' : 's'} for ${C} channel${C === 1 ? '' : 's'} (${of} ${fmtShape(shape)})`);
    v.forEach((x, c) => {
      if (!Number.isFinite(x) || (key === 'std' && !(x > 0))) {
        throw new ConfigError(`${where}.${key}[${c}]: expected a ${key === 'std' ? 'positive' : 'finite'} number, got ${JSON.stringify(x)}`);
      }
    });
  }
}

/**
 * The normalised value of `x` in channel `c`. One formula for the data and
 * for the crop's padding value (normalizedFill), so padding a normalised
 * image gives exactly what normalising a zero-padded image gives.
 */
function normalized(x: number, mean: number, std: number): number {
  return (x - mean) / std;
}

/** Per channel, the value a 0 pixel normalises to (rounded to float32): the padding of a normalised image. */
export function normalizedFill(spec: NormalizeSpec): number[] {
  return spec.mean.map((m, c) => Math.fround(normalized(0, m, spec.std[c]!)));
}

/**
 * A normalised copy of a dataset of [C, H, W] samples (the input is left as
 * it is: loaders may hand out arrays they keep). Checked with checkNormalize.
 */
export function normalizeDataset(ds: Dataset, spec: NormalizeSpec, where = 'normalize'): Dataset {
  checkNormalize(spec, ds.shape, where, ds.name);
  const [C, H, W] = ds.shape as [number, number, number];
  const plane = H * W;
  const src = ds.images;
  const out = new Float32Array(src.length);
  for (let i = 0; i < ds.length; i++) {
    for (let c = 0; c < C; c++) {
      const m = spec.mean[c]!, s = spec.std[c]!;
      const o = (i * C + c) * plane;
      for (let k = o; k < o + plane; k++) out[k] = normalized(src[k]!, m, s);
    }
  }
  return makeDataset({ name: ds.name, images: out, labels: ds.labels, shape: ds.shape, numClasses: ds.numClasses });
}
