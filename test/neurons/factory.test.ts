import test from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { createNeuron, NEURON_TYPES } from '../../src/neurons/factory.js';
import { Rng } from '../../src/tensor/rng.js';
import { zeros } from '../../src/tensor/create.js';
import { LIF } from '../../src/neurons/lif/index.js';

test('createNeuron builds every type with defaults and describes its settings', () => {
  for (const type of NEURON_TYPES) {
    const n = createNeuron(type, {}, [2, 3], new Rng(1));
    const d = n.describe();
    assert.deepEqual(d.features, [2, 3], type);
    const s = n.forward(zeros([4, 5, 2, 3]));
    assert.deepEqual(s.shape, [4, 5, 2, 3]);
    // Spikes are flagged 0/1 (event-driven layers downstream rely on it), except the graded multi-level counts (D > 1).
    assert.equal(s.binary, n.kind !== 'MultiLevel', type);
  }
  const lif = createNeuron('lif', {}, 4, new Rng(1)).describe();
  assert.equal(lif.beta, 0.9);
  assert.equal(lif.threshold, 1);
  assert.equal(lif.reset, 'subtract');
  assert.equal(lif.resetDelay, true);
  assert.equal(lif.detachReset, true);
  assert.deepEqual(lif.surrogate, { name: 'arctan', alpha: 2 }); // snnTorch 0.9's default atan()
});

test('createNeuron rejects unknown types, options and bad values with ConfigError naming them', () => {
  const rng = new Rng(1);
  assert.throws(() => createNeuron('lifx', {}, 3, rng), (e: unknown) => e instanceof ConfigError && /lifx/.test(e.message));
  assert.throws(() => createNeuron('lif', { betta: 0.5 }, 3, rng), (e: unknown) => e instanceof ConfigError && /'betta'/.test(e.message));
  assert.throws(() => createNeuron('lif', { beta: 1.5 }, 3, rng), (e: unknown) => e instanceof ConfigError && /'beta'/.test(e.message));
  assert.throws(() => createNeuron('lif', { reset: 'sideways' }, 3, rng), (e: unknown) => e instanceof ConfigError && /'reset'/.test(e.message));
  assert.throws(() => createNeuron('lif', { surrogate: 'nope' }, 3, rng), (e: unknown) => e instanceof ConfigError && /nope/.test(e.message));
  assert.throws(() => createNeuron('alpha', { alpha: 0.5, beta: 0.8 }, 3, rng), ConfigError);
  assert.throws(() => createNeuron('plif', { tau: 2 }, 3, rng, 'layers[1]'), (e: unknown) => e instanceof ConfigError && /^layers\[1\]: .*'tau'/.test(e.message));
  assert.throws(() => createNeuron('lif', { beta: [0.5, 0.6] }, 3, rng), ShapeError);
  assert.deepEqual(createNeuron('lif', { surrogate: { name: 'arctan', alpha: 3 } }, 3, rng).describe().surrogate, { name: 'arctan', alpha: 3 });
});

test('learned options become parameters; state resets and detaches; batch change needs resetState', () => {
  const n = new LIF(3, { learnBeta: true, learnThreshold: true, beta: [0.5, 0.6, 0.7] });
  assert.deepEqual(n.namedParameters().map(([k, p]) => [k, p.size]), [['beta', 3], ['threshold', 1]]);
  assert.equal(new LIF(3).parameters().length, 0);
  n.forward(zeros([2, 4, 3]));
  assert.throws(() => n.forward(zeros([2, 5, 3])), ShapeError);
  n.resetState();
  n.forward(zeros([2, 5, 3]));
  n.detachState();
  assert.throws(() => n.forward(zeros([2, 5, 4])), ShapeError);
});
