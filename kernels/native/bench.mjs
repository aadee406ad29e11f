// Micro-benchmark of the native backend against the TypeScript one (medians
// of several runs, wall and CPU time). Run after `npm run build && npm run
// build:native`:  node kernels/native/bench.mjs [--quick] [--threads 2]
// Prints GEMM GFLOP/s, event-driven vs dense linear times at several input
// densities (the crossover sets NATIVE_EVENT_DENSITY_THRESHOLD) and LIF scan times.
import { nativeAddon, registerNativeBackend } from '../../dist/src/backend/native/load-node.js';
import { getBackendByName } from '../../dist/src/backend/registry.js';
import { ArrayStorage } from '../../dist/src/backend/storage.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const ti = args.indexOf('--threads');
const reg = registerNativeBackend();
if (!reg.ok) {
  console.error(reg.reason);
  process.exit(1);
}
if (ti >= 0) nativeAddon().setThreads(Number(args[ti + 1]));
console.log(reg.reason, `(threads now ${nativeAddon().info().threads})`);
const nb = getBackendByName('native'), tb = getBackendByName('ts');

let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const randArr = (n, lo = -1, hi = 1) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand(); return a; };
const spikes = (n, d) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = rand() < d ? 1 : 0; return a; };
const S = (a) => new ArrayStorage(a);

// Wall time and this process's CPU time per run: on a shared machine the CPU
// time (user + system) excludes the slices other processes took, so it is the
// better estimate of an idle core for single-threaded kernels.
function time(fn, reps) {
  fn();
  const wall = [], cpu = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    fn();
    const t1 = performance.now(), c1 = process.cpuUsage(c0);
    wall.push(t1 - t0);
    cpu.push((c1.user + c1.system) / 1000);
  }
  const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  return { med: med(wall), min: Math.min(...wall), cpu: med(cpu) };
}
const fmt = (x) => `${x.med.toFixed(2)} ms (cpu ${x.cpu.toFixed(2)})`;

console.log('\nGEMM GFLOP/s from the median wall time (and from the median CPU time)');
for (const [tA, tB, M, N, K, label] of [
  [false, true, 128, 1000, 784, 'NT 128x784->1000 (forward, B=128)'],
  [false, true, 3200, 1000, 784, 'NT 3200x784->1000 (forward, T·B=3200)'],
  [false, false, 3200, 784, 1000, 'NN 3200x1000->784 (dX)'],
  [true, false, 1000, 784, 3200, 'TN 1000x784 over 3200 (dW)'],
]) {
  const A = S(randArr(M * K)), B = S(randArr(K * N)), C = S(new Float32Array(M * N));
  const flop = 2 * M * N * K;
  const n = time(() => nb.gemm(tA, tB, M, N, K, 1, A, 0, B, 0, 0, C, 0), quick ? 5 : 15);
  const t = time(() => tb.gemm(tA, tB, M, N, K, 1, A, 0, B, 0, 0, C, 0), quick ? 2 : 3);
  const g = (x) => `${(flop / x.med / 1e6).toFixed(1)} (cpu ${(flop / x.cpu / 1e6).toFixed(1)})`;
  console.log(`${label.padEnd(40)} native ${g(n).padEnd(16)} ts ${g(t)}`);
}

// Linear layer 784 -> 1000 on T·B = 3200 rows: forward + weight gradient, dense vs event-driven.
console.log('\nLinear 3200x784->1000: dense (NT + TN GEMMs) vs event-driven (transpose + eventGemm + eventGemmGradW)');
{
  const [M, K, N] = [3200, 784, 1000];
  const W = S(randArr(N * K)), Wt = S(new Float32Array(K * N)), Y = S(new Float32Array(M * N)), dY = S(randArr(M * N)), dW = S(new Float32Array(N * K));
  const densities = quick ? [0.02, 0.1, 0.3] : [0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4];
  for (const be of [nb, tb]) {
    const reps = be === nb ? (quick ? 5 : 9) : 2;
    const X0 = S(spikes(M * K, 0.1));
    const fwdD = time(() => be.gemm(false, true, M, N, K, 1, X0, 0, W, 0, 0, Y, 0), reps);
    const bwdD = time(() => be.gemm(true, false, N, K, M, 1, dY, 0, X0, 0, 0, dW, 0), reps);
    console.log(`${be.name.padEnd(6)} dense: forward ${fmt(fwdD)}, dW ${fmt(bwdD)}`);
    for (const d of densities) {
      if (be === tb && d !== 0.02 && d !== 0.1 && d !== 0.3) continue;
      const X = S(spikes(M * K, d));
      const fwdE = time(() => { be.transpose(N, K, W, Wt); be.eventGemm(M, N, K, X, Wt, 0, Y); }, reps);
      const bwdE = time(() => be.eventGemmGradW(M, N, K, dY, X, dW), reps);
      const speed = (fwdD.cpu + bwdD.cpu) / (fwdE.cpu + bwdE.cpu);
      console.log(`${be.name.padEnd(6)} ${(100 * d).toFixed(0).padStart(2)}%: event forward ${fmt(fwdE)}, dW ${fmt(bwdE)}; dense/event CPU time (fwd+dW) ${speed.toFixed(2)}x`);
    }
  }
}

console.log('\nLIF scan T=25, B=128, N=1000 (delayed subtract reset, per-layer beta/threshold, fast sigmoid)');
{
  const [T, B, F] = [25, 128, 1000], N = B * F, TN = T * N;
  const cfg = { T, B, F, resetMode: 1, delayedReset: true, detachReset: true, inputLeak: false, vReset: 0, betaPerNeuron: false, thresholdPerNeuron: false, recPerNeuron: false, surrogate: { id: 0, p0: 25, p1: 0, smooth: false } };
  const io = {
    x: S(randArr(TN, -0.2, 0.8)), v0: S(new Float32Array(N)), s0: null, beta: S(Float32Array.of(0.9)), threshold: S(Float32Array.of(1)), recV: null, recW: null,
    spikes: S(new Float32Array(TN)), mask: new Uint8Array(TN), h: S(new Float32Array(TN)), v: null, rec: null,
  };
  const bio = { ...io, gSpikes: S(randArr(TN)), gMem: null, dx: S(new Float32Array(TN)), dv0: S(new Float32Array(N)), ds0: null, dBeta: S(new Float32Array(1)), dThreshold: S(new Float32Array(1)), dRecV: null, dRecW: null };
  for (const be of [nb, tb]) {
    const f = time(() => be.lifForward(cfg, io), quick ? 5 : 11);
    const b = time(() => be.lifBackward(cfg, bio), quick ? 5 : 11);
    console.log(`${be.name.padEnd(6)} forward ${fmt(f)}, backward ${fmt(b)}`);
  }
}
