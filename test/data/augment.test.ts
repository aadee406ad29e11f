import test from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { augmentEnabled, cropFlipSample, ImageAugmenter, type AugmentDraw } from '../../src/data/augment.js';
import { checkNormalize, normalizeDataset, normalizedFill } from '../../src/data/normalize.js';
import { makeDataset } from '../../src/data/dataset.js';
import { Rng } from '../../src/tensor/rng.js';

/*
 * The crop and mirror against hand-computed images, against a direct
 * pad → crop → mirror written from their definitions (torchvision's
 * RandomCrop with zero padding followed by RandomHorizontalFlip), the
 * generator's draws, and normalisation.
 */

/** pad by p with `fill`, crop H×W at (dy, dx), mirror if asked: the definition, one pixel at a time. */
function reference(img: Float32Array, [C, H, W]: [number, number, number], p: number, d: AugmentDraw, fill: number[]): Float32Array {
  const Hp = H + 2 * p, Wp = W + 2 * p;
  const padded = new Float32Array(C * Hp * Wp);
  for (let c = 0; c < C; c++) {
    padded.fill(fill[c]!, c * Hp * Wp, (c + 1) * Hp * Wp);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) padded[(c * Hp + y + p) * Wp + x + p] = img[(c * H + y) * W + x]!;
  }
  const crop = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) crop[(c * H + y) * W + x] = padded[(c * Hp + y + d.dy) * Wp + x + d.dx]!;
  if (!d.flip) return crop;
  const out = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[(c * H + y) * W + x] = crop[(c * H + y) * W + (W - 1 - x)]!;
  return out;
}

function run(img: Float32Array, shape: [number, number, number], p: number, d: AugmentDraw, fill: number[]): Float32Array {
  const out = new Float32Array(img.length).fill(NaN);
  cropFlipSample(img, out, shape, p, d, fill);
  return out;
}

// A 1×3×4 image, pixel value 10·row + column + 1 (no zero, so padding shows).
const IMG = Float32Array.from([1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24]);
const S: [number, number, number] = [1, 3, 4];

test('crop: hand-computed images for padding 1 at the corners and the centre', () => {
  // Centre (dy = dx = padding): the image itself.
  assert.deepEqual(Array.from(run(IMG, S, 1, { dy: 1, dx: 1, flip: false }, [0])), Array.from(IMG));
  // Top-left corner of the padded image: shifted down and right, zeros in.
  assert.deepEqual(Array.from(run(IMG, S, 1, { dy: 0, dx: 0, flip: false }, [0])), [0, 0, 0, 0, 0, 1, 2, 3, 0, 11, 12, 13]);
  // Bottom-right: shifted up and left.
  assert.deepEqual(Array.from(run(IMG, S, 1, { dy: 2, dx: 2, flip: false }, [0])), [12, 13, 14, 0, 22, 23, 24, 0, 0, 0, 0, 0]);
  // Top-right, padding value -5.
  assert.deepEqual(Array.from(run(IMG, S, 1, { dy: 0, dx: 2, flip: false }, [-5])), [-5, -5, -5, -5, 2, 3, 4, -5, 12, 13, 14, -5]);
  // Padding 2 at dx = 0: two columns of padding on the left.
  assert.deepEqual(Array.from(run(IMG, S, 2, { dy: 2, dx: 0, flip: false }, [0])), [0, 0, 1, 2, 0, 0, 11, 12, 0, 0, 21, 22]);
});

test('flip: mirrors each row; after a crop it mirrors the cropped image (crop first, as torchvision composes them)', () => {
  assert.deepEqual(Array.from(run(IMG, S, 1, { dy: 1, dx: 1, flip: true }, [0])), [4, 3, 2, 1, 14, 13, 12, 11, 24, 23, 22, 21]);
  // Crop at the top-left ([0,0,0,0 | 0,1,2,3 | 0,11,12,13]), then mirrored.
  assert.deepEqual(Array.from(run(IMG, S, 1, { dy: 0, dx: 0, flip: true }, [0])), [0, 0, 0, 0, 3, 2, 1, 0, 13, 12, 11, 0]);
  // Crop at the bottom-right, mirrored.
  assert.deepEqual(Array.from(run(IMG, S, 1, { dy: 2, dx: 2, flip: true }, [0])), [0, 14, 13, 12, 0, 24, 23, 22, 0, 0, 0, 0]);
});

