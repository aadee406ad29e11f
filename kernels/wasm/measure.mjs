#!/usr/bin/env node
// Kernel timings of the wasm backend against the TypeScript reference (medians
// of repeated runs). Needs the compiled tree: `npx tsc -p . && node kernels/wasm/measure.mjs [gemm|event|lif|all]`.
import { createTsBackend } from '../../dist/src/backend/ts/backend.js';
import { createWasmBackend } from '../../dist/src/backend/wasm/backend.js';

const what = process.argv[2] ?? 'all';
const ts = createTsBackend('float32');
const wasm = createWasmBackend();

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function time(fn, minMs = 300, minReps = 5) {
  fn();
  const ts_ = [];
  const t0 = performance.now();
  while (ts_.length < minReps || performance.now() - t0 < minMs) {
    const a = performance.now();
    fn();
    ts_.push(performance.now() - a);
  }
  return median(ts_);
}
function rand(b, n, density = 1) {
  const s = b.alloc(n);
  const d = s.data;
  for (let i = 0; i < n; i++) d[i] = density >= 1 ? Math.random() - 0.5 : Math.random() < density ? 1 : 0;
  return s;
}

if (what === 'gemm' || what === 'all') {
  for (const [tA, tB, M, N, K, label] of [[false, true, 128, 1000, 784, '128x784x1000 NT (x·Wᵀ)'], [false, false, 3200, 784, 1000, '3200x1000x784 NN'], [false, true, 3200, 1000, 784, '3200x784x1000 NT'], [true, false, 1000, 784, 3200, 'TN dW 1000x784 K=3200']]) {
    const row = [];
    for (const b of [ts, wasm]) {
      const A = rand(b, M * K), B = rand(b, K * N), C = b.alloc(M * N);
      const ms = time(() => b.gemm(tA, tB, M, N, K, 1, A, 0, B, 0, 0, C, 0));
      row.push(`${b.name} ${ms.toFixed(2)} ms ${((2 * M * N * K) / ms / 1e6).toFixed(1)} GFLOP/s`);
    }
    console.log(`gemm ${label}: ${row.join(' | ')}`);
  }
}
if (what === 'event' || what === 'all') {
  const M = 128, K = 784, N = 1000;
  for (const b of [ts, wasm]) {
    const Wt = rand(b, K * N), W = rand(b, N * K), Y = b.alloc(M * N), dY = rand(b, M * N), dW = b.alloc(N * K);
    const X0 = rand(b, M * K, 1);
    const dense = time(() => b.gemm(false, true, M, N, K, 1, X0, 0, W, 0, 0, Y, 0));
    const denseW = time(() => b.gemm(true, false, N, K, M, 1, dY, 0, X0, 0, 1, dW, 0));
    const parts = [`dense fwd ${dense.toFixed(3)} ms, dense dW ${denseW.toFixed(3)} ms`];
    for (const d of [0.02, 0.1, 0.3, 0.5]) {
      const X = rand(b, M * K, d);
      const ev = time(() => b.eventGemm(M, N, K, X, Wt, 0, Y));
      const evW = time(() => b.eventGemmGradW(M, N, K, dY, X, dW));
      parts.push(`${d * 100}%: event fwd ${ev.toFixed(3)} ms, event dW ${evW.toFixed(3)} ms`);
    }
    console.log(`${b.name} M=${M} K=${K} N=${N}: ${parts.join('; ')}`);
  }
}
if (what === 'lif' || what === 'all') {
  const T = 25, B = 128, F = 1000, N = B * F;
  for (const b of [ts, wasm]) {
    for (const [label, delayedReset, surrogateId] of [['snnTorch Leaky (delayed subtract, atan)', true, 1], ['same-step subtract, fastSigmoid', false, 0]]) {
      const cfg = { T, B, F, resetMode: 1, delayedReset, detachReset: false, inputLeak: false, vReset: 0, betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: false, surrogate: { id: surrogateId, p0: 2, p1: 1, smooth: false } };
      const x = rand(b, T * N); const xd = x.data; for (let i = 0; i < xd.length; i++) xd[i] *= 1.5;
      const io = { x, v0: b.alloc(N), s0: null, beta: b.fromArray([0.9]), threshold: b.fromArray([1]), recV: null, recW: null, spikes: b.alloc(T * N), mask: new Uint8Array(T * N), h: b.alloc(T * N), v: delayedReset ? null : b.alloc(T * N), rec: null };
      const fwd = time(() => b.lifForward(cfg, io));
      const bio = { ...io, gSpikes: rand(b, T * N), gMem: null, dx: b.alloc(T * N), dv0: b.alloc(N), ds0: null, dBeta: b.alloc(1), dThreshold: b.alloc(1), dRecV: null, dRecW: null };
      const bwd = time(() => b.lifBackward(cfg, bio));
      console.log(`${b.name} LIF ${label} T=${T} B=${B} N=${F}: fwd ${fwd.toFixed(2)} ms, bwd ${bwd.toFixed(2)} ms`);
    }
  }
}
