import test from 'node:test';
import assert from 'node:assert/strict';
import { BackendError } from '../../../src/errors.js';
import { checkLayerNorm, checkLinearAttention, checkLinearAttentionRepeat, checkRowKernels } from '../attention-cases.js';
import { addon, forEachIsa, native, skipReason } from './setup.js';

// The spiking-transformer kernels of the addon against the TypeScript reference: bit-identical (../attention-cases.ts).

test('native linear attention is bit-identical to the reference on spikes, multi-level spikes and reals, every instruction set', { skip: skipReason }, () => {
  forEachIsa((isa) => checkLinearAttention(native(), `native ${isa}`));
});

test('native linear attention split over two threads gives the one-thread bits', { skip: skipReason }, () => {
  const a = addon();
  const before = a.info().threads;
  try {
    a.setThreads(2);
    checkLinearAttentionRepeat(native(), 'native 2t', (fn) => {
      a.setThreads(1);
      fn();
      a.setThreads(2);
    });
  } finally {
    a.setThreads(before);
  }
});

test('native rowDot, rowScale and layer norm are bit-identical to the reference (one and two threads)', { skip: skipReason }, () => {
  const a = addon();
  const before = a.info().threads;
  try {
    forEachIsa((isa) => {
      checkRowKernels(native(), `native ${isa}`);
      checkLayerNorm(native(), `native ${isa}`);
    });
    for (const t of [1, 2]) {
      a.setThreads(t);
      // Large enough for each kernel to split its rows between the threads.
      checkLayerNorm(native(), `native ${t}t`, [[160, 64, 49]]);
      checkRowKernels(native(), `native ${t}t`, [[21400, 49]]);
    }
  } finally {
    a.setThreads(before);
  }
});

test('native attention wrappers reject short arrays and float64 storage, naming the argument', { skip: skipReason }, () => {
  const a = addon();
  const f = (n: number): Float32Array => new Float32Array(n);
  const [R, H, dh, N] = [2, 3, 4, 5];
  const T = R * H * dh * N, Gs = R * H * dh * dh;
  const fails = (fn: () => void, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof BackendError && re.test(e.message), String(re));
  a.linearAttentionForward(R, H, dh, N, 0.5, f(T), f(T), f(T), f(Gs), f(T));
  fails(() => a.linearAttentionForward(R, H, dh, N, 0.5, f(T), f(T - 1), f(T), f(Gs), f(T)), new RegExp(`^native linearAttentionForward: k holds ${T - 1} elements, needs ${T}$`));
  fails(() => a.linearAttentionForward(R, H, dh, N, 0.5, f(T), f(T), f(T), f(Gs - 1), f(T)), new RegExp(`^native linearAttentionForward: G holds ${Gs - 1} elements, needs ${Gs}$`));
  fails(() => a.linearAttentionBackward(R, H, dh, N, 0.5, f(T), f(T), f(T), f(Gs), f(T), null, f(T - 2), null), new RegExp(`^native linearAttentionBackward: dK holds ${T - 2} elements, needs ${T}$`));
  fails(
    () => a.linearAttentionBackward(R, H, dh, N, 0.5, f(T), f(T), f(T), f(Gs), new Float64Array(T) as unknown as Float32Array, f(T), null, null),
    /^native linearAttentionBackward: dOut is a Float64Array; the native backend computes in float32 only/,
  );
  fails(() => a.rowDot(3, 4, f(12), f(12), f(2)), /^native rowDot: out holds 2 elements, needs 3$/);
  fails(() => a.rowScale(3, 4, f(12), f(2), f(12)), /^native rowScale: s holds 2 elements, needs 3$/);
  fails(() => a.layerNormForward(2, 3, 4, 1e-5, f(24), f(2), null, f(16), f(24)), /^native layerNormForward: gamma holds 2 elements, needs 3$/);
  fails(() => a.layerNormForward(2, 3, 4, 1e-5, f(24), null, null, f(15), f(24)), /^native layerNormForward: stats holds 15 elements, needs 16$/);
  fails(() => a.layerNormBackward(2, 3, 4, f(24), null, f(16), f(24), f(24), null, f(2)), /^native layerNormBackward: dBeta holds 2 elements, needs 3$/);
  fails(() => (a.linearAttentionForward as unknown as (...x: unknown[]) => void)(R, 1.5, dh, N, 0.5, f(T), f(T), f(T), f(Gs), f(T)), /^native linearAttentionForward: heads must be a non-negative integer/);
});