test('crop + flip equal pad → crop → mirror from the definition for every draw, several channels, padding beyond the image', () => {
  const rng = new Rng(3);
  for (const [shape, p] of [[[3, 5, 6], 2], [[2, 4, 3], 4], [[1, 7, 7], 1], [[3, 32, 32], 4]] as [[number, number, number], number][]) {
    const img = Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => rng.random());
    const fill = Array.from({ length: shape[0] }, (_, c) => -0.5 - c);
    for (let dy = 0; dy <= 2 * p; dy++)
      for (let dx = 0; dx <= 2 * p; dx++)
        for (const flip of [false, true]) {
          const d = { dy, dx, flip };
          assert.deepEqual(run(img, shape, p, d, fill), reference(img, shape, p, d, fill), `shape [${shape}], padding ${p}, draw ${JSON.stringify(d)}`);
        }
  }
});

test('ImageAugmenter: per sample crop row, crop column, then the mirror, from its generator; a batch equals its samples done one by one', () => {
  const shape: [number, number, number] = [3, 8, 8];
  const F = 3 * 64;
  const src = new Rng(9);
  const batch = Float32Array.from({ length: 5 * F }, () => src.random());
  const aug = new ImageAugmenter(shape, { randomCrop: { padding: 2 }, horizontalFlip: true }, new Rng(42));
  const x = batch.slice();
  aug.apply(x, 5);
  const r = new Rng(42);
  for (let b = 0; b < 5; b++) {
    const d = { dy: r.int(5), dx: r.int(5), flip: r.random() < 0.5 };
    assert.deepEqual(x.subarray(b * F, (b + 1) * F), reference(batch.subarray(b * F, (b + 1) * F), shape, 2, d, [0, 0, 0]), `sample ${b}`);
  }
  assert.deepEqual(aug.rng.getState(), r.getState(), 'the generator advanced by exactly the draws');
  // Only the first `size` samples are touched (the last batch of an epoch is shorter).
  const y = batch.slice();
  new ImageAugmenter(shape, { randomCrop: { padding: 2 }, horizontalFlip: true }, new Rng(1)).apply(y, 2);
  assert.deepEqual(y.subarray(2 * F), batch.subarray(2 * F));
});

test('ImageAugmenter: same seed, same images; another seed, others; draws cover every offset and flip about half', () => {
  const shape: [number, number, number] = [1, 28, 28];
  const F = 784;
  const src = new Rng(5);
  const batch = Float32Array.from({ length: 64 * F }, () => src.random());
  const out = (seed: number) => {
    const x = batch.slice();
    new ImageAugmenter(shape, { randomCrop: { padding: 4 }, horizontalFlip: true }, new Rng(seed)).apply(x, 64);
    return x;
  };
  assert.deepEqual(out(7), out(7));
  assert.notDeepEqual(out(7), out(8));
  const aug = new ImageAugmenter(shape, { randomCrop: { padding: 4 }, horizontalFlip: true }, new Rng(11));
  const dys = new Set<number>(), dxs = new Set<number>();
  let flips = 0;
  const n = 4000;
  for (let i = 0; i < n; i++) {
    const d = aug.draw();
    dys.add(d.dy);
    dxs.add(d.dx);
    if (d.flip) flips++;
  }
  assert.deepEqual([...dys].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...dxs].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  // 4000 fair coin flips: 5 standard deviations is ±158.
  assert.ok(Math.abs(flips - n / 2) < 158, `flips ${flips} of ${n}`);
  // Flip only: no crop draws, the image is mirrored or left alone.
  const flipOnly = new ImageAugmenter([1, 3, 4], { randomCrop: null, horizontalFlip: true }, new Rng(2));
  const imgs = new Float32Array(40 * 12);
  for (let b = 0; b < 40; b++) imgs.set(IMG, b * 12);
  flipOnly.apply(imgs, 40);
  const mirrored = [4, 3, 2, 1, 14, 13, 12, 11, 24, 23, 22, 21];
  const kinds = new Set<string>();
  for (let b = 0; b < 40; b++) {
    const s = Array.from(imgs.subarray(b * 12, (b + 1) * 12));
    assert.ok(JSON.stringify(s) === JSON.stringify(Array.from(IMG)) || JSON.stringify(s) === JSON.stringify(mirrored), `sample ${b}: ${s}`);
    kinds.add(JSON.stringify(s));
  }
  assert.equal(kinds.size, 2);
  assert.equal(augmentEnabled({ randomCrop: null, horizontalFlip: false }), false);
  assert.equal(augmentEnabled({ randomCrop: { padding: 1 }, horizontalFlip: false }), true);
});

