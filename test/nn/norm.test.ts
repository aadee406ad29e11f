import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { full, tensor, zeros } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { batchNorm } from '../../src/ops/norm.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { ShapeError } from '../../src/errors.js';
import { assertClose } from '../helpers.js';
import { naiveBatchNorm, randomArray } from './naive.js';

const ts = getBackendByName('ts');
const ts64 = getBackendByName('ts64');

test('batch norm (training) normalises over folded T·B and space; running stats follow PyTorch momentum with unbiased variance', () => {
  withBackend(ts64, () => {
    const rng = new Rng(41);
    const cases: [number[], number][] = [[[3, 2, 4, 5, 3], 2], [[2, 5, 3], 2], [[1, 1, 2, 3], 2], [[4, 3], 1]];
    for (const [shape, axis] of cases) {
      const C = shape[axis]!;
      const N = shape.slice(0, axis).reduce((a, b) => a * b, 1);
      const P = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const xv = randomArray(N * C * P, () => rng.uniform(-3, 5));
      const g = randomArray(C, () => rng.uniform(0.5, 2));
      const b = randomArray(C, () => rng.uniform(-1, 1));
      const rm0 = randomArray(C, () => rng.uniform(-1, 1));
      const rv0 = randomArray(C, () => rng.uniform(0.5, 2));
      const running = { mean: tensor(rm0, [C]), variance: tensor(rv0, [C]) };
      for (const scale of [1, 0.5 * 1.5]) {
        const rmBefore = Array.from(running.mean.data);
        const rvBefore = Array.from(running.variance.data);
        const y = batchNorm(tensor(xv, shape), tensor(g, [C]), tensor(b, [C]), running, { channelAxis: axis, training: true, momentum: 0.3, eps: 1e-5, scale });
        const ref = naiveBatchNorm(N, C, P, xv, g, b, 1e-5, scale);
        assertClose(y.data, ref.y, 1e-10, 1e-10, `bn ${shape}`);
        const M = N * P;
        assertClose(running.mean.data, rmBefore.map((r, c) => 0.7 * r + 0.3 * ref.mean[c]!), 1e-12, 0, 'running mean');
        assertClose(running.variance.data, rvBefore.map((r, c) => 0.7 * r + (0.3 * ref.variance[c]! * M) / (M - 1)), 1e-12, 0, 'running var');
      }
    }
  });
});

test('batch norm in eval uses the running statistics and leaves them unchanged', () => {
  withBackend(ts64, () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [3, 1, 2]);
    const running = { mean: tensor([1, -1], [2]), variance: tensor([4, 0.25], [2]) };
    const eps = 1e-5;
    const y = batchNorm(x, tensor([2, 1], [2]), tensor([0, 1], [2]), running, { channelAxis: 2, training: false, eps });
    const exp = [1, 3, 5].flatMap((a, i) => {
      const bch = [2, 4, 6][i]!;
      return [(2 * (a - 1)) / Math.sqrt(4 + eps), (bch + 1) / Math.sqrt(0.25 + eps) + 1];
    });
    assertClose(y.data, exp, 1e-12, 0, 'eval');
    assert.deepEqual(Array.from(running.mean.data), [1, -1]);
    assert.deepEqual(Array.from(running.variance.data), [4, 0.25]);
  });
});

test('batch norm and tdBN gradients match finite differences in training and eval modes', () => {
  withBackend(ts64, () => {
    const rng = new Rng(42);
    for (const training of [true, false])
      for (const scale of [1, 0.7]) {
        const x = tensor(randomArray(2 * 3 * 3 * 2 * 2, () => rng.uniform(-2, 2)), [2, 3, 3, 2, 2], { requiresGrad: true });
        const g = tensor(randomArray(3, () => rng.uniform(0.5, 1.5)), [3], { requiresGrad: true });
        const b = tensor(randomArray(3, () => rng.uniform(-1, 1)), [3], { requiresGrad: true });
        const running = { mean: tensor([0.1, -0.2, 0.3], [3]), variance: tensor([1.5, 0.7, 1.1], [3]) };
        const r = gradcheck(([a, gg, bb]) => batchNorm(a!, gg!, bb!, running, { channelAxis: 2, training, momentum: 0, scale }), [x, g, b]);
        assert.ok(r.ok, `training=${training} scale=${scale}: ${r.worst}`);
      }
    // No affine parameters, [T, B, C] input.
    const x = tensor(randomArray(4 * 2 * 3, () => rng.uniform(-2, 2)), [4, 2, 3], { requiresGrad: true });
    const r = gradcheck(([a]) => batchNorm(a!, null, null, null, { channelAxis: 2, training: true }), [x]);
    assert.ok(r.ok, `no affine: ${r.worst}`);
  });
});

test('batch norm on float32 matches float64; bad shapes throw', () => {
  const rng = new Rng(43);
  const xv = randomArray(5 * 4 * 2 * 6, () => rng.uniform(-1, 1) + 100);
  const y32 = batchNorm(tensor(xv, [5, 4, 2, 6], { backend: ts }), null, null, null, { channelAxis: 2, training: true });
  const ref = naiveBatchNorm(20, 2, 6, xv, [1, 1], [0, 0], 1e-5);
  assertClose(y32.data, ref.y, 1e-3, 0, 'float32 with a large mean');
  withBackend(ts64, () => {
    assert.throws(() => batchNorm(zeros([1, 1, 3]), null, null, null, { channelAxis: 2, training: true }), (e: unknown) => e instanceof ShapeError && /more than one value per channel/.test(e.message));
    assert.throws(() => batchNorm(zeros([2, 2, 3]), full([4], 1), null, null, { channelAxis: 2, training: true }), /weight \[4\] does not match 3 channels/);
  });
});
