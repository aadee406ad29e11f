import test from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/tensor/create.js';
import { deltaEncode } from '../../src/encoding/delta.js';
import { ShapeError } from '../../src/errors.js';

const b = [1, 2, 0, 2, 2.9]; // one input over 5 steps, shape [5, 1]

test('delta: ON spikes and signed OFF spikes (snnTorch examples)', () => {
  const x = tensor(b, [5, 1]);
  const on = deltaEncode(x, { threshold: 1 });
  assert.equal(on.binary, true);
  assert.deepEqual([...on.data], [1, 1, 0, 1, 0]);
  const signed = deltaEncode(x, { threshold: 1, off: 'signed' });
  assert.equal(signed.binary, false);
  assert.deepEqual([...signed.data], [1, 1, -1, 1, 0]);
  assert.deepEqual([...deltaEncode(x, { threshold: 1, off: 'signed', padding: true }).data], [0, 1, -1, 1, 0]);
});

test('delta: ON/OFF channels layout [T, B, 2·F0, ...]', () => {
  // T=3, B=2, F=2: sample 0 feature 0 rises then falls, sample 1 feature 1 falls
  const x = tensor([
    0, 0, 5, 5, // t0
    0.5, 0, 5, 4.5, // t1
    0, 0, 5, 4.5, // t2
  ], [3, 2, 2]);
  const s = deltaEncode(x, { threshold: 0.4, off: 'channels', padding: true });
  assert.deepEqual([...s.shape], [3, 2, 4]);
  assert.equal(s.binary, true);
  assert.deepEqual([...s.data], [
    0, 0, 0, 0, 0, 0, 0, 0, // t0: padding → no change
    1, 0, 0, 0, 0, 0, 0, 1, // t1: s0 f0 ON; s1 f1 OFF
    0, 0, 1, 0, 0, 0, 0, 0, // t2: s0 f0 OFF (−0.5)
  ]);
  // without padding step 0 compares with zero
  assert.deepEqual([...deltaEncode(x, { threshold: 0.4 }).data.subarray(0, 4)], [0, 0, 1, 1]);
  assert.deepEqual([...deltaEncode(tensor([0, 1], [2, 1]), { off: 'channels' }).shape], [2, 1, 2]);
  assert.throws(() => deltaEncode(tensor([1, 2], [2])), ShapeError);
});
