import assert from 'node:assert/strict';
import type { Backend } from '../../src/backend/backend.js';
import { DELAY_INTERP, type DelaySynapses } from '../../src/backend/kernels/delay.js';
import { createTsBackend } from '../../src/backend/ts/backend.js';
import { Rng } from '../../src/tensor/rng.js';

/*
 * Cross-backend checks of the DelayKernels family (src/backend/kernels/delay.ts),
 * shared by the native and wasm test files: each fast backend against the
 * float32 TypeScript reference, on the same inputs.
 *
 * Tolerances (stated in docs/design.md):
 * - linear construction and its backward, and the integer-delay sum: bit-identical
 *   (the same double arithmetic in the same order; no exp);
 * - Gaussian construction: within one float32 ulp of the reference (exp of libm or
 *   AssemblyScript vs V8's Math.exp differ by at most an ulp in double, before the
 *   one rounding to float32), checked as |a − r| ≤ 2⁻²³·|r|;
 * - Gaussian backward: |a − r| ≤ 1e-6·max|r| (dP cancels two terms, so a relative
 *   bound per element would be meaningless near zero);
 * - event-driven convolution: float32 sums against the float64 definition,
 *   |a − r| ≤ 1e-5·(Σ|terms|) per output.
 */

export const ref: Backend = createTsBackend('float32');

function f32(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  return a;
}

function spikes(rng: Rng, n: number, density: number, nonBinary: boolean): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) if (rng.random() < density) a[i] = nonBinary && rng.random() < 0.5 ? rng.uniform(-2, 2) : 1;
  return a;
}

function same(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(a[i] === 0 && b[i] === 0)) assert.fail(`${what}[${i}]: ${a[i]} !== ${b[i]}`);
}

/** The kernel construction and its adjoint, both interpolations, against the reference. */
export function checkKernelBuild(be: Backend, label: string): void {
  const rng = new Rng(31);
  for (const [O, I, K] of [[7, 5, 9], [33, 17, 25]] as const) {
    const n = O * I, half = (K - 1) >> 1;
    const w = f32(rng, n, -1, 1);
    // Positions across the whole range and beyond it (taps that fall off either end).
    const p = f32(rng, n, -half - 1.5, half + 1.5);
    p[0] = -half;
    p[1] = half;
    p[2] = 0;
    const dKer = f32(rng, K * n, -1, 1);
    for (const interp of [DELAY_INTERP.gauss, DELAY_INTERP.linear]) {
      for (const sigma of interp === DELAY_INTERP.gauss ? [0, 0.7, half] : [0]) {
        const what = `${label} ${interp === DELAY_INTERP.gauss ? 'gauss' : 'linear'} σ=${sigma} ${O}×${I}×${K}`;
        const kA = be.alloc(K * n), kR = ref.alloc(K * n);
        // Stale contents must not leak through (linear writes two taps per synapse).
        kA.data.fill(Number.NaN);
        be.delayKernelBuild(n, K, interp, sigma, be.fromArray(w), be.fromArray(p), kA);
        ref.delayKernelBuild(n, K, interp, sigma, ref.fromArray(w), ref.fromArray(p), kR);
        const dWA = be.alloc(n), dPA = be.alloc(n), dWR = ref.alloc(n), dPR = ref.alloc(n);
        be.delayKernelBuildBackward(n, K, interp, sigma, be.fromArray(w), be.fromArray(p), be.fromArray(dKer), dWA, dPA);
        ref.delayKernelBuildBackward(n, K, interp, sigma, ref.fromArray(w), ref.fromArray(p), ref.fromArray(dKer), dWR, dPR);
        // Either gradient alone gives the same numbers as both together.
        const dPOnly = be.alloc(n);
        be.delayKernelBuildBackward(n, K, interp, sigma, be.fromArray(w), be.fromArray(p), be.fromArray(dKer), null, dPOnly);
        same(dPOnly.data, dPA.data, `${what} dP alone`);
        if (interp === DELAY_INTERP.linear) {
          same(kA.data, kR.data, `${what} kernel`);
          same(dWA.data, dWR.data, `${what} dW`);
          same(dPA.data, dPR.data, `${what} dP`);
          continue;
        }
        for (let j = 0; j < K * n; j++) {
          const a = kA.data[j]!, r = kR.data[j]!;
          if (!(Math.abs(a - r) <= 2 ** -23 * Math.abs(r))) assert.fail(`${what} kernel[${j}]: ${a} vs ${r}`);
        }
        for (const [A, R, name] of [[dWA, dWR, 'dW'], [dPA, dPR, 'dP']] as const) {
          let m = 0;
          for (let j = 0; j < n; j++) m = Math.max(m, Math.abs(R.data[j]!));
          for (let j = 0; j < n; j++) if (!(Math.abs(A.data[j]! - R.data[j]!) <= 1e-6 * m)) assert.fail(`${what} ${name}[${j}]: ${A.data[j]} vs ${R.data[j]}`);
        }
      }
    }
  }
}

