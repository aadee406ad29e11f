import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/tensor/rng.js';
import { emulateEvents } from '../../../src/data/events/emulator.js';
import { makeEmulatedNmnist, makeEmulatedNmnistDataset, saccadeFrames } from '../../../src/data/events/saccade.js';

function ramp(values: number[], times: number[]): { frames: Float32Array; times: number[]; width: number; height: number } {
  return { frames: Float32Array.from(values), times, width: 1, height: 1 };
}

test('a log-intensity ramp gives one event per threshold crossing at interpolated times', () => {
  // log(I + eps) rises by 1.1 over 1000 µs (eps tiny): 5 crossings of 0.2, at 1000·0.2k/1.1 µs.
  const eps = 1e-9;
  const s = emulateEvents(ramp([1 - eps, Math.exp(1.1) - eps], [0, 1000]), new Rng(1), { thresholdSigma: 0, logEps: eps });
  assert.equal(s.t.length, 5);
  assert.ok(s.p.every((p) => p === 1));
  assert.deepEqual(Array.from(s.t), [1, 2, 3, 4, 5].map((k) => Math.round((1000 * 0.2 * k) / 1.1)));
  const down = emulateEvents(ramp([Math.exp(1.1) - eps, 1 - eps], [0, 1000]), new Rng(1), { thresholdSigma: 0, thresholdOff: 0.5, logEps: eps });
  assert.deepEqual([down.t.length, down.p[0]], [2, 0]);
});

test('refractory period suppresses crossings that come too soon', () => {
  const eps = 1e-9;
  // Crossings at 182, 364, 545, 727, 909 µs; 300 µs refractory keeps 182, 545, 909.
  const s = emulateEvents(ramp([1 - eps, Math.exp(1.1) - eps], [0, 1000]), new Rng(1), { thresholdSigma: 0, logEps: eps, refractory: 300 });
  assert.deepEqual(Array.from(s.t), [182, 545, 909]);
});

test('an edge moving across a row gives ON events at the leading edge and OFF at the trailing one; deterministic per seed', () => {
  const W = 8, T = 9;
  const frames = new Float32Array(T * W);
  for (let k = 0; k < T; k++) for (let x = 0; x < W; x++) frames[k * W + x] = x >= k - 2 && x < k ? 1 : 0; // a 2-pixel bright bar moving right
  const input = { frames, times: Array.from({ length: T }, (_, k) => k * 100), width: W, height: 1 };
  const m1 = emulateEvents(input, new Rng(9), { noiseRate: 5000 });
  const m2 = emulateEvents(input, new Rng(9), { noiseRate: 5000 });
  const m3 = emulateEvents(input, new Rng(10), { noiseRate: 5000 });
  assert.deepEqual([Array.from(m1.t), Array.from(m1.x)], [Array.from(m2.t), Array.from(m2.x)], 'same seed, same events');
  assert.notDeepEqual([Array.from(m1.t), Array.from(m1.x)], [Array.from(m3.t), Array.from(m3.x)], 'another seed differs');
  // Without threshold mismatch, ON and OFF thresholds are equal, so counts balance per pixel.
  const a = emulateEvents(input, new Rng(9), { thresholdSigma: 0 });
  let on = 0, off = 0;
  for (let i = 0; i < a.t.length; i++) a.p[i] ? on++ : off++;
  assert.ok(on > 0 && off > 0);
  // Every pixel the bar fully passed gets the same number of ON and OFF events (brightness returns to black).
  for (let x = 1; x < 6; x++) {
    let n1 = 0, n0 = 0;
    for (let i = 0; i < a.t.length; i++) if (a.x[i] === x) a.p[i] ? n1++ : n0++;
    assert.ok(n1 > 0 && Math.abs(n1 - n0) <= 1, `pixel ${x}: ON ${n1}, OFF ${n0}`);
  }
  const noisy = emulateEvents({ ...input, frames: new Float32Array(T * W) }, new Rng(3), { noiseRate: 1000 });
  assert.ok(noisy.t.length > 0 && noisy.t.length < 60, `noise events ${noisy.t.length} ≈ 1000 Hz × 8 px × 0.8 ms`);
});

test('saccades make N-MNIST-like 34×34 recordings over three 100 ms saccades', () => {
  const img = new Float32Array(784);
  for (let y = 6; y < 22; y++) for (let x = 12; x < 16; x++) img[y * 28 + x] = 1;
  const { frames, times, sensor } = saccadeFrames(img, 28, { framesPerSaccade: 30 });
  assert.equal(sensor, 34);
  assert.equal(frames.length, 91 * 34 * 34);
  assert.equal(times[90], 300_000);
  const [r] = makeEmulatedNmnist(img, 1, new Rng(4), { framesPerSaccade: 30 });
  assert.ok(r!.t.length > 200);
  assert.equal(r!.width, 34);
  const ds = makeEmulatedNmnistDataset(img, Uint8Array.from([3]), 1, new Rng(4), { framesPerSaccade: 30, nTimeBins: 3 });
  assert.deepEqual([ds.shape, ds.length, ds.numClasses], [[3, 2, 34, 34], 1, 10]);
  assert.equal(ds.images.reduce((a, b) => a + b, 0), r!.t.length);
});
