import test from 'node:test';
import assert from 'node:assert/strict';
import { chooseThreshold, oracleFront, paretoFront, simulateExit, thresholdSweep, type Trajectories } from '../../src/early-exit/front.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/rng.js';

/** Trajectories from per-sample rows of [confidence, class] pairs. */
function traj(rows: [number, number][][], labels: number[]): Trajectories {
  const T = rows[0]!.length;
  return {
    samples: rows.length,
    steps: T,
    confidence: Float64Array.from(rows.flatMap((r) => r.map(([c]) => c))),
    prediction: Int32Array.from(rows.flatMap((r) => r.map(([, k]) => k))),
    labels: Int32Array.from(labels),
  };
}

// Three samples, T = 4; label 1 for all.
// s0: confident early and right: stops at step 2 for thresholds in (0.6, 0.8].
// s1: right only from step 3 on, confidence rises slowly.
// s2: wrong at the end, right at step 2.
const tr = traj(
  [
    [[0.6, 1], [0.8, 1], [0.7, 1], [0.9, 1]],
    [[0.3, 0], [0.5, 0], [0.65, 1], [0.95, 1]],
    [[0.4, 2], [0.55, 1], [0.5, 2], [0.7, 2]],
  ],
  [1, 1, 1],
);

test('simulateExit: each sample stops at its first step with confidence ≥ threshold, else at T', () => {
  const a = simulateExit(tr, 0.6);
  assert.deepEqual([...a.steps], [1, 3, 4]);
  assert.deepEqual([...a.predictions], [1, 1, 2]);
  assert.equal(a.accuracy, 2 / 3);
  assert.equal(a.meanSteps, 8 / 3);
  const b = simulateExit(tr, 0.55);
  assert.deepEqual([...b.steps], [1, 3, 2]);
  assert.equal(b.accuracy, 1);
  assert.deepEqual([...simulateExit(tr, Infinity).steps], [4, 4, 4]);
  assert.deepEqual([...simulateExit(tr, 0).steps], [1, 1, 1]);
});

test('thresholdSweep: equals simulateExit at every threshold it lists and between them (random trajectories)', () => {
  const rng = new Rng(11);
  const N = 40, T = 6;
  const rows = Array.from({ length: N }, () => Array.from({ length: T }, () => [Math.round(rng.random() * 20) / 20, rng.int(3)] as [number, number]));
  const r = traj(rows, Array.from({ length: N }, () => rng.int(3)));
  const points = thresholdSweep(r);
  assert.equal(points[0]!.threshold, Infinity);
  assert.equal(points[0]!.meanSteps, T);
  for (let k = 0; k < points.length; k++) {
    const p = points[k]!;
    const s = simulateExit(r, p.threshold!);
    assert.ok(Math.abs(s.accuracy - p.accuracy) < 1e-12 && Math.abs(s.meanSteps - p.meanSteps) < 1e-12, `threshold ${p.threshold}: sweep ${p.accuracy}/${p.meanSteps}, direct ${s.accuracy}/${s.meanSteps}`);
    // Just above the point's threshold nothing changes until the previous point's.
    if (k > 1) {
      const mid = (p.threshold! + points[k - 1]!.threshold!) / 2;
      const m = simulateExit(r, mid);
      assert.equal(m.meanSteps, points[k - 1]!.meanSteps);
    }
  }
  // Thresholds strictly decrease, mean steps never increase.
  for (let k = 1; k < points.length; k++) {
    assert.ok(points[k]!.threshold! < points[k - 1]!.threshold!);
    assert.ok(points[k]!.meanSteps <= points[k - 1]!.meanSteps);
  }
  assert.equal(simulateExit(r, -1).meanSteps, points[points.length - 1]!.meanSteps, 'the last point stops every sample at its first record');
});

test('paretoFront: keeps the points nothing beats, by mean steps', () => {
  const f = paretoFront([
    { threshold: 1, meanSteps: 4, accuracy: 0.9 },
    { threshold: 2, meanSteps: 2, accuracy: 0.8 },
    { threshold: 3, meanSteps: 3, accuracy: 0.7 },
    { threshold: 4, meanSteps: 2, accuracy: 0.85 },
    { threshold: 5, meanSteps: 5, accuracy: 0.9 },
  ]);
  assert.deepEqual(f.map((p) => p.threshold), [4, 1]);
});

test('oracleFront: each sample stops once its class stays right; samples wrong at T give up at step 1', () => {
  // s0 settles at step 1, s1 at step 3, s2 is wrong at T.
  const f = oracleFront(tr);
  assert.deepEqual(f.map((p) => [p.meanSteps, p.accuracy]), [
    [1, 0],
    [1, 1 / 3],
    [(1 + 3 + 1) / 3, 2 / 3],
  ]);
  // A sample right at T but wrong in between settles after its last mistake.
  const g = oracleFront(traj([[[0, 1], [0, 0], [0, 1], [0, 1]]], [1]));
  assert.deepEqual(g[g.length - 1], { threshold: null, meanSteps: 3, accuracy: 1 });
});

test('chooseThreshold: the fewest mean steps within the allowed loss, counted in samples', () => {
  // Full T: 2 of 3 right. A loss of 0 points keeps at least 2 right: 0.55 gives 3 right at 2 steps,
  // 0.5 two right at 5/3 steps (s1 stops at step 2, still wrong), 0.4 only one: 0.5 is the choice.
  const c = chooseThreshold(tr, 0);
  assert.equal(c.fullAccuracy, 2 / 3);
  assert.equal(c.threshold, 0.5);
  assert.equal(c.meanSteps, 5 / 3);
  assert.equal(c.accuracy, 2 / 3);
  // 34 points allow one more error: stopping everyone at step 1 (1 right) is within.
  const d = chooseThreshold(tr, 34);
  assert.equal(d.meanSteps, 1);
  assert.equal(d.accuracy, 1 / 3);
  // When nothing meets the target with fewer steps, the choice is full T (threshold null).
  const worse = traj([[[0.9, 0], [0.95, 1]], [[0.9, 0], [0.95, 1]]], [1, 1]);
  assert.deepEqual(chooseThreshold(worse, 0.5), { threshold: null, accuracy: 1, meanSteps: 2, fullAccuracy: 1, samples: 2 });
  assert.throws(() => chooseThreshold(tr, -1), (e: unknown) => e instanceof ConfigError && /percentage points in \[0, 100\], got -1/.test((e as Error).message));
  assert.throws(() => chooseThreshold(traj([[[0, 0]]], [0]), 101), ConfigError);
  assert.throws(() => thresholdSweep({ ...tr, labels: new Int32Array(2) }), ShapeError);
});
