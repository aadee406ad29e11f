import test from 'node:test';
import assert from 'node:assert/strict';
import { neuronRegistry } from '../../src/neurons/registry.js';
import { Rng } from '../../src/tensor/rng.js';

/*
 * onlineTraceDecay: the one membrane decay λ (v_t = λ·v_{t−1} + input) of a
 * neuron layer that OTTT's presynaptic trace uses, or why there is none.
 */

const make = (type: string, options: Record<string, unknown> = {}) => neuronRegistry.get(type).make([4], options, new Rng(0));

test('onlineTraceDecay: β of lif and rleaky, 1 − 1/τ of lifnode, 1 of if, PLIF\'s current decay; reasons otherwise', () => {
  assert.equal(make('lif', { beta: 0.7 }).onlineTraceDecay(), 0.7);
  const learned = make('lif', { beta: 0.6, learnBeta: true });
  assert.equal(learned.onlineTraceDecay(), Math.fround(0.6)); // the parameter's float32 value
  learned.getParameter('beta')!.data[0] = 1.3; // clamped to [0, 1] as the scan sees it
  assert.equal(learned.onlineTraceDecay(), 1);
  assert.equal(make('rleaky', { beta: 0.8 }).onlineTraceDecay(), 0.8);
  assert.equal(make('lifnode', { tau: 4 }).onlineTraceDecay(), 0.75); // exact in float32
  assert.equal(make('if').onlineTraceDecay(), 1);
  const plif = make('plif', { initTau: 2 }).onlineTraceDecay();
  assert.ok(typeof plif === 'number' && Math.abs(plif - 0.5) < 1e-6, String(plif));
  assert.match(String(make('lif', { beta: [0.1, 0.2, 0.3, 0.4] }).onlineTraceDecay()), /one β per neuron/);
  assert.match(String(make('synaptic').onlineTraceDecay()), /Synaptic/);
  assert.match(String(make('alif').onlineTraceDecay()), /no single membrane decay/);
});
