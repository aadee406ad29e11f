import assert from 'node:assert/strict';
import type { Backend } from '../../src/backend/backend.js';
import type { Storage } from '../../src/backend/storage.js';
import { createTsBackend } from '../../src/backend/ts/backend.js';
import { Rng } from '../../src/tensor/rng.js';

/*
 * Cross-backend checks of the AttentionKernels family (src/backend/kernels/attention.ts),
 * shared by the native and wasm test files: each fast backend against the float32
 * TypeScript reference, on the same inputs.
 *
 * Bound: bit-identical, for every kernel and every input kind (binary spikes,
 * multi-level spikes k/D with a dyadic and a non-dyadic D, real values) — the
 * fast kernels sum in double with each output element's terms in the
 * reference's order and round once (docs/design.md "Fast backends"), so there
 * is no tolerance to state. Outputs start as NaN so an element a kernel forgets
 * to write shows up.
 */

export const ref: Backend = createTsBackend('float32');

export type InputKind = 'binary' | 'levels4' | 'levels3' | 'real';
export const INPUT_KINDS: InputKind[] = ['binary', 'levels4', 'levels3', 'real'];

/** Spike-like values: 0/1 at `density`, multi-level k/D (k = 1..D), or reals in [-1, 1) with zeros at 1 − density. */
export function values(rng: Rng, n: number, kind: InputKind, density = 0.2): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (rng.random() >= density) continue;
    if (kind === 'binary') a[i] = 1;
    else if (kind === 'levels4') a[i] = (1 + rng.int(4)) / 4;
    else if (kind === 'levels3') a[i] = (1 + rng.int(3)) / 3;
    else a[i] = rng.uniform(-1, 1);
  }
  return a;
}

function real(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

function same(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(a[i] === 0 && b[i] === 0)) assert.fail(`${what}[${i}]: ${a[i]} !== ${b[i]} (must be identical)`);
}

function nanStorage(be: Backend, n: number): Storage {
  const s = be.alloc(n);
  s.data.fill(Number.NaN);
  return s;
}

/** [R, heads, dh, N]: N = 1, dh = 1, odd sizes, heads 1..8, rows wider than one vector tile (dh > 32, N > 64). */
export const ATTENTION_SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1], [2, 1, 1, 7], [3, 2, 3, 1], [2, 3, 5, 7], [3, 4, 4, 9], [2, 5, 7, 13], [2, 6, 2, 3], [2, 7, 3, 11],
  [2, 8, 8, 49], [2, 4, 16, 49], [1, 2, 33, 17], [1, 1, 70, 5], [1, 2, 9, 70], [0, 2, 3, 4], [2, 2, 3, 0],
];

/**
 * linearAttentionForward and every combination of wanted gradients of
 * linearAttentionBackward against the reference; `repeat` reruns the calls
 * (e.g. under another thread count or instruction set) and asks for the same bits.
 */
export function checkLinearAttention(be: Backend, label: string, shapes = ATTENTION_SHAPES, kinds = INPUT_KINDS): void {
  const rng = new Rng(41);
  for (const [R, heads, dh, N] of shapes) {
    const total = R * heads * dh * N, gSize = R * heads * dh * dh;
    for (const kind of kinds) {
      for (const scale of [0.125, 1 / Math.sqrt(Math.max(dh, 2))]) {
        const what = `${label} linearAttention R=${R} heads=${heads} dh=${dh} N=${N} ${kind} scale=${scale}`;
        // Q, K, V of the same kind (V sometimes denser, as after a different LIF).
        const q = values(rng, total, kind), k = values(rng, total, kind), v = values(rng, total, kind, 0.35);
        const dOut = real(rng, total);
        const [qA, kA, vA, dA] = [q, k, v, dOut].map((x) => be.fromArray(x));
        const [qR, kR, vR, dR] = [q, k, v, dOut].map((x) => ref.fromArray(x));
        const GA = nanStorage(be, gSize), outA = nanStorage(be, total);
        const GR = ref.alloc(gSize), outR = ref.alloc(total);
        be.linearAttentionForward(R, heads, dh, N, scale, qA!, kA!, vA!, GA, outA);
        ref.linearAttentionForward(R, heads, dh, N, scale, qR!, kR!, vR!, GR, outR);
        same(GA.data, GR.data, `${what} G`);
        same(outA.data, outR.data, `${what} out`);
        const gradsR = [ref.alloc(total), ref.alloc(total), ref.alloc(total)];
        ref.linearAttentionBackward(R, heads, dh, N, scale, qR!, kR!, vR!, GR, dR!, gradsR[0]!, gradsR[1]!, gradsR[2]!);
        // All three, each alone, and dK with dV (the path that skips dQ's dense product).
        for (const want of [[true, true, true], [true, false, false], [false, true, false], [false, false, true], [false, true, true]]) {
          const gA = want.map((w) => (w ? nanStorage(be, total) : null));
          be.linearAttentionBackward(R, heads, dh, N, scale, qA!, kA!, vA!, GA, dA!, gA[0]!, gA[1]!, gA[2]!);
          ['dQ', 'dK', 'dV'].forEach((name, i) => {
            if (gA[i]) same(gA[i]!.data, gradsR[i]!.data, `${what} ${name} (wanted ${want.map(Number).join('')})`);
          });
        }
      }
    }
  }
}

