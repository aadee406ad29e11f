import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { backward } from '../../src/autograd/tape.js';
import { ShapeError } from '../../src/errors.js';
import { softTargetKl } from '../../src/ops/distill.js';
import { membraneScores, reduceOverTime, type TimeReduction } from '../../src/ops/readout.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose, repoRoot } from '../helpers.js';

/*
 * The differentiable pieces of distillation: the soft-target KL (against
 * PyTorch's F.kl_div, test/fixtures/make_kd_fixture.py, and finite
 * differences) and the readouts that turn a time-major output into class
 * scores (against the membrane scores the losses decide by, and finite
 * differences).
 */

const ts64 = getBackendByName('ts64');

interface KdCase {
  B: number;
  C: number;
  temperature: number;
  student: number[];
  teacher: number[];
  loss: number;
  grad_student: number[];
  grad_teacher: number[];
}
const kdCases = (JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', 'distill', 'kd.json'), 'utf8')) as { cases: KdCase[] }).cases;

function rand(rng: Rng, shape: number[], lo = -2, hi = 2): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, () => rng.uniform(lo, hi)), shape, { requiresGrad: true });
}

test('softTargetKl equals PyTorch kl_div(log_softmax(s/T), softmax(t/T), batchmean), value and both gradients', () => {
  assert.ok(kdCases.length >= 4);
  withBackend(ts64, () => {
    for (const c of kdCases) {
      const s = tensor(c.student, [c.B, c.C], { requiresGrad: true });
      const t = tensor(c.teacher, [c.B, c.C], { requiresGrad: true });
      const kl = softTargetKl(s, t, c.temperature);
      const what = `B=${c.B} C=${c.C} T=${c.temperature}`;
      assert.ok(Math.abs(kl.item() - c.loss) <= 1e-12 + 1e-10 * Math.abs(c.loss), `${what}: loss ${kl.item()} vs torch ${c.loss}`);
      backward(kl);
      assertClose(s.grad!.data, c.grad_student, 1e-13, 1e-9, `${what} d/ds`);
      assertClose(t.grad!.data, c.grad_teacher, 1e-13, 1e-9, `${what} d/dt`);
    }
  });
});

test('softTargetKl: zero for equal scores, a hand value, gradcheck in both inputs, shape errors', () => {
  withBackend(ts64, () => {
    const z = tensor([1, 2, 3, 0.5, -1, 2], [2, 3]);
    assert.equal(softTargetKl(z, z, 4).item(), 0);
    // One sample, two classes, T = 1: p = softmax([0, 0]) = [½, ½], q = softmax([ln 3, 0]) = [¾, ¼];
    // KL(p ‖ q) = ½ ln(½/¾) + ½ ln(½/¼) = ½ ln(4/3).
    const v = softTargetKl(tensor([Math.log(3), 0], [1, 2]), tensor([0, 0], [1, 2]), 1).item();
    assert.ok(Math.abs(v - 0.5 * Math.log(4 / 3)) < 1e-15, `${v}`);
    const rng = new Rng(3);
    for (const T of [0.7, 1, 4]) {
      const r = gradcheck(([s, t]) => softTargetKl(s!, t!, T), [rand(rng, [3, 4], -3, 3), rand(rng, [3, 4], -3, 3)]);
      assert.ok(r.ok, `T=${T}: ${r.worst}`);
    }
    assert.throws(() => softTargetKl(tensor([1, 2], [1, 2]), tensor([1, 2, 3], [1, 3]), 1), (e: unknown) => e instanceof ShapeError && /\[1, 2\].*\[1, 3\]/.test((e as Error).message));
    assert.throws(() => softTargetKl(tensor([1, 2], [1, 2]), tensor([1, 2], [1, 2]), 0), /temperature must be > 0/);
  });
});

test('reduceOverTime: the membrane reductions equal membraneScores, sum is the spike count; gradcheck of each', () => {
  withBackend(ts64, () => {
    const rng = new Rng(11);
    const [T, B, C] = [4, 2, 3];
    const x = rand(rng, [T, B, C]);
    const reductions: TimeReduction[] = ['sum', 'mean', 'last', 'max', 'softmax_sum'];
    for (const r of reductions) {
      const out = reduceOverTime(x, r);
      assert.deepEqual(out.shape, [B, C], r);
      if (r === 'sum') {
        const want = Array.from({ length: B * C }, (_, n) => Array.from({ length: T }, (_, t) => x.data[t * B * C + n]!).reduce((a, v) => a + v, 0));
        assertClose(out.data, want, 1e-12, 0, r);
      } else assertClose(out.data, membraneScores(x, r), 1e-12, 0, r);
      const g = gradcheck(([a]) => reduceOverTime(a!, r), [rand(rng, [T, B, C])]);
      assert.ok(g.ok, `${r}: ${g.worst}`);
    }
    assert.throws(() => reduceOverTime(tensor([1, 2], [1, 2]), 'sum'), /time-major \[T, B, C\]/);
  });
});