/** Random tap-major synapse lists (a random integer delay per synapse, some weights left out). */
export function randomSynapses(rng: Rng, K: number, I: number, O: number): DelaySynapses {
  const rows: { o: number; v: number }[][] = Array.from({ length: K * I }, () => []);
  for (let o = 0; o < O; o++)
    for (let i = 0; i < I; i++) {
      if (rng.random() < 0.1) continue;
      rows[rng.int(K) * I + i]!.push({ o, v: Math.fround(rng.uniform(-1, 1)) });
    }
  const rowPtr = new Int32Array(K * I + 1);
  for (let r = 0; r < K * I; r++) rowPtr[r + 1] = rowPtr[r]! + rows[r]!.length;
  const cols = new Int32Array(rowPtr[K * I]!), vals = new Float32Array(cols.length);
  let j = 0;
  for (const row of rows)
    for (const s of row) {
      cols[j] = s.o;
      vals[j++] = s.v;
    }
  return { K, inFeatures: I, outFeatures: O, rowPtr, cols, vals };
}

/** The integer-delay sum: bit-identical to the reference, whole and in chunks, past the input's end. */
export function checkSparseForward(be: Backend, label: string): void {
  const rng = new Rng(32);
  // The second shape is large enough for the native kernel to split its steps between two threads.
  for (const [T, B, I, O, K] of [[13, 3, 6, 5, 5], [120, 32, 20, 600, 3]] as const) {
    const syn = randomSynapses(rng, K, I, O);
    for (const nonBinary of [false, true]) {
      const x = spikes(rng, T * B * I, 0.3, nonBinary);
      const xA = be.fromArray(x), xR = ref.fromArray(x);
      const ranges = [[0, T + 2], [0, 1], [4, 9], [T - 1, T + K]];
      for (const [t0, t1] of ranges) {
        const yA = be.alloc((t1! - t0!) * B * O), yR = ref.alloc((t1! - t0!) * B * O);
        yA.data.fill(Number.NaN);
        be.delaySparseForward(T, t0!, t1!, B, syn, xA, yA);
        ref.delaySparseForward(T, t0!, t1!, B, syn, xR, yR);
        same(yA.data, yR.data, `${label} sparse ${T}×${B}×${I}→${O} K=${K} [${t0}, ${t1}) ${nonBinary ? 'values' : 'spikes'}`);
      }
    }
  }
}

/** The definition in float64: y, and Σ|terms| per output for the tolerance. */
function convDefinition(T: number, Tout: number, B: number, I: number, O: number, K: number, x: Float32Array, ker: Float32Array): { y: Float64Array; mag: Float64Array } {
  const y = new Float64Array(Tout * B * O), mag = new Float64Array(Tout * B * O);
  for (let t = 0; t < Tout; t++)
    for (let b = 0; b < B; b++)
      for (let k = 0; k < K; k++) {
        const s = t - (K - 1 - k);
        if (s < 0 || s >= T) continue;
        for (let i = 0; i < I; i++) {
          const v = x[(s * B + b) * I + i]!;
          if (v === 0) continue;
          for (let o = 0; o < O; o++) {
            const term = ker[(k * O + o) * I + i]! * v;
            y[(t * B + b) * O + o] += term;
            mag[(t * B + b) * O + o] += Math.abs(term);
          }
        }
      }
  return { y, mag };
}

