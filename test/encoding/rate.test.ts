import test from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { poissonEncode, rateEncode } from '../../src/encoding/rate.js';
import { ConfigError } from '../../src/errors.js';

function ratesPerInput(data: ArrayLike<number>, T: number, n: number): number[] {
  const r = new Array<number>(n).fill(0);
  for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) r[i]! += data[t * n + i]!;
  return r.map((c) => c / T);
}

test('rate: 0/1 spikes, time-major shape, empirical rate ≈ intensity', () => {
  const xs = [0, 0.1, 0.5, 0.9, 1, -0.3, 1.7];
  const x = tensor(xs, [1, 7]);
  const T = 4000;
  const s = rateEncode(x, T, new Rng(3));
  assert.deepEqual([...s.shape], [T, 1, 7]);
  assert.equal(s.binary, true);
  for (const v of s.data) assert.ok(v === 0 || v === 1);
  const r = ratesPerInput(s.data, T, 7);
  const expected = [0, 0.1, 0.5, 0.9, 1, 0, 1];
  for (let i = 0; i < 7; i++) {
    const p = expected[i]!;
    const tol = 5 * Math.sqrt((p * (1 - p)) / T) + 1e-12; // 5 standard deviations
    assert.ok(Math.abs(r[i]! - p) <= tol, `input ${xs[i]}: rate ${r[i]} vs ${p}`);
  }
  assert.equal(r[0], 0, 'zero intensity never spikes');
  assert.equal(r[4], 1, 'full intensity always spikes');
});

test('rate: gain and offset, seeds reproduce, other seeds differ', () => {
  const x = tensor([0.2, 0.3, 0.6, 0.05], [2, 2]);
  const T = 3000;
  const r = ratesPerInput(rateEncode(x, T, new Rng(1), { gain: 2, offset: 0.1 }).data, T, 4);
  const want = [0.5, 0.7, 1, 0.2];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(r[i]! - want[i]!) < 0.05, `${r[i]} vs ${want[i]}`);
  const a = rateEncode(x, 20, new Rng(77));
  const b = rateEncode(x, 20, new Rng(77));
  const c = rateEncode(x, 20, new Rng(78));
  assert.deepEqual([...a.data], [...b.data]);
  assert.notDeepEqual([...a.data], [...c.data]);
  assert.throws(() => rateEncode(x, 0, new Rng(1)), ConfigError);
});

test('poisson: per-step probability x·maxRate·dt', () => {
  const x = tensor([1, 0.5, 0], [1, 3]);
  const T = 5000;
  const r = ratesPerInput(poissonEncode(x, T, new Rng(4), { maxRate: 200, dt: 1e-3 }).data, T, 3);
  assert.ok(Math.abs(r[0]! - 0.2) < 0.03, `${r[0]}`);
  assert.ok(Math.abs(r[1]! - 0.1) < 0.025, `${r[1]}`);
  assert.equal(r[2], 0);
  assert.throws(() => poissonEncode(x, 5, new Rng(1), { dt: 0 }), ConfigError);
});

test('rate: the inlined generator draws exactly the Rng.nextU32 stream', () => {
  const xs = [0.3, 0, 0.7, 1, 0.05, 0.5];
  const x = tensor(xs, [2, 3]);
  const T = 50;
  const fast = new Rng(11), ref = new Rng(11);
  const s = rateEncode(x, T, fast);
  const want: number[] = [];
  for (let t = 0; t < T; t++)
    for (const v of xs) {
      if (v === 0) want.push(0);
      else if (v >= 1) want.push(1);
      else want.push(ref.nextU32() < Math.fround(v) * 4294967296 ? 1 : 0);
    }
  assert.deepEqual([...s.data], want);
  assert.deepEqual(fast.getState(), ref.getState(), 'generator left in the same state');
  assert.equal(fast.nextU32(), ref.nextU32());
});
