import test from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError } from '../../../src/errors.js';
import { ArrayStorage } from '../../../src/backend/storage.js';
import { checkLayerNorm, checkLinearAttention, checkLinearAttentionRepeat, checkRowKernels, ref } from '../attention-cases.js';
import { wasm } from './util.js';

// The spiking-transformer kernels of the wasm module against the TypeScript reference: bit-identical (../attention-cases.ts).

test('wasm linear attention is bit-identical to the reference on spikes, multi-level spikes and reals', () => {
  checkLinearAttention(wasm, 'wasm');
});

test('wasm linear attention at the Spikformer shape (R = 64, C = 64, N = 49) twice: same bits, the reference\'s', () => {
  checkLinearAttentionRepeat(wasm, 'wasm', (fn) => fn());
});

test('wasm rowDot, rowScale and layer norm are bit-identical to the reference', () => {
  checkRowKernels(wasm, 'wasm');
  checkLayerNorm(wasm, 'wasm');
});

test('wasm attention wrappers refuse storages too short for the call, naming kernel and argument', () => {
  const [R, H, dh, N] = [2, 3, 4, 5];
  const T = R * H * dh * N;
  const s = (n: number) => wasm.alloc(n);
  const fails = (fn: () => void, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof ShapeError && re.test(e.message), String(re));
  fails(() => wasm.linearAttentionForward(R, H, dh, N, 0.5, s(T), s(T), s(T), s(R * H * dh * dh - 1), s(T)), new RegExp(`^wasm linearAttentionForward: G needs ${R * H * dh * dh} elements, storage has ${R * H * dh * dh - 1}$`));
  fails(() => wasm.linearAttentionBackward(R, H, dh, N, 0.5, s(T), s(T), s(T), s(R * H * dh * dh), s(T), null, null, s(T - 1)), /^wasm linearAttentionBackward: dV needs/);
  fails(() => wasm.rowDot(3, 4, s(12), s(11), s(3)), /^wasm rowDot: b needs 12 elements, storage has 11$/);
  fails(() => wasm.layerNormBackward(2, 3, 4, s(24), null, s(16), s(24), s(24), s(2), null), /^wasm layerNormBackward: dGamma needs 3 elements, storage has 2$/);
});

test('wasm attention kernels run the reference on storages outside the wasm memory', () => {
  const [R, H, dh, N] = [2, 2, 3, 5];
  const T = R * H * dh * N;
  const x = Float32Array.from({ length: T }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const G = new ArrayStorage(new Float32Array(R * H * dh * dh)), out = new ArrayStorage(new Float32Array(T));
  wasm.linearAttentionForward(R, H, dh, N, 0.5, new ArrayStorage(x), new ArrayStorage(x), new ArrayStorage(x), G, out);
  const Gr = ref.alloc(R * H * dh * dh), outR = ref.alloc(T);
  ref.linearAttentionForward(R, H, dh, N, 0.5, ref.fromArray(x), ref.fromArray(x), ref.fromArray(x), Gr, outR);
  assert.deepEqual(Array.from(out.data), Array.from(outR.data));
  assert.deepEqual(Array.from(G.data), Array.from(Gr.data));
});
