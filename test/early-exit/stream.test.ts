import test from 'node:test';
import assert from 'node:assert/strict';
import { EarlyExitStream } from '../../src/early-exit/stream.js';
import { runEarlyExit } from '../../src/early-exit/run.js';
import { simulateExit } from '../../src/early-exit/front.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { selectRows } from '../../src/ops/select.js';
import { sliceLeading } from '../../src/ops/shape.js';
import { makeScores } from '../../src/train/losses.js';
import { predictByCounts, scoreByCounts } from '../../src/train/trainer.js';
import { zeros } from '../../src/tensor/create.js';
import { encodedBatches, identityNet, trainedTiny } from './tiny.js';

for (const kind of ['counts', 'membrane'] as const) {
  test(`streaming one sample at a time stops at the step and with the class of the batch run (${kind})`, () => {
    const s = trainedTiny(kind);
    const score = makeScores(s.config.train.loss);
    const batches = encodedBatches(s).slice(0, 2);
    const full = runEarlyExit(s.model, batches, { rule: 'margin', threshold: null, score, predict: s.predict, classes: 10, trajectories: true });
    // A threshold at which samples stop at different steps.
    const sorted = [...full.trajectories!.confidence].sort((a, b) => a - b);
    const threshold = [0.5, 0.6, 0.7, 0.8, 0.9].map((q) => sorted[Math.floor(sorted.length * q)]!).find((th) => new Set(simulateExit(full.trajectories!, th).steps).size > 1)!;
    assert.ok(threshold !== undefined);
    const batch = runEarlyExit(s.model, batches, { rule: 'margin', threshold, score, predict: s.predict, classes: 10 });
    const T = s.steps;
    const stream = new EarlyExitStream(s.model, { rule: 'margin', threshold, score, predict: s.predict, classes: 10, maxSteps: T });
    let k = 0;
    for (const b of batches) {
      for (let i = 0; i < b.y.length; i++, k++) {
        stream.reset();
        const x = selectRows(b.x, 1, [i]); // [T or 1, 1, ...]
        let r;
        for (let t = 0; ; t++) {
          r = stream.push(x.shape[0] === 1 ? x : sliceLeading(x, t, t + 1));
          if (r.done) break;
        }
        assert.equal(r.step, batch.exitSteps[k], `sample ${k}: stop step`);
        assert.equal(r.prediction, batch.predictions[k], `sample ${k}: class`);
        assert.ok(Math.abs(r.confidence - batch.confidence[k]!) < 1e-6);
        assert.throws(() => stream.push(x.shape[0] === 1 ? x : sliceLeading(x, 0, 1)), /stopped after step/);
      }
    }
    assert.ok(new Set(batch.exitSteps).size > 1);
  });
}

test('EarlyExitStream: bad threshold and input shape are errors naming them', () => {
  const opts = { rule: 'maxprob' as const, score: scoreByCounts, predict: predictByCounts, classes: 3 };
  assert.throws(() => new EarlyExitStream(identityNet(3), { ...opts, threshold: 2 }), (e: unknown) => e instanceof ConfigError && /EarlyExitStream threshold: 2 is outside the range of the maxprob confidence/.test((e as Error).message));
  const s = new EarlyExitStream(identityNet(3), { ...opts, threshold: 0.9 });
  assert.throws(() => s.push(zeros([1, 2, 3])), (e: unknown) => e instanceof ShapeError && /\[1, 1, \.\.\.features\], got \[1, 2, 3\]/.test((e as Error).message));
});
