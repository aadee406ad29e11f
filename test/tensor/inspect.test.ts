import test from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { tensor, zeros } from '../../src/tensor/create.js';
import { getBackend } from '../../src/backend/registry.js';

test('Tensor toString / util.inspect: shape, dtype, backend, flags, first values', () => {
  const be = getBackend().name;
  const t = tensor([0.5, 1, 2.25, 3], [2, 2]);
  assert.equal(t.toString(), `Tensor[2, 2] float32 ${be} [0.5, 1, 2.25, 3]`);
  assert.equal(inspect(t), t.toString());
  assert.equal(String(tensor([1 / 3], [1])), `Tensor[1] float32 ${be} [0.3333]`);
  const spikes = tensor([0, 1, 1, 0, 0, 1, 0, 0, 1, 1], [10], { binary: true });
  assert.equal(spikes.toString(), `Tensor[10] float32 ${be} binary [0, 1, 1, 0, 0, 1, 0, 0, … 2 more]`);
  const p = zeros([3]);
  p.requiresGrad = true;
  assert.match(p.toString(), /requiresGrad \[0, 0, 0\]$/);
});

test('toNested nests by shape; toArray stays flat', () => {
  const t = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  assert.deepEqual(t.toNested(), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(t.toArray(), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(tensor([1, 2, 3, 4], [2, 1, 2]).toNested(), [[[1, 2]], [[3, 4]]]);
  assert.equal(tensor([7], []).toNested(), 7);
  assert.deepEqual(zeros([2, 0]).toNested(), [[], []]);
});
