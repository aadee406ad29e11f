import test from 'node:test';
import assert from 'node:assert/strict';
import { fusedKernel, MULTILEVEL_SCAN } from '../../../src/backend/kernels/neuron.js';
import { ArrayStorage } from '../../../src/backend/storage.js';
import { checkMultiLevel, everyConfiguration, qsdCase } from '../multilevel-cases.js';
import { wasm } from './util.js';

// The wasm multi-level scan against the TypeScript kernel: bit-identical (../multilevel-cases.ts).

test('multi-level scan: every option, surrogate and D, ties and non-finite charges, bit-identical to the TypeScript kernel', () => {
  assert.equal(everyConfiguration(wasm), 128);
});

test("multi-level scan: QSD-Transformer's neuron at T = 1 and T = 4 runs in wasm (odd rows: a scalar tail)", () => {
  checkMultiLevel(wasm, qsdCase(1, 16, 64 * 49), 'random', 1);
  checkMultiLevel(wasm, qsdCase(4, 8, 1025), 'random', 2);
  checkMultiLevel(wasm, { ...qsdCase(1, 4, 777), thresholdPerNeuron: true, paramGrads: true }, 'random', 3);
});

test('multi-level scan: the smooth test forward, D above 2^16 and storage outside the wasm memory go to the TypeScript kernel', () => {
  const k = fusedKernel(wasm.neuronKernels, MULTILEVEL_SCAN)!;
  const c = { T: 1, B: 1, F: 2, levels: 4, normalized: true, hardReset: false, vReset: 0, detachReset: true, betaPerNeuron: false, thresholdPerNeuron: false };
  const rect = { id: 7, p0: 1, p1: 0, smooth: false };
  const io = { x: wasm.alloc(2), v0: wasm.alloc(2), beta: wasm.alloc(1), threshold: wasm.alloc(1), spikes: wasm.alloc(2), v: wasm.alloc(2) };
  assert.equal(k.forward({ ...c, surrogate: rect }, io), true);
  assert.equal(k.forward({ ...c, surrogate: { ...rect, smooth: true } }, io), false);
  assert.equal(k.forward({ ...c, levels: 65537, surrogate: rect }, io), false);
  assert.equal(k.forward({ ...c, surrogate: rect }, { ...io, x: new ArrayStorage(new Float32Array(2)) }), false);
});
