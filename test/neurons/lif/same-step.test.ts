import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../../src/backend/registry.js';
import { tensor } from '../../../src/tensor/create.js';
import { LIF } from '../../../src/neurons/lif/index.js';
import { createNeuron } from '../../../src/neurons/factory.js';
import { Rng } from '../../../src/tensor/rng.js';
import { assertClose } from '../../helpers.js';
import { build, flat, forwardCases } from '../snntorch-parity.js';

/*
 * The two same-step resets side by side: snnTorch's (the default of
 * resetDelay: false) and the textbook rule kept as sameStepReset: 'textbook'.
 */

function run(layer: LIF, xs: number[]): { spk: number[]; mem: number[] } {
  layer.recordMembrane = true;
  const spk = layer.forward(tensor(xs, [xs.length, 1, 1]));
  return { spk: Array.from(spk.data), mem: Array.from(layer.lastMembrane!.data) };
}

test("issue 10's example: β 0.9, θ 1, inputs 2.5 then 0.3", () => {
  withBackend(getBackendByName('ts64'), () => {
    const snn = run(new LIF(1, { beta: 0.9, resetDelay: false }), [2.5, 0.3]);
    assert.deepEqual(snn.spk, [1, 0]);
    assertClose(snn.mem, [1.5, 1.65], 1e-12, 0, 'snnTorch form');
    const tb = run(new LIF(1, { beta: 0.9, resetDelay: false, sameStepReset: 'textbook' }), [2.5, 0.3]);
    assert.deepEqual(tb.spk, [1, 1]);
    assertClose(tb.mem, [1.5, 0.65], 1e-12, 0, 'textbook form');
  });
});

test('the snnTorch fixtures exercise the corner where the two same-step forms differ', () => {
  withBackend(getBackendByName('ts64'), () => {
    let differing = 0;
    for (const c of forwardCases('leaky')) {
      if (c.params.reset_delay || c.params.reset_mechanism !== 'subtract' || c.dtype !== 'float64') continue;
      const T = c.input.length, B = c.input[0]!.length, F = c.input[0]![0]!.length;
      const layer = build('leaky', c.params, F, { sameStepReset: 'textbook' });
      const spk = layer.forward(tensor(flat(c.input), [T, B, F]));
      if (Array.from(spk.data).some((s, i) => s !== flat(c.spk)[i])) differing++;
    }
    assert.ok(differing >= 3, `textbook differs from snnTorch on ${differing} fixtures`);
  });
});

test('sameStepReset from a config, and in describe()', () => {
  const a = createNeuron('lif', { resetDelay: false }, 2, new Rng(0)).describe();
  assert.equal(a['sameStepReset'], 'snntorch');
  const b = createNeuron('lif', { resetDelay: false, sameStepReset: 'textbook' }, 2, new Rng(0)).describe();
  assert.equal(b['sameStepReset'], 'textbook');
  assert.equal(createNeuron('lif', {}, 2, new Rng(0)).describe()['sameStepReset'], undefined, 'not shown under the delayed reset');
  assert.throws(() => createNeuron('lif', { sameStepReset: 'spikingjelly' }, 2, new Rng(0)));
});
