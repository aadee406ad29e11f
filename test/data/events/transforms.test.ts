import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { Rng } from '../../../src/tensor/rng.js';
import { makeChannelEvents } from '../../../src/data/events/stream.js';
import { ToFrame } from '../../../src/data/events/transforms/frame.js';
import { ToVoxelGrid } from '../../../src/data/events/transforms/voxel.js';
import { ToTimeSurface } from '../../../src/data/events/transforms/time-surface.js';
import { sparseToDense, ToSparseTensor } from '../../../src/data/events/transforms/sparse.js';
import { Denoise, RefractoryPeriod } from '../../../src/data/events/transforms/denoise.js';
import { Downsample } from '../../../src/data/events/transforms/downsample.js';
import { CenterCrop, RandomCrop } from '../../../src/data/events/transforms/crop.js';
import { RandomFlip } from '../../../src/data/events/transforms/flip.js';
import { SpatialJitter, TimeJitter } from '../../../src/data/events/transforms/jitter.js';
import { DropEvent, DropPixel } from '../../../src/data/events/transforms/drop.js';
import { TimeReversal } from '../../../src/data/events/transforms/reverse.js';
import { padCollate } from '../../../src/data/events/transforms/collate.js';
import { compose, transformKey } from '../../../src/data/events/transforms/transform.js';
import { benchEventTransforms } from '../../../src/data/events/bench.js';
import { assertClose } from '../../helpers.js';
import { dvs } from './util.js';

const rng = (): Rng => new Rng(5);
// 2×2 sensor, events at t = 0, 10, 20, 30
const s4 = dvs([[0, 0, 0, 1], [1, 0, 10, 0], [1, 1, 20, 1], [1, 1, 30, 1]], 2, 2);

