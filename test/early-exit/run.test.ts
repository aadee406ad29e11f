import test from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../src/autograd/tape.js';
import { profileModel } from '../../src/analysis/profile.js';
import { runEarlyExit, type EncodedBatch } from '../../src/early-exit/run.js';
import { simulateExit } from '../../src/early-exit/front.js';
import { makeScores } from '../../src/train/losses.js';
import { membraneSourceOf, predictByCounts, scoreByCounts } from '../../src/train/trainer.js';
import { selectRows } from '../../src/ops/select.js';
import { tensor } from '../../src/tensor/create.js';
import { ShapeError } from '../../src/errors.js';
import { Sequential } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { assertClose } from '../helpers.js';
import { encodedBatches, identityNet, oneByOne, READOUTS, trainedTiny } from './tiny.js';

// Output spikes per sample (T = 4 steps × C = 3 classes) of the identity network:
//  s0: class 0 every step        counts (t, 0, 0)
//  s1: class 1 at steps 1 and 3, class 2 at step 2
//  s2: silent                    (a tie: class 0, confidence 1/3)
//  s3: class 2 at steps 2, 3, 4
const SPIKES = [
  [[1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0]],
  [[0, 1, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0]],
  [[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]],
  [[0, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1]],
];
const T = 4, C = 3, B = SPIKES.length;

/** The encoded batch [T, B, C] of SPIKES, flagged binary. */
function handBatch(): EncodedBatch {
  const v: number[] = [];
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) v.push(...SPIKES[b]![t]!);
  const x = tensor(v, [T, B, C]);
  x.binary = true;
  return { x, y: Int32Array.from([0, 1, 2, 2]) };
}

/** The hand computation: max softmax of the spike counts after each step, the first step ≥ θ, the argmax (ties → lowest). */
function byHand(threshold: number): { steps: number[]; classes: number[]; conf: number[] } {
  const steps: number[] = [], classes: number[] = [], conf: number[] = [];
  for (const s of SPIKES) {
    const n = [0, 0, 0];
    for (let t = 0; t < T; t++) {
      s[t]!.forEach((v, c) => (n[c]! += v));
      const z = n.reduce((a, k) => a + Math.exp(k), 0);
      const p = Math.max(...n.map((k) => Math.exp(k) / z));
      if (p >= threshold || t === T - 1) {
        steps.push(t + 1);
        classes.push(n.indexOf(Math.max(...n)));
        conf.push(p);
        break;
      }
    }
  }
  return { steps, classes, conf };
}

const handOpts = { rule: 'maxprob' as const, score: scoreByCounts, predict: predictByCounts, classes: C };

test('early exit on a network whose outputs are set by hand: the stop step, class and confidence of every sample', () => {
  for (const threshold of [0.75, 0.6, 0.9, 0.34]) {
    const r = runEarlyExit(identityNet(C), [handBatch()], { ...handOpts, threshold });
    const want = byHand(threshold);
    assert.deepEqual([...r.exitSteps], want.steps, `θ = ${threshold}`);
    assert.deepEqual([...r.predictions], want.classes, `θ = ${threshold}`);
    assertClose(r.confidence, want.conf, 1e-12, 0, `θ = ${threshold}`);
  }
  // θ = 0.75 by name: s0 stops after step 2 (e²/(e² + 2) = 0.787), s3 after step 3, s1 and s2 never reach it.
  const r = runEarlyExit(identityNet(C), [handBatch()], { ...handOpts, threshold: 0.75 });
  assert.deepEqual([...r.exitSteps], [2, 4, 4, 3]);
  assert.equal(r.meanSteps, 13 / 4);
  assert.equal(r.accuracy, 3 / 4);
});

test('ops counts are per sample-step run: a stopped sample costs no synaptic operation and no neuron update', () => {
  const full = runEarlyExit(identityNet(C), [handBatch()], { ...handOpts, threshold: null, measure: true });
  const ee = runEarlyExit(identityNet(C), [handBatch()], { ...handOpts, threshold: 0.75, measure: true });
  // Input spikes over the steps each sample ran (fan-out 3 each): full 4 + 3 + 0 + 3; early exit (steps 2, 4, 4, 3) 2 + 3 + 0 + 2.
  const [linF, lifF] = full.profile!.ops.layers;
  const [linE, lifE] = ee.profile!.ops.layers;
  assert.equal(linF!.sops, (10 * 3) / 4);
  assert.equal(linE!.sops, (7 * 3) / 4);
  assert.equal(linE!.steps, 13 / 4, 'steps: the mean number of steps run');
  assert.equal(lifF!.neuronUpdates, 3 * 4);
  assert.equal(lifE!.neuronUpdates, 3 * (13 / 4));
  assert.equal(ee.profile!.summary.samples, 4);
  const e = ee.profile!.energy.results[0]!, f = full.profile!.energy.results[0]!;
  assert.ok(e.snn.computePJ < f.snn.computePJ && e.snn.totalPJ < f.snn.totalPJ);
  // The step-by-step full-T counts are those of the ordinary whole-sequence profile.
  const whole = profileModel(identityNet(C), [handBatch().x]);
  assert.deepEqual(full.profile!.ops.totals, whole.ops.totals);
});

