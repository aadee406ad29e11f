import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { backward } from '../../src/autograd/tape.js';
import { ShapeError } from '../../src/errors.js';
import { selectRows } from '../../src/ops/select.js';
import { randn, tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';

const ts64 = getBackendByName('ts64');

test('selectRows: picks entries of one axis in the given order, keeps the binary flag', () => {
  // [2, 3, 2]: x[t, b, f] = 100t + 10b + f
  const v: number[] = [];
  for (let t = 0; t < 2; t++) for (let b = 0; b < 3; b++) for (let f = 0; f < 2; f++) v.push(100 * t + 10 * b + f);
  const x = tensor(v, [2, 3, 2]);
  const y = selectRows(x, 1, [2, 0]);
  assert.deepEqual(y.shape, [2, 2, 2]);
  assert.deepEqual([...y.data], [20, 21, 0, 1, 120, 121, 100, 101]);
  assert.deepEqual([...selectRows(x, 0, [1]).data], v.slice(6));
  assert.deepEqual([...selectRows(x, 2, [1]).data], [1, 11, 21, 101, 111, 121]);
  assert.deepEqual(selectRows(x, 1, []).shape, [2, 0, 2]);
  const s = tensor([1, 0, 0, 1], [2, 2]);
  s.binary = true;
  assert.equal(selectRows(s, 0, [1]).binary, true);
});

test('selectRows: gradient by finite differences (repeated and skipped indices), and the backward by hand', () => {
  withBackend(ts64, () => {
    const rng = new Rng(5);
    for (const [shape, axis, rows] of [
      [[3, 4, 2], 1, [3, 1, 1]],
      [[5, 3], 0, [4, 0]],
      [[2, 3, 4], 2, [0, 3, 3, 2]],
    ] as [number[], number, number[]][]) {
      const x = randn(shape, rng);
      x.requiresGrad = true;
      const r = gradcheck(([a]) => selectRows(a!, axis, rows), [x]);
      assert.ok(r.ok, `${JSON.stringify({ shape, axis, rows })}: ${r.worst}`);
    }
    const x = tensor([1, 2, 3], [3]);
    x.requiresGrad = true;
    backward(selectRows(x, 0, [2, 2, 0]), tensor([1, 10, 100], [3]));
    assert.deepEqual([...x.grad!.data], [100, 0, 11]);
  });
});

test('selectRows: an index or axis out of range is an error naming it', () => {
  const x = tensor([1, 2, 3, 4], [2, 2]);
  assert.throws(() => selectRows(x, 0, [2]), (e: unknown) => e instanceof ShapeError && /index 2 \(position 0\) out of range \[0, 2\) on axis 0 of \[2, 2\]/.test((e as Error).message));
  assert.throws(() => selectRows(x, 0, [0.5]), ShapeError);
  assert.throws(() => selectRows(x, 2, [0]), (e: unknown) => e instanceof ShapeError && /axis 2 out of range/.test((e as Error).message));
});