/** The threaded and per-instruction-set paths give the same bits at a shape large enough to split (R = 64, C = 64, N = 49). */
export function checkLinearAttentionRepeat(be: Backend, label: string, repeat: (fn: () => void) => void): void {
  const rng = new Rng(42);
  const [R, heads, dh, N] = [64, 4, 16, 49];
  const total = R * heads * dh * N;
  for (const kind of ['binary', 'real'] as const) {
    const q = be.fromArray(values(rng, total, kind)), k = be.fromArray(values(rng, total, kind)), v = be.fromArray(values(rng, total, kind));
    const dOut = be.fromArray(real(rng, total));
    const run = (): Float32Array[] => {
      const G = nanStorage(be, R * heads * dh * dh), out = nanStorage(be, total);
      const dQ = nanStorage(be, total), dK = nanStorage(be, total), dV = nanStorage(be, total);
      be.linearAttentionForward(R, heads, dh, N, 0.125, q, k, v, G, out);
      be.linearAttentionBackward(R, heads, dh, N, 0.125, q, k, v, G, dOut, dQ, dK, dV);
      return [G, out, dQ, dK, dV].map((s) => Float32Array.from(s.data));
    };
    const first = run();
    let again: Float32Array[] = [];
    repeat(() => {
      again = run();
    });
    ['G', 'out', 'dQ', 'dK', 'dV'].forEach((name, i) => same(again[i]!, first[i]!, `${label} ${kind} ${name} (repeat)`));
    // And the reference's bits.
    checkLinearAttention(be, `${label} ${kind} large`, [[R, heads, dh, N]], [kind]);
  }
}

/** rowDot and rowScale on binary, multi-level and real rows (zeros of a skipped; b may hold NaN where a is 0). */
export function checkRowKernels(be: Backend, label: string, shapes: [number, number][] = [[1, 1], [3, 1], [1, 9], [7, 5], [9, 49], [130, 33]]): void {
  const rng = new Rng(43);
  for (const [M, N] of shapes) {
    for (const kind of M * N > 1e5 ? (['binary', 'real'] as const) : INPUT_KINDS) {
      const what = `${label} M=${M} N=${N} ${kind}`;
      const a = values(rng, M * N, kind, 0.3), b = real(rng, M * N), s = real(rng, M);
      // The reference never reads b where a is 0: a NaN there must not reach the sum.
      for (let i = 0; i < M * N; i += 7) if (a[i] === 0) b[i] = Number.NaN;
      const dotA = nanStorage(be, M), dotR = ref.alloc(M);
      be.rowDot(M, N, be.fromArray(a), be.fromArray(b), dotA);
      ref.rowDot(M, N, ref.fromArray(a), ref.fromArray(b), dotR);
      same(dotA.data, dotR.data, `${what} rowDot`);
      const scA = nanStorage(be, M * N), scR = ref.alloc(M * N);
      be.rowScale(M, N, be.fromArray(a), be.fromArray(s), scA);
      ref.rowScale(M, N, ref.fromArray(a), ref.fromArray(s), scR);
      same(scA.data, scR.data, `${what} rowScale`);
    }
  }
}

/** layerNormForward/Backward with and without γ, β, dγ, dβ (accumulated into nonzero starting values). */
export function checkLayerNorm(be: Backend, label: string, shapes: [number, number, number][] = [[1, 1, 1], [2, 3, 1], [3, 1, 4], [2, 5, 7], [4, 64, 49], [2, 33, 9]]): void {
  const rng = new Rng(44);
  for (const [R, C, N] of shapes) {
    const total = R * C * N;
    for (const kind of ['binary', 'real'] as const) {
      // Spike inputs (a layer norm after a LIF) make many tokens constant over C: variance 0.
      const x = kind === 'real' ? real(rng, total) : values(rng, total, 'binary', 0.3);
      const gamma = real(rng, C), beta = real(rng, C), dY = real(rng, total);
      const dg0 = real(rng, C), db0 = real(rng, C);
      for (const affine of [true, false]) {
        const what = `${label} layerNorm R=${R} C=${C} N=${N} ${kind} ${affine ? 'affine' : 'plain'}`;
        const gA = affine ? be.fromArray(gamma) : null, bA = affine ? be.fromArray(beta) : null;
        const gR = affine ? ref.fromArray(gamma) : null, bR = affine ? ref.fromArray(beta) : null;
        const xA = be.fromArray(x), xR = ref.fromArray(x);
        const stA = nanStorage(be, 2 * R * N), yA = nanStorage(be, total), stR = ref.alloc(2 * R * N), yR = ref.alloc(total);
        be.layerNormForward(R, C, N, 1e-5, xA, gA, bA, stA, yA);
        ref.layerNormForward(R, C, N, 1e-5, xR, gR, bR, stR, yR);
        same(stA.data, stR.data, `${what} stats`);
        same(yA.data, yR.data, `${what} y`);
        const dyA = be.fromArray(dY), dyR = ref.fromArray(dY);
        for (const [wantG, wantB] of [[true, true], [true, false], [false, true], [false, false]]) {
          const dxA = nanStorage(be, total), dxR = ref.alloc(total);
          const dgA = wantG ? be.fromArray(dg0) : null, dbA = wantB ? be.fromArray(db0) : null;
          const dgR = wantG ? ref.fromArray(dg0) : null, dbR = wantB ? ref.fromArray(db0) : null;
          be.layerNormBackward(R, C, N, xA, gA, stA, dyA, dxA, dgA, dbA);
          ref.layerNormBackward(R, C, N, xR, gR, stR, dyR, dxR, dgR, dbR);
          same(dxA.data, dxR.data, `${what} dX`);
          if (dgA) same(dgA.data, dgR!.data, `${what} dGamma`);
          if (dbA) same(dbA.data, dbR!.data, `${what} dBeta`);
        }
      }
    }
  }
}