for (const kind of Object.keys(READOUTS) as (keyof typeof READOUTS)[]) {
  test(`early exit on a trained network (${kind} readout): batch = one sample at a time = what the full-T trajectories predict; full T = forward`, () => {
    const s = trainedTiny(kind);
    const score = makeScores(s.config.train.loss);
    const opts = { rule: 'maxprob' as const, score, predict: s.predict, classes: 10 };
    const batches = encodedBatches(s);
    const full = runEarlyExit(s.model, batches, { ...opts, threshold: null, trajectories: true, measure: true });
    assert.equal(full.samples, 96);
    assert.ok(full.accuracy > 0.3, `the network learned something (${full.accuracy})`);
    // Full T step by step decides like one whole-sequence forward with the loss's predict.
    const whole: number[] = [];
    s.model.eval();
    noGrad(() => {
      for (const b of batches) {
        s.model.resetState();
        const spikes = s.model.forward(b.x);
        whole.push(...s.predict({ spikes, membrane: membraneSourceOf(s.model)?.lastMembrane ?? null }));
      }
    });
    s.model.resetState();
    assert.deepEqual([...full.predictions], whole);
    // The same operation counts as the ordinary profile of whole sequences.
    const prof = profileModel(s.model, batches.map((b) => b.x));
    assertClose([full.profile!.ops.totals.sops, full.profile!.ops.totals.macs, full.profile!.ops.totals.neuronMacs], [prof.ops.totals.sops, prof.ops.totals.macs, prof.ops.totals.neuronMacs], 0, 1e-9, 'ops');
    // A threshold that stops samples at different steps.
    const tr = full.trajectories!;
    const sorted = [...tr.confidence].sort((a, b) => a - b);
    const threshold = sorted[Math.floor(sorted.length * 0.6)]!;
    const ee = runEarlyExit(s.model, batches, { ...opts, threshold, measure: true });
    const offline = simulateExit(tr, threshold);
    assert.deepEqual([...ee.exitSteps], [...offline.steps]);
    assert.deepEqual([...ee.predictions], [...offline.predictions]);
    assert.ok(new Set(ee.exitSteps).size >= 3, `samples stop at several steps (${[...new Set(ee.exitSteps)]})`);
    assert.ok(ee.meanSteps < full.meanSteps);
    // One sample at a time: the same steps, classes and confidences as inside the batch.
    const alone = runEarlyExit(s.model, oneByOne(batches, (x, i) => selectRows(x, 1, [i])), { ...opts, threshold });
    assert.deepEqual([...alone.exitSteps], [...ee.exitSteps]);
    assert.deepEqual([...alone.predictions], [...ee.predictions]);
    assertClose(alone.confidence, ee.confidence, 1e-6, 0, 'confidence');
    // Stopped samples cost nothing: fewer synaptic operations and neuron updates than full T.
    const upd = (r: typeof ee) => r.profile!.ops.layers.reduce((a, l) => a + l.neuronUpdates, 0);
    assert.ok(upd(ee) < upd(full));
    assert.ok(ee.profile!.ops.totals.sops + ee.profile!.ops.totals.macs < full.profile!.ops.totals.sops + full.profile!.ops.totals.macs);
  });
}

test('early exit refuses a model without a classification readout, with the shape it got', () => {
  const net = new Sequential([new Linear(3, 2), ...identityNet(2).layers]);
  const x = tensor(new Array(2 * 1 * 3).fill(1), [2, 1, 3]);
  assert.throws(
    () => runEarlyExit(net, [{ x, y: Int32Array.of(0) }], { ...handOpts, threshold: 0.5 }),
    (e: unknown) => e instanceof ShapeError && /early exit needs a classification readout: the model's output at one step is \[1, 1, 2\], expected \[1, B, 3\] class scores/.test((e as Error).message),
  );
  assert.throws(() => runEarlyExit(identityNet(3), [handBatch()], { ...handOpts, threshold: 0.5, trajectories: true }), /trajectories need every step/);
});
