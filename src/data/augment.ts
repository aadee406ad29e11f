import { ConfigError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';
import { fmtShape } from '../tensor/shape.js';

/*
 * Random image augmentation of training batches, drawn per sample from a
 * seeded generator: a crop of the image's own size from the image padded on
 * every side (torchvision's RandomCrop(size, padding)), then a left-right
 * mirror with probability 1/2 (RandomHorizontalFlip). Samples are [C, H, W].
 * It rewrites a batch's buffer in place, on the main thread, once per batch:
 * plain loops over contiguous rows, no allocation after construction.
 */

/** What to apply (the config's `data.augment`, camelCased). */
export interface AugmentSpec {
  /** Crop H×W out of the image padded by `padding` pixels on each side; null: no crop. */
  randomCrop: { padding: number } | null;
  /** Mirror each sample left-right with probability 0.5. */
  horizontalFlip: boolean;
}

/** One sample's draws: the crop's top-left corner in the padded image, and the mirror. */
export interface AugmentDraw {
  dy: number;
  dx: number;
  flip: boolean;
}

/** True when the spec changes anything (a run without augmentation keeps no generator for it). */
export function augmentEnabled(spec: AugmentSpec): boolean {
  return spec.randomCrop !== null || spec.horizontalFlip;
}

/**
 * Crop and mirror one [C, H, W] sample from `src` into `dst` (distinct
 * arrays): output pixel (y, x) is the padded image's pixel (y + dy, x' + dx)
 * with x' = W − 1 − x when mirrored (the crop is taken first, then mirrored,
 * as torchvision composes them); the padding reads `fill[c]` (0 for raw
 * pixels; a normalised dataset pads with the value 0 normalises to, so
 * padding-then-normalising and normalising-then-padding agree).
 */
export function cropFlipSample(
  src: Float32Array,
  dst: Float32Array,
  shape: readonly [number, number, number],
  padding: number,
  draw: AugmentDraw,
  fill: ArrayLike<number>,
  srcOffset = 0,
  dstOffset = 0,
): void {
  const [C, H, W] = shape;
  const { dy, dx, flip } = draw;
  // Output columns whose source column lies inside the image: [x0, x1).
  const shift = dx - padding;
  const x0 = flip ? Math.max(0, shift) : Math.max(0, -shift);
  const x1 = flip ? Math.min(W, W + shift) : Math.min(W, W - shift);
  for (let c = 0; c < C; c++) {
    const f = fill[c]!;
    for (let y = 0; y < H; y++) {
      const o = dstOffset + (c * H + y) * W;
      const sy = y + dy - padding;
      if (sy < 0 || sy >= H || x0 >= x1) {
        dst.fill(f, o, o + W);
        continue;
      }
      const row = srcOffset + (c * H + sy) * W;
      for (let x = 0; x < x0; x++) dst[o + x] = f;
      if (flip) {
        // Output x reads source column W − 1 − x + shift.
        const base = row + W - 1 + shift;
        for (let x = x0; x < x1; x++) dst[o + x] = src[base - x]!;
      } else {
        const base = row + shift;
        for (let x = x0; x < x1; x++) dst[o + x] = src[base + x]!;
      }
      for (let x = x1; x < W; x++) dst[o + x] = f;
    }
  }
}

/**
 * Check a spec against a sample shape: [C, H, W] samples, a positive integer
 * crop padding. Errors name `where` ('data.augment') and the dataset.
 */
export function checkAugment(spec: AugmentSpec, sampleShape: readonly number[], where = 'augment', dataset?: string): void {
  const of = dataset !== undefined ? `'${dataset}' samples are` : 'the samples are';
  if (sampleShape.length !== 3 || sampleShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ConfigError(`${where}: applies to images with samples [C, H, W]; ${of} ${fmtShape(sampleShape)}`);
  }
  const crop = spec.randomCrop;
  if (crop !== null && !(Number.isInteger(crop.padding) && crop.padding >= 1)) {
    throw new ConfigError(`${where}.random_crop.padding: expected a positive integer, got ${JSON.stringify(crop.padding)}`);
  }
}

export interface ImageAugmenterOptions {
  /** Per-channel value of the padding (default 0 for every channel). */
  fill?: readonly number[];
  /** Prefix of error messages ('data.augment'). */
  where?: string;
  /** Dataset name for error messages. */
  dataset?: string;
}

/**
 * Applies an AugmentSpec to batches of [C, H, W] samples in place. The draws
 * come from `rng`, in a fixed order per sample (crop row, crop column, then
 * the mirror), so a run is reproducible from its seed, and saving the
 * generator's state with a checkpoint continues the same draws on resume.
 */
export class ImageAugmenter {
  readonly spec: AugmentSpec;
  readonly rng: Rng;
  readonly shape: readonly [number, number, number];
  private readonly fill: Float64Array;
  private readonly padding: number;
  private readonly scratch: Float32Array;

  constructor(sampleShape: readonly number[], spec: AugmentSpec, rng: Rng, opts: ImageAugmenterOptions = {}) {
    checkAugment(spec, sampleShape, opts.where, opts.dataset);
    const [C, H, W] = sampleShape as [number, number, number];
    const crop = spec.randomCrop;
    const fill = opts.fill ?? new Array<number>(C).fill(0);
    if (fill.length !== C) throw new ConfigError(`${opts.where ?? 'augment'}: ${fill.length} padding values for ${C} channels`);
    this.spec = { randomCrop: crop === null ? null : { padding: crop.padding }, horizontalFlip: spec.horizontalFlip };
    this.rng = rng;
    this.shape = [C, H, W];
    this.fill = Float64Array.from(fill);
    this.padding = crop?.padding ?? 0;
    this.scratch = new Float32Array(C * H * W);
  }

  /** The next sample's draws (advances the generator). */
  draw(): AugmentDraw {
    const p = this.padding;
    const dy = this.spec.randomCrop !== null ? this.rng.int(2 * p + 1) : p;
    const dx = this.spec.randomCrop !== null ? this.rng.int(2 * p + 1) : p;
    const flip = this.spec.horizontalFlip ? this.rng.random() < 0.5 : false;
    return { dy, dx, flip };
  }

  /** Augment the first `size` samples of `x` (back to back) in place. */
  apply(x: Float32Array, size: number): void {
    const F = this.scratch.length;
    if (x.length < size * F) throw new ConfigError(`augment: a batch of ${size} samples of ${fmtShape(this.shape)} needs ${size * F} values, got ${x.length}`);
    for (let b = 0; b < size; b++) {
      const d = this.draw();
      // Identity draws (no shift, no mirror) leave the sample as it is.
      if (d.dy === this.padding && d.dx === this.padding && !d.flip) continue;
      this.scratch.set(x.subarray(b * F, (b + 1) * F));
      cropFlipSample(this.scratch, x, this.shape, this.padding, d, this.fill, 0, b * F);
    }
  }
}
