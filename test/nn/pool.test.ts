import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { avgPool2d, maxPool2d, poolOutputSize, sumPool2d } from '../../src/ops/pool.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { backward } from '../../src/autograd/tape.js';
import { sum } from '../../src/ops/elementwise.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { assertClose } from '../helpers.js';
import { naivePool, randomArray } from './naive.js';

const ts64 = getBackendByName('ts64');
const ops = { max: maxPool2d, avg: avgPool2d, sum: sumPool2d } as const;

test('pooling equals a direct window reduction (max, avg with and without padding counted, sum)', () => {
  const rng = new Rng(31);
  const cases: [number[], number, number, [number, number], [number, number], [number, number]][] = [
    [[1, 1], 1, 1, [1, 1], [1, 1], [0, 0]],
    [[2, 3], 4, 6, [2, 2], [2, 2], [0, 0]],
    [[3, 1], 7, 5, [3, 2], [2, 1], [1, 1]],
    [[1, 2], 9, 9, [3, 3], [1, 2], [1, 0]],
    [[2], 5, 8, [4, 4], [3, 3], [2, 2]],
  ];
  for (let it = 0; it < 15; it++) {
    const k: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
    cases.push([[1 + rng.int(3), 1 + rng.int(2)], k[0] + rng.int(6), k[1] + rng.int(6), k, [1 + rng.int(3), 1 + rng.int(3)], [rng.int(Math.floor(k[0] / 2) + 1), rng.int(Math.floor(k[1] / 2) + 1)]]);
  }
  for (const [lead, H, W, k, s, p] of cases) {
    const C = 1 + rng.int(3);
    const planes = lead.reduce((a, b) => a * b, 1) * C;
    const xv = randomArray(planes * H * W, () => rng.uniform(-2, 2));
    const Ho = Math.floor((H + 2 * p[0] - k[0]) / s[0]) + 1;
    const Wo = Math.floor((W + 2 * p[1] - k[1]) / s[1]) + 1;
    const geo = { planes, H, W, kh: k[0], kw: k[1], sh: s[0], sw: s[1], ph: p[0], pw: p[1], Ho, Wo };
    const x = tensor(xv, [...lead, C, H, W], { backend: ts64 });
    for (const mode of ['max', 'avg', 'sum'] as const) {
      const y = ops[mode](x, { kernel: k, stride: s, padding: p });
      assert.deepEqual(y.shape, [...lead, C, Ho, Wo]);
      assertClose(y.data, naivePool(mode, geo, xv), 1e-12, 0, `${mode} ${JSON.stringify([lead, H, W, k, s, p])}`);
    }
    const y = avgPool2d(x, { kernel: k, stride: s, padding: p, countIncludePad: false });
    assertClose(y.data, naivePool('avg', geo, xv, false), 1e-12, 0, 'avg excluding padding');
  }
});

test('pooling gradients match finite differences; max routes to the first maximum only', () => {
  withBackend(ts64, () => {
    const rng = new Rng(32);
    for (const mode of ['max', 'avg', 'sum'] as const) {
      const x = tensor(randomArray(2 * 2 * 7 * 6, () => rng.uniform(-1, 1)), [2, 1, 2, 7, 6], { requiresGrad: true });
      const r = gradcheck(([a]) => ops[mode](a!, { kernel: [3, 2], stride: [2, 2], padding: [1, 1] }), [x]);
      assert.ok(r.ok, `${mode}: ${r.worst}`);
    }
    const x = tensor(randomArray(3 * 8 * 8, () => rng.uniform(-1, 1)), [1, 1, 3, 8, 8], { requiresGrad: true });
    const r = gradcheck(([a]) => avgPool2d(a!, { kernel: 3, stride: 2, padding: 1, countIncludePad: false }), [x]);
    assert.ok(r.ok, `avg excl. padding: ${r.worst}`);
    // Ties: the gradient goes to one cell, the first in window order (PyTorch's choice).
    const t = tensor([1, 1, 1, 1], [1, 1, 1, 2, 2], { requiresGrad: true });
    backward(sum(maxPool2d(t, { kernel: 2 })));
    assert.deepEqual(Array.from(t.grad!.data), [1, 0, 0, 0]);
  });
});

test('max pooling keeps spikes binary; bad settings and small inputs throw clear errors', () => {
  withBackend(ts64, () => {
    const s = tensor([0, 1, 0, 0, 0, 0, 0, 0, 1], [1, 1, 1, 3, 3], { binary: true });
    const y = maxPool2d(s, { kernel: 2, stride: 1 });
    assert.equal(y.binary, true);
    assert.deepEqual(Array.from(y.data), [1, 1, 0, 1]);
    assert.equal(sumPool2d(s, { kernel: 2 }).binary, false);
    assert.throws(() => maxPool2d(s, { kernel: 2, padding: 2 }), ConfigError);
    assert.throws(() => maxPool2d(s, { kernel: 4 }), (e: unknown) => e instanceof ShapeError && /maxPool2d: input spatial size \[3, 3\] is too small/.test(e.message));
    assert.throws(() => avgPool2d(tensor([1, 2], [1, 2]), { kernel: 1 }), /avgPool2d: input must be \[\.\.\., C, H, W\]/);
    assert.deepEqual(poolOutputSize('p', [28, 28], { kernel: 2 }), [14, 14]);
    assert.deepEqual(poolOutputSize('p', [7, 7], { kernel: 3, stride: 2, padding: 1 }), [4, 4]);
  });
});
