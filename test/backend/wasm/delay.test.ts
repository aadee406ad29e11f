import test from 'node:test';
import { checkEventConv, checkKernelBuild, checkSparseForward } from '../delay-cases.js';
import { wasm } from './util.js';

// The delay kernels of the wasm module against the TypeScript reference (tolerances: ../delay-cases.ts).

test('wasm delay kernel construction and adjoint match the reference', () => {
  checkKernelBuild(wasm, 'wasm');
});

test('wasm integer-delay sum (synapse lists copied into the heap) is bit-identical to the reference', () => {
  checkSparseForward(wasm, 'wasm');
});

test('wasm event-driven delay convolution matches the definition', () => {
  checkEventConv(wasm, 'wasm');
});