test('ToFrame by time bins, time window with overlap, event count', () => {
  const f = new ToFrame({ nTimeBins: 2 }).apply(s4);
  assert.deepEqual(f.shape, [2, 2, 2, 2]);
  // bin 0 = [0, 15): ON (0,0), OFF (1,0); bin 1 = [15, 30]: ON (1,1) twice
  assert.deepEqual(Array.from(f.data), [0, 1, 0, 0, 1, 0, 0, 0, /* bin 1 */ 0, 0, 0, 0, 0, 0, 0, 2]);
  const w = new ToFrame({ timeWindow: 20, overlap: 10 }).apply(s4); // windows [0,20), [10,30)
  assert.deepEqual(w.shape[0], 2);
  assert.deepEqual(Array.from(w.data.subarray(0, 8)), [0, 1, 0, 0, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(w.data.subarray(8)), [0, 1, 0, 0, 0, 0, 0, 1]);
  const c = new ToFrame({ eventCount: 3, includeIncomplete: true }).apply(s4);
  assert.equal(c.shape[0], 2);
  assert.equal(c.data.subarray(8).reduce((a, b) => a + b, 0), 1);
  const ch = makeChannelEvents({ t: [0, 1, 2], channel: [2, 2, 0], channels: 3 });
  const fc = new ToFrame({ nTimeBins: 1 }).apply(ch);
  assert.deepEqual([fc.shape, Array.from(fc.data)], [[1, 3], [1, 0, 2]]);
  assert.throws(() => new ToFrame({ nTimeBins: 2, timeWindow: 3 }), ConfigError);
});

test('ToVoxelGrid splits each event bilinearly between neighbouring bins', () => {
  const v = new ToVoxelGrid(3).apply(s4); // τ = 2t/30: 0, 2/3, 4/3, 2
  assert.deepEqual(v.shape, [3, 2, 2]);
  const at = (b: number, y: number, x: number): number => v.data[b * 4 + y * 2 + x]!;
  assertClose([at(0, 0, 0), at(0, 0, 1), at(1, 0, 1), at(1, 1, 1), at(2, 1, 1)], [1, -1 / 3, -2 / 3, 2 / 3, 1 / 3 + 1], 1e-6);
});

test('ToTimeSurface decays exponentially from the latest event', () => {
  const ts = new ToTimeSurface(20, 10).apply(s4); // windows end at 20 and 40
  assert.deepEqual(ts.shape, [2, 2, 2, 2]);
  assertClose([ts.data[4]!, ts.data[1]!, ts.data[7]!], [Math.exp(-2), Math.exp(-1), 0], 1e-6); // ON(0,0) at 0, OFF(1,0) at 10, ON(1,1) not yet
  assertClose([ts.data[8 + 7]!], [Math.exp(-1)], 1e-6); // ON(1,1) last at 30, end 40
});

test('ToSparseTensor matches ToFrame', () => {
  const spec = { nTimeBins: 2 };
  const sp = new ToSparseTensor(spec).apply(s4);
  assert.equal(sp.nnz, 3);
  assert.deepEqual(Array.from(sp.indices.subarray(sp.nnz * 4 - 4)), [1, 1, 1, 1]);
  assert.deepEqual(Array.from(sparseToDense(sp)), Array.from(new ToFrame(spec).apply(s4).data));
});

test('Denoise keeps supported events; RefractoryPeriod drops quick repeats', () => {
  const s = dvs([[0, 0, 0, 1], [1, 0, 5, 1], [3, 3, 6, 1], [1, 1, 100, 1]], 4, 4);
  const d = new Denoise(10).apply(s);
  assert.deepEqual(Array.from(d.t), [5]); // only (1,0) had a neighbour within 10 µs
  const r = new RefractoryPeriod(10).apply(dvs([[0, 0, 0, 1], [0, 0, 5, 0], [0, 0, 10, 1], [1, 0, 11, 1]], 2, 1));
  assert.deepEqual(Array.from(r.t), [0, 10, 11]);
});

test('Downsample, crops and flips', () => {
  const d = new Downsample({ spatialFactor: 0.5, timeFactor: 0.1 }).apply(s4);
  assert.ok(d.kind === 'dvs');
  if (d.kind === 'dvs') assert.deepEqual([d.width, d.height, Array.from(d.x), Array.from(d.t)], [1, 1, [0, 0, 0, 0], [0, 1, 2, 3]]);
  const big = dvs([[0, 0, 0, 1], [2, 1, 1, 0], [3, 3, 2, 1]], 4, 4);
  const c = new CenterCrop(2, 2).apply(big);
  assert.deepEqual([c.width, Array.from(c.x), Array.from(c.y)], [2, [1], [0]]);
  const rc = new RandomCrop(4, 4).apply(big, rng());
  assert.equal(rc.t.length, 3);
  const fx = new RandomFlip('x', 1).apply(big, rng());
  const fp = new RandomFlip('p', 1).apply(big, rng());
  assert.ok(fx.kind === 'dvs' && fp.kind === 'dvs');
  if (fx.kind === 'dvs') assert.deepEqual(Array.from(fx.x), [3, 1, 0]);
  if (fp.kind === 'dvs') assert.deepEqual(Array.from(fp.p), [0, 1, 0]);
  assert.equal(new RandomFlip('y', 0).apply(big, rng()), big);
});

test('jitter, drop and reversal are seeded and keep the stream sorted', () => {
  const base = dvs(Array.from({ length: 200 }, (_, i) => [i % 4, (i >> 2) % 4, i * 10, i & 1] as [number, number, number, number]), 4, 4);
  const tj = new TimeJitter(30, { round: true });
  const a = tj.apply(base, new Rng(1)), b = tj.apply(base, new Rng(1));
  assert.deepEqual(Array.from(a.t), Array.from(b.t));
  for (let i = 1; i < a.t.length; i++) assert.ok(a.t[i]! >= a.t[i - 1]!);
  assert.ok(a.t.some((t, i) => t !== base.t[i]));
  const sj = new SpatialJitter(1).apply(base, new Rng(2));
  assert.ok(sj.t.length < 200 && sj.t.length > 50, 'some events pushed off the sensor are dropped');
  const de = new DropEvent(0.5).apply(base, new Rng(3));
  assert.ok(de.t.length > 60 && de.t.length < 140);
  const dp = new DropPixel({ pixels: [[0, 0]] }).apply(base, rng());
  assert.equal(dp.t.length, 200 - 13);
  const tr = new TimeReversal(1).apply(dvs([[0, 0, 0, 1], [1, 0, 10, 0], [1, 1, 40, 1]], 2, 2), rng());
  assert.ok(tr.kind === 'dvs');
  if (tr.kind === 'dvs') assert.deepEqual([Array.from(tr.t), Array.from(tr.x), Array.from(tr.p)], [[0, 30, 40], [1, 1, 0], [0, 1, 0]]);
});

test('compose, transform keys and padCollate', () => {
  const pipe = compose(new DropPixel({ pixels: [[0, 0]] }), new ToFrame({ nTimeBins: 2 }));
  assert.equal(pipe.random, false);
  const out = pipe.apply(s4, rng());
  assert.deepEqual([out.data[4], out.data[1]], [0, 1], 'ON at (0,0) dropped, OFF at (1,0) kept');
  assert.notEqual(transformKey(new ToFrame({ nTimeBins: 2 })), transformKey(new ToFrame({ nTimeBins: 3 })));
  assert.equal(transformKey(new ToFrame({ nTimeBins: 2 })), transformKey(new ToFrame({ nTimeBins: 2 })));
  const b = padCollate([{ data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] }, { data: Float32Array.from([5, 6]), shape: [1, 2] }]);
  assert.deepEqual([b.shape, Array.from(b.data), Array.from(b.lengths)], [[2, 2, 2], [1, 2, 3, 4, 5, 6, 0, 0], [2, 1]]);
  const tm = padCollate([{ data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] }, { data: Float32Array.from([5, 6]), shape: [1, 2] }], { timeMajor: true });
  assert.deepEqual([tm.shape, Array.from(tm.data)], [[2, 2, 2], [1, 2, 5, 6, 3, 4, 0, 0]]);
});

test('benchEventTransforms returns timings', () => {
  const r = benchEventTransforms(20_000, 1);
  assert.equal(r.length, 3);
  for (const x of r) assert.ok(x.ms >= 0 && x.events === 20_000);
});