function gradDefinition(T: number, Tout: number, B: number, I: number, O: number, K: number, x: Float32Array, dY: Float32Array): { g: Float64Array; mag: Float64Array } {
  const g = new Float64Array(K * O * I), mag = new Float64Array(K * O * I);
  for (let k = 0; k < K; k++) {
    const d = K - 1 - k;
    for (let t = 0; t + d < Tout && t < T; t++)
      for (let b = 0; b < B; b++)
        for (let i = 0; i < I; i++) {
          const v = x[(t * B + b) * I + i]!;
          if (v === 0) continue;
          for (let o = 0; o < O; o++) {
            const term = v * dY[((t + d) * B + b) * O + o]!;
            g[(k * O + o) * I + i] += term;
            mag[(k * O + o) * I + i] += Math.abs(term);
          }
        }
  }
  return { g, mag };
}

/**
 * The event-driven convolution and its kernel gradient against the float64
 * definition (spikes and non-binary values, with and without a tail); `repeat`
 * runs each call again (e.g. under another thread count) and asks for the same bits.
 */
export function checkEventConv(be: Backend, label: string, repeat?: (fn: () => void) => void): void {
  const rng = new Rng(33);
  for (const [T, B, I, O, K, tail] of [[9, 3, 5, 7, 5, 2], [40, 8, 35, 70, 9, 0], [60, 16, 70, 256, 25, 12]] as const) {
    const Tout = T + tail;
    const ker = f32(rng, K * O * I, -1, 1);
    const dY = f32(rng, Tout * B * O, -1, 1);
    for (const nonBinary of [false, true]) {
      const what = `${label} event ${T}×${B}×${I}→${O} K=${K} tail ${tail} ${nonBinary ? 'values' : 'spikes'}`;
      const x = spikes(rng, T * B * I, 0.15, nonBinary);
      const xs = be.fromArray(x), ks = be.fromArray(ker), gs = be.fromArray(dY);
      const y = be.alloc(Tout * B * O), dK = be.alloc(K * O * I);
      y.data.fill(Number.NaN);
      dK.data.fill(Number.NaN);
      be.delayEventForward(T, Tout, B, I, O, K, xs, ks, y);
      be.delayEventGradKernel(T, Tout, B, I, O, K, xs, gs, dK);
      const fy = convDefinition(T, Tout, B, I, O, K, x, ker);
      for (let j = 0; j < y.length; j++) if (!(Math.abs(y.data[j]! - fy.y[j]!) <= 1e-5 * fy.mag[j]! + 1e-30)) assert.fail(`${what} y[${j}]: ${y.data[j]} vs ${fy.y[j]}`);
      const fg = gradDefinition(T, Tout, B, I, O, K, x, dY);
      for (let j = 0; j < dK.length; j++) if (!(Math.abs(dK.data[j]! - fg.g[j]!) <= 1e-5 * fg.mag[j]! + 1e-30)) assert.fail(`${what} dK[${j}]: ${dK.data[j]} vs ${fg.g[j]}`);
      if (repeat) {
        const y2 = be.alloc(Tout * B * O), dK2 = be.alloc(K * O * I);
        repeat(() => {
          be.delayEventForward(T, Tout, B, I, O, K, xs, ks, y2);
          be.delayEventGradKernel(T, Tout, B, I, O, K, xs, gs, dK2);
        });
        same(y2.data, y.data, `${what} y (repeat)`);
        same(dK2.data, dK.data, `${what} dK (repeat)`);
      }
    }
  }
}
