import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { LIF } from '../../src/neurons/lif/model.js';
import { fastSigmoid } from '../../src/neurons/surrogate.js';
import { Sequential } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { RepeatTime } from '../../src/nn/repeat-time.js';
import { repeatTime, reshape } from '../../src/ops/shape.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { makeLoss, makeStepLoss } from '../../src/train/losses.js';
import { SGD } from '../../src/train/optim/index.js';
import { Trainer } from '../../src/train/trainer.js';
import type { TrainMethod } from '../../src/train/online.js';
import { assertClose, repoRoot } from '../helpers.js';

/*
 * SLTT, SLTT-K and OTTT gradients of the Trainer against PyTorch
 * (test/fixtures/make_online_grads.py writes the numbers: the same networks
 * written out by hand in torch, float64). The gradient is read off one SGD
 * step with learning rate 1 (w_before − w_after), on ts64.
 */

interface Fixture {
  B: number;
  IN: number;
  H: number;
  C: number;
  T: number;
  beta1: number;
  beta2: number;
  threshold: number;
  slope: number;
  cases: Case[];
}
type Grads = Record<string, number[]>;
interface Case {
  kind: 'spiking' | 'readout';
  x: number[];
  y: number[];
  params: Grads;
  bptt: { loss: number; grads: Grads };
  sltt: { loss: number; grads: Grads };
  ottt: { loss: number; grads: Grads };
  sltt_per_step: Grads[];
}

const fx = JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', 'online', 'grads.json'), 'utf8')) as Fixture;
const ts64 = getBackendByName('ts64');
const NAMES = ['0.weight', '0.bias', '2.weight', '2.bias'];

/**
 * The fixture's network; `repeat`: a RepeatTime after the first linear layer
 * (direct encoding as the builder makes it: that layer runs once per batch)
 * rather than an input already repeated over T.
 */
function build(c: Case, repeat: boolean): Sequential {
  const lif = (n: number, beta: number) => new LIF(n, { beta, threshold: fx.threshold, surrogate: fastSigmoid({ slope: fx.slope }) });
  const rng = new Rng(0);
  const layers = [new Linear(fx.IN, fx.H, rng), ...(repeat ? [new RepeatTime(fx.T)] : []), lif(fx.H, fx.beta1), new Linear(fx.H, fx.C, rng), ...(c.kind === 'spiking' ? [lif(fx.C, fx.beta2)] : [])];
  const m = new Sequential(layers);
  m.parameters().forEach((p, i) => p.data.set(c.params[NAMES[i]!]!));
  return m;
}

/** One batch of `method`; returns the loss it reported, the gradients and the steps it backpropagated. */
function trainOnce(c: Case, method: TrainMethod, repeat: boolean, k?: number): { loss: number; grads: number[][]; steps: number[] } {
  return withBackend(ts64, () => {
    const model = build(c, repeat);
    const before = model.parameters().map((p) => Float64Array.from(p.data));
    // The reference's BPTT loss is the sum of the per-step terms: ce_readout's 'per_step' reduction (the online methods take either reduction per step).
    const lossCfg = c.kind === 'spiking' ? { type: 'ce_rate' } : { type: 'ce_readout', reduce: 'per_step' };
    const encode = (x: Tensor): Tensor => (repeat ? reshape(x, [1, ...x.shape]) : repeatTime(reshape(x, [1, ...x.shape]), fx.T));
    const trainer = new Trainer({
      model,
      encode,
      loss: makeLoss(lossCfg),
      stepLoss: method === 'bptt' ? null : makeStepLoss(lossCfg),
      optimizer: new SGD(model.parameters(), { lr: 1 }),
      method,
      online: method === 'sltt_k' ? { k, rng: new Rng(5) } : {},
    });
    const r = trainer.trainEpoch([{ x: tensor(c.x, [fx.B, fx.IN]), y: Int32Array.from(c.y) }]);
    const grads = model.parameters().map((p, i) => Array.from(before[i]!, (v, j) => v - p.data[j]!));
    return { loss: r.loss, grads, steps: trainer.lastTrainedSteps };
  });
}

function assertGrads(got: number[][], want: Grads, what: string): void {
  NAMES.forEach((n, i) => assertClose(got[i]!, want[n]!, 1e-10, 1e-9, `${what} ${n}`));
}

for (const c of fx.cases) {
  test(`online gradients (${c.kind}): BPTT, SLTT and OTTT equal the PyTorch reference, with and without a once-run input layer`, () => {
    for (const repeat of [false, true]) {
      for (const method of ['bptt', 'sltt', 'ottt'] as const) {
        const r = trainOnce(c, method, repeat);
        const what = `${c.kind} ${method}${repeat ? ' (RepeatTime)' : ''}`;
        assert.ok(Math.abs(r.loss - c[method].loss) < 1e-10, `${what}: loss ${r.loss} vs ${c[method].loss}`);
        assertGrads(r.grads, c[method].grads, what);
      }
    }
  });

  test(`online gradients (${c.kind}): the methods differ where they should (the reference is not vacuous)`, () => {
    const diff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    // SLTT drops the temporal route: the first layer's gradient differs from BPTT's.
    assert.ok(diff(c.sltt.grads['0.weight']!, c.bptt.grads['0.weight']!) > 1e-4);
    // OTTT changes only the weight fed by spikes: its first layer is SLTT's, its second is not.
    assert.deepEqual(c.ottt.grads['0.weight'], c.sltt.grads['0.weight']);
    assert.ok(diff(c.ottt.grads['2.weight']!, c.sltt.grads['2.weight']!) > 1e-3);
  });

  test(`online gradients (${c.kind}): SLTT-K backpropagates exactly K drawn steps, whose gradients sum to the update`, () => {
    const seen = new Set<number>();
    for (const K of [1, 2, 4]) {
      const r = trainOnce(c, 'sltt_k', true, K);
      assert.equal(r.steps.length, K);
      assert.equal(new Set(r.steps).size, K, `distinct steps ${r.steps}`);
      assert.ok(r.steps.every((t) => t >= 0 && t < fx.T));
      r.steps.forEach((t) => seen.add(t));
      const want: Grads = {};
      for (const n of NAMES) want[n] = c.sltt.grads[n]!.map((_, j) => r.steps.reduce((a, t) => a + c.sltt_per_step[t]![n]![j]!, 0));
      assertGrads(r.grads, want, `sltt_k K=${K} steps ${r.steps}`);
      // The loss reported covers every step (the undrawn ones run without a graph): SLTT's.
      assert.ok(Math.abs(r.loss - c.sltt.loss) < 1e-10);
    }
    // K = T is SLTT.
    assertGrads(trainOnce(c, 'sltt_k', true, fx.T).grads, c.sltt.grads, 'sltt_k K=T');
    assert.ok(seen.size >= 3, `the draws vary: ${[...seen]}`);
  });
}
