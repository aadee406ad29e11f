import test from 'node:test';
import { Rng } from '../../../src/tensor/rng.js';
import { checkConvEvent, convCases } from '../conv-event-cases.js';
import { wasm } from './util.js';

// The wasm event-driven convolution kernels against the TypeScript reference, bit for bit (cases: ../conv-event-cases.ts).

test('wasm event-driven convolution kernels are bit-identical to the reference', () => {
  checkConvEvent(wasm, 'wasm', convCases(new Rng(6), 40));
});
