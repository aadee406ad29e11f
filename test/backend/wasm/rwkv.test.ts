import test from 'node:test';
import assert from 'node:assert/strict';
import { checkRwkvMix, checkWkv } from '../rwkv-cases.js';
import { wasm } from './util.js';
import { getBackendByName } from '../../../src/backend/registry.js';

// The WKV recurrence of the wasm module against the TypeScript reference: bit-identical (../rwkv-cases.ts).

test('wasm WKV forward and backward are bit-identical to the reference', () => {
  checkWkv(wasm, 'wasm');
});

test('wasm WKV on storage the module does not own takes the reference (same bits)', () => {
  const ts = getBackendByName('ts');
  const s = (n: number, v = 0.5): ReturnType<typeof ts.alloc> => ts.fromArray(new Array<number>(n).fill(v));
  const y = s(6);
  wasm.wkvForward(2, 1, 3, s(6, 1), s(6, 2), s(3, 1), s(3, 0), ts.fromArray([0, 0, 0, 0, 0, 0, -1e38, -1e38, -1e38]), y, s(9));
  assert.deepEqual(Array.from(y.data), [2, 2, 2, 2, 2, 2], 'constant values give themselves');
});

test('wasm RWKV elementwise kernels (token shift, gate, ReLU²) give the reference bits', () => {
  checkRwkvMix(wasm, 'wasm');
});
