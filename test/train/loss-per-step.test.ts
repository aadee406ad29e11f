import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { ConfigError } from '../../src/errors.js';
import { repeatTime, sliceLeading } from '../../src/ops/shape.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { lossRegistry, makeLoss, makeStepLoss } from '../../src/train/losses.js';

/*
 * The per-step losses of the online methods: the loss of step t is the
 * sequence loss of the sequence that repeats step t, divided by T. For the
 * losses that are means of per-step terms the steps then sum to the
 * sequence loss exactly.
 */

const ts64 = getBackendByName('ts64');
const T = 5, B = 3, C = 4;
const y = Int32Array.from([0, 3, 1]);

function data(rng: Rng, binary: boolean): Tensor {
  return tensor(Array.from({ length: T * B * C }, () => (binary ? (rng.random() < 0.4 ? 1 : 0) : rng.uniform(-2, 2))), [T, B, C], { binary });
}

const stepSum = (cfg: { type: string; [k: string]: unknown }, spikes: Tensor, membrane: Tensor | null): number => {
  const f = makeStepLoss(cfg);
  let s = 0;
  for (let t = 0; t < T; t++) s += f({ spikes: sliceLeading(spikes, t, t + 1), membrane: membrane ? sliceLeading(membrane, t, t + 1) : null }, y, T).item();
  return s;
};

test('per-step losses: ce_rate, ce_membrane mean and ce_readout per_step sum to the sequence loss', () => {
  withBackend(ts64, () => {
    const rng = new Rng(1);
    const s = data(rng, true), v = data(rng, false);
    for (const [cfg, out] of [
      [{ type: 'ce_rate' }, { spikes: s, membrane: null }],
      [{ type: 'ce_membrane', reduce: 'mean' }, { spikes: s, membrane: v }],
      [{ type: 'ce_readout', reduce: 'per_step' }, { spikes: v, membrane: null }],
    ] as const) {
      const whole = makeLoss(cfg)(out, y).item();
      const steps = stepSum(cfg, out.spikes, out.membrane);
      assert.ok(Math.abs(whole - steps) < 1e-12, `${cfg.type}: ${whole} vs ${steps}`);
    }
  });
});

test('per-step losses: the others are the sequence loss of the repeated step, divided by T', () => {
  withBackend(ts64, () => {
    const rng = new Rng(2);
    const s = data(rng, true), v = data(rng, false);
    const cases: [{ type: string; [k: string]: unknown }, Tensor, Tensor | null][] = [
      [{ type: 'ce_count' }, s, null],
      [{ type: 'mse_count', correct_rate: 0.8, incorrect_rate: 0.2 }, s, null],
      [{ type: 'ce_readout', reduce: 'mean' }, v, null],
      [{ type: 'ce_membrane', reduce: 'max' }, s, v],
      [{ type: 'ce_membrane', reduce: 'last' }, s, v],
    ];
    for (const [cfg, sp, mem] of cases) {
      const step = makeStepLoss(cfg);
      const seq = makeLoss(cfg);
      for (let t = 0; t < T; t++) {
        const st = sliceLeading(sp, t, t + 1), mt = mem ? sliceLeading(mem, t, t + 1) : null;
        const want = seq({ spikes: repeatTime(st, T), membrane: mt ? repeatTime(mt, T) : null }, y).item() / T;
        const got = step({ spikes: st, membrane: mt }, y, T).item();
        assert.ok(Math.abs(want - got) < 1e-12, `${cfg.type} ${JSON.stringify(cfg)} step ${t}: ${got} vs ${want}`);
      }
    }
  });
});

test('per-step losses: every registered loss has one or says why not; softmax_sum is refused by name', () => {
  for (const e of lossRegistry.list()) assert.ok(e.perStep, `loss '${e.name}' has no per-step form`);
  assert.throws(() => makeStepLoss({ type: 'ce_membrane', reduce: 'softmax_sum' }), (e: Error) => e instanceof ConfigError && /softmax_sum/.test(e.message));
});
