import test from 'node:test';
import assert from 'node:assert/strict';
import { fusedKernel, MULTILEVEL_SCAN } from '../../../src/backend/kernels/neuron.js';
import { MULTI_LEVEL_CFG_LENGTH, packMultiLevelCfg } from '../../../src/backend/native/addon.generated.js';
import { BackendError } from '../../../src/errors.js';
import { checkMultiLevel, everyConfiguration, qsdCase } from '../multilevel-cases.js';
import { addon, forEachIsa, native, skipReason } from './setup.js';

// The native multi-level scan against the TypeScript kernel: bit-identical (../multilevel-cases.ts).

test('multi-level scan: every option, surrogate and D, ties and non-finite charges, bit-identical to the TypeScript kernel on every ISA', { skip: skipReason }, () => {
  forEachIsa(() => assert.equal(everyConfiguration(native()), 128));
});

test("multi-level scan: QSD-Transformer's neuron at T = 1 and T = 4 runs natively, on one thread and split over two", { skip: skipReason }, () => {
  const a = addon();
  const threads = a.info().threads;
  try {
    for (const n of [1, 2]) {
      a.setThreads(n);
      // T·B·F from 2^17 (the backward splits) and above 2^20 (the forward too); an odd F puts a vector tail in every row.
      checkMultiLevel(native(), qsdCase(1, 64, 64 * 49), 'random', 1);
      checkMultiLevel(native(), qsdCase(4, 64, 4099), 'random', 2);
      checkMultiLevel(native(), { ...qsdCase(1, 16, 8191), betaPerNeuron: true, paramGrads: true }, 'random', 3);
    }
  } finally {
    a.setThreads(threads);
  }
});

test('multi-level scan: the smooth test forward and D above 2^16 go to the TypeScript kernel; the addon refuses D outside 1..65536', { skip: skipReason }, () => {
  const k = fusedKernel(native().neuronKernels, MULTILEVEL_SCAN)!;
  const c = { T: 1, B: 1, F: 2, levels: 4, normalized: true, hardReset: false, vReset: 0, detachReset: true, betaPerNeuron: false, thresholdPerNeuron: false };
  const st = (n: number) => native().alloc(n);
  const io = { x: st(2), v0: st(2), beta: st(1), threshold: st(1), spikes: st(2), v: st(2) };
  assert.equal(k.forward({ ...c, surrogate: { id: 7, p0: 1, p1: 0, smooth: true } }, io), false);
  assert.equal(k.forward({ ...c, levels: 65537, surrogate: { id: 7, p0: 1, p1: 0, smooth: false } }, io), false);
  const buf = new Float64Array(MULTI_LEVEL_CFG_LENGTH);
  for (const levels of [0, 65537]) {
    const cfg = packMultiLevelCfg({ ...c, levels, surrogate: { id: 7, p0: 1, p1: 0, smooth: false } }, buf);
    assert.throws(
      () => addon().multiLevelForward(cfg, io.x.data, io.v0.data, io.beta.data, io.threshold.data, io.spikes.data, io.v.data),
      (e: unknown) => e instanceof BackendError && /multiLevelForward: cfg\.levels must be in 1\.\.65536, got /.test(e.message),
    );
  }
});