test('augment and normalize refuse what they cannot apply, naming the key', () => {
  assert.throws(() => new ImageAugmenter([784], { randomCrop: { padding: 4 }, horizontalFlip: false }, new Rng(0), { where: 'data.augment', dataset: 'flat' }), (e: Error) => e instanceof ConfigError && /^data\.augment: applies to images with samples \[C, H, W\]; 'flat' samples are \[784\]/.test(e.message));
  assert.throws(() => new ImageAugmenter([1, 4, 4], { randomCrop: { padding: 0 }, horizontalFlip: false }, new Rng(0), { where: 'data.augment' }), /data\.augment\.random_crop\.padding: expected a positive integer, got 0/);
  assert.throws(() => new ImageAugmenter([1, 4, 4], { randomCrop: { padding: 1.5 }, horizontalFlip: false }, new Rng(0)), /random_crop\.padding/);
  assert.throws(() => checkNormalize({ mean: [0.5, 0.5], std: [0.2, 0.2, 0.2] }, [3, 32, 32], 'data.normalize', 'cifar10'), /ConfigError: data\.normalize\.mean: 2 values for 3 channels \('cifar10' samples are \[3, 32, 32\]\)/);
  assert.throws(() => checkNormalize({ mean: [0.5], std: [0] }, [1, 28, 28], 'data.normalize'), /ConfigError: data\.normalize\.std\[0\]: expected a positive number, got 0/);
  assert.throws(() => checkNormalize({ mean: [0.5], std: [1] }, [10, 700], 'data.normalize', 'shd'), /ConfigError: data\.normalize: applies to images .* 'shd' samples are \[10, 700\]/);
});

test('normalize: (x − mean[c]) / std[c] per channel into a copy; padding a normalised image with normalizedFill equals normalising the zero-padded one', () => {
  const shape: [number, number, number] = [3, 4, 5];
  const F = 60;
  const rng = new Rng(4);
  const images = Float32Array.from({ length: 6 * F }, () => Math.fround(rng.int(256) / 255));
  const labels = Uint8Array.from([0, 1, 2, 0, 1, 2]);
  const ds = makeDataset({ name: 'tiny', images, labels, shape, numClasses: 3 });
  const spec = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] };
  const before = images.slice();
  const n = normalizeDataset(ds, spec);
  assert.deepEqual(images, before, 'the input dataset is left as it is');
  assert.equal(n.labels, ds.labels);
  for (let i = 0; i < 6; i++)
    for (let c = 0; c < 3; c++)
      for (let k = 0; k < 20; k++) {
        const at = i * F + c * 20 + k;
        assert.equal(n.images[at], Math.fround((images[at]! - spec.mean[c]!) / spec.std[c]!), `value ${at}`);
      }
  // Same draws, two orders: augment raw (zero padding) then normalise, or augment the normalised data padding with normalizedFill.
  const a = images.slice();
  new ImageAugmenter(shape, { randomCrop: { padding: 2 }, horizontalFlip: true }, new Rng(21)).apply(a, 6);
  const thenNormalised = normalizeDataset(makeDataset({ name: 'a', images: a, labels, shape, numClasses: 3 }), spec).images;
  const b = n.images.slice();
  new ImageAugmenter(shape, { randomCrop: { padding: 2 }, horizontalFlip: true }, new Rng(21), { fill: normalizedFill(spec) }).apply(b, 6);
  assert.deepEqual(b, thenNormalised);
  assert.ok(b.some((v, k) => v !== n.images[k]), 'the draws changed something');
});
