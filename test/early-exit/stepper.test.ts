import test from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../src/autograd/tape.js';
import { ModelStepper } from '../../src/early-exit/stepper.js';
import { ConfigError } from '../../src/errors.js';
import { Sequential } from '../../src/nn/containers.js';
import { DelayedLinear } from '../../src/nn/delay.js';
import { Linear } from '../../src/nn/linear.js';
import type { Module } from '../../src/module/module.js';
import { selectRows } from '../../src/ops/select.js';
import { sliceLeading } from '../../src/ops/shape.js';
import { randn } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { LIF } from '../../src/neurons/lif/model.js';
import { assertClose } from '../helpers.js';
import { buildModel } from '../../src/nn/builder.js';
import { profileModel } from '../../src/analysis/profile.js';
import type { MonitorSummary } from '../../src/analysis/monitor.js';
import { runEarlyExit } from '../../src/early-exit/run.js';
import { reduceOverTime } from '../../src/ops/readout.js';
import { predictFromScores } from '../../src/ops/loss.js';
import type { ScoreFn } from '../../src/train/trainer.js';
import '../../src/nn/layers.js';
import { build, F, ZOO } from '../neurons/zoo.js';

const T = 6, B = 5;
/** After step 2 samples 1 and 3 stop, after step 4 sample 0 (kept rows are indices into the batch left). */
const DROPS: Record<number, number[]> = { 2: [0, 2, 4], 4: [1, 2] };
const SURVIVORS = [[0, 1, 2, 3, 4], [0, 2, 4], [2, 4]];

/**
 * Every sample's output at every step it ran, stepping the batch and
 * dropping rows on the way, against that sample run alone for the whole
 * sequence with one forward call.
 */
function checkDrops(model: Module, x: Tensor, what: string, exact = true): void {
  noGrad(() => {
    const stepper = new ModelStepper(model);
    stepper.start(x);
    const got: number[][][] = Array.from({ length: B }, () => []);
    let active = [0, 1, 2, 3, 4];
    for (let t = 1; t <= T; t++) {
      const y = stepper.step().spikes;
      const n = y.size / active.length;
      active.forEach((i, r) => got[i]!.push([...y.data.subarray(r * n, (r + 1) * n)]));
      const keep = DROPS[t];
      if (keep) {
        stepper.keep(keep);
        active = keep.map((r) => active[r]!);
      }
    }
    assert.deepEqual(active, SURVIVORS[2]);
    for (let i = 0; i < B; i++) {
      model.resetState();
      const alone = (model as Sequential).forward(selectRows(x, 1, [i]));
      const ran = got[i]!.length;
      const want = sliceLeading(alone, 0, ran).data;
      if (exact) assert.deepEqual(got[i]!.flat(), [...want], `${what}: sample ${i}`);
      else assertClose(got[i]!.flat(), want, 1e-5, 1e-5, `${what}: sample ${i}`);
    }
    model.resetState();
  });
}

test('stepping with dropped rows equals each sample alone, for every neuron model of the zoo (state rows follow the samples)', () => {
  const rng = new Rng(3);
  for (const e of ZOO) {
    const neuron = build(e);
    neuron.eval();
    const x = randn([T, B, F], rng, e.inputScale);
    x.data.forEach((v, i) => (x.data[i] = v + e.inputOffset));
    checkDrops(new Sequential([neuron]), x, e.label);
  }
});

test('stepping with dropped rows: a delay layer keeps the history of the samples left (integer path and float path)', () => {
  const rng = new Rng(4);
  for (const eval_ of [true, false]) {
    const delay = new DelayedLinear(3, 4, new Rng(9), { maxDelay: 4, mode: 'fixed' });
    const model = new Sequential([delay, new LIF(4, { beta: 0.8, threshold: 0.3 })]);
    model.train(!eval_);
    const x = randn([T, B, 3], rng);
    checkDrops(model, x, eval_ ? 'delay, eval' : 'delay, train mode', eval_);
  }
});

test('stepping with dropped rows: a spiking transformer under direct coding (conv stem once, SSA and SDSA blocks per step), and its operation counts', () => {
  const layers = [
    { type: 'conv2d', out_channels: 8, kernel_size: 3, padding: 1, bias: false },
    { type: 'batchnorm' },
    { type: 'lifnode', tau: 2 },
    { type: 'residual', layers: [{ type: 'ssa', heads: 2 }] },
    { type: 'residual', layers: [{ type: 'sdsa', heads: 2 }] },
    { type: 'residual', layers: [{ type: 'conv2d', out_channels: 8, kernel_size: 1 }, { type: 'batchnorm' }, { type: 'lifnode', tau: 2 }] },
    { type: 'global_avgpool' },
    { type: 'linear', out: 4 },
  ];
  const { model } = buildModel(layers, { inputShape: [1, 6, 6], steps: T, timeConstantInput: true, rng: new Rng(2), readout: true });
  model.eval();
  const x = randn([1, B, 1, 6, 6], new Rng(6), 2);
  checkDrops(model, x, 'transformer');
  // Full T step by step counts what one whole-sequence profile counts, attention products included.
  const score: ScoreFn = (out) => reduceOverTime(out.spikes, 'mean');
  const full = runEarlyExit(model, [{ x, y: new Int32Array(B) }], { rule: 'maxprob', threshold: null, score, predict: (out) => predictFromScores(score(out).data, B, 4), measure: true });
  const whole = profileModel(model, [x]);
  const rows = (p: { summary: MonitorSummary }) => p.summary.layers.map((l) => l.name);
  assert.deepEqual(rows(full.profile!), rows(whole));
  const t = full.profile!.ops.totals, w = whole.ops.totals;
  assertClose([t.sops, t.macs, t.acs, t.neuronMacs, t.annMacs], [w.sops, w.macs, w.acs, w.neuronMacs, w.annMacs], 0, 1e-9, 'totals');
});

test('ModelStepper refuses what cannot run one step at a time', () => {
  const tail = new Sequential([new DelayedLinear(3, 4, new Rng(1), { maxDelay: 2, tail: 1 }), new LIF(4)]);
  assert.throws(() => new ModelStepper(tail), (e: unknown) => e instanceof ConfigError && /layer 0 \(delay_linear, tail 1\) adds steps after the end of the sequence/.test((e as Error).message));
  assert.throws(() => new ModelStepper(new Sequential([new Linear(3, 2)])), (e: unknown) => e instanceof ConfigError && /no neuron layer/.test((e as Error).message));
  const s = new ModelStepper(new Sequential([new LIF(2)]));
  assert.throws(() => s.step(), /call start\(encoded\) first/);
  s.start(randn([2, 1, 2], new Rng(1)));
  s.step();
  s.step();
  assert.throws(() => s.step(), /all 2 steps have run/);
});
