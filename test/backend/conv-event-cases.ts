import assert from 'node:assert/strict';
import type { Backend } from '../../src/backend/backend.js';
import type { WindowGeometry } from '../../src/backend/kernels/conv.js';
import { ArrayStorage, type Storage } from '../../src/backend/storage.js';
import { createTsBackend } from '../../src/backend/ts/backend.js';
import { Rng } from '../../src/tensor/rng.js';

/*
 * Cross-backend checks of the event-driven convolution kernels (ConvKernels.
 * eventConv / eventConvGradW / convGradXSparse), shared by the native and wasm
 * test files: each fast backend against the float32 TypeScript reference on
 * the same inputs, bit for bit (they add in the same order and round in the
 * same places). The cases cover the native kernels' two forms — the bit-mask
 * form (stride 1, dilation 1, rows of at most 64 padded cells, 0/1 inputs;
 * its lockstep groups of four outputs or taps and their tails) and the
 * scatter form (any geometry, non-binary values) — the fixed row widths of
 * their register paths (8, 16, 32, 64 channels) and others, groups, and
 * all-zero inputs.
 */

export const ref: Backend = createTsBackend('float32');

export interface ConvCase {
  g: WindowGeometry;
  N: number;
  Cin: number;
  Cout: number;
  groups: number;
  density: number;
  /** Fraction of the nonzero inputs that are not 1. */
  nonBinary: number;
}

function geometry(H: number, W: number, k: [number, number], s: [number, number], p: [number, number], d: [number, number], extra: [number, number] = [0, 0]): WindowGeometry {
  const out = (n: number, i: 0 | 1): number => Math.floor((n + 2 * p[i] + extra[i] - d[i] * (k[i] - 1) - 1) / s[i]) + 1;
  const g = { H, W, kh: k[0], kw: k[1], sh: s[0], sw: s[1], ph: p[0], pw: p[1], dh: d[0], dw: d[1], Ho: out(H, 0), Wo: out(W, 1) };
  assert.ok(g.Ho >= 1 && g.Wo >= 1, `bad test geometry ${JSON.stringify(g)}`);
  return g;
}

export const fmtCase = (c: ConvCase): string => {
  const g = c.g;
  return `${g.H}x${g.W} k${g.kh}x${g.kw} s${g.sh},${g.sw} p${g.ph},${g.pw} d${g.dh},${g.dw} -> ${g.Ho}x${g.Wo} N=${c.N} ${c.Cin}->${c.Cout} groups=${c.groups} density=${c.density} nonBinary=${c.nonBinary}`;
};

/** Hand-picked cases, then random ones. */
export function convCases(rng: Rng, random: number): ConvCase[] {
  const fixed: ConvCase[] = [
    // The bench network's two layers (mask form, 16 and 32 channels, 8- and 24-wide rows).
    { g: geometry(28, 28, [5, 5], [1, 1], [0, 0], [1, 1]), N: 3, Cin: 1, Cout: 16, groups: 1, density: 0.15, nonBinary: 0 },
    { g: geometry(12, 12, [5, 5], [1, 1], [0, 0], [1, 1]), N: 3, Cin: 16, Cout: 32, groups: 1, density: 0.16, nonBinary: 0 },
    // 3×3 'same' (padding inside the masks), 8 and 64 channels; Wo = 10 leaves a lockstep tail of two.
    { g: geometry(10, 10, [3, 3], [1, 1], [1, 1], [1, 1]), N: 2, Cin: 4, Cout: 8, groups: 1, density: 0.3, nonBinary: 0 },
    { g: geometry(7, 10, [3, 3], [1, 1], [1, 1], [1, 1]), N: 2, Cin: 3, Cout: 64, groups: 1, density: 0.2, nonBinary: 0 },
    // Non-binary values: the scatter form's multiply (and, in the weight gradient, for the whole batch).
    { g: geometry(9, 9, [3, 3], [1, 1], [1, 1], [1, 1]), N: 3, Cin: 2, Cout: 16, groups: 1, density: 0.3, nonBinary: 0.3 },
    // 1×1 (the pointwise layers of spiking transformers), groups, odd channel counts.
    { g: geometry(6, 5, [1, 1], [1, 1], [0, 0], [1, 1]), N: 4, Cin: 12, Cout: 24, groups: 3, density: 0.25, nonBinary: 0 },
    { g: geometry(6, 6, [1, 1], [1, 1], [0, 0], [1, 1]), N: 2, Cin: 32, Cout: 32, groups: 1, density: 0.1, nonBinary: 0 },
    // Pointwise on 0/1 inputs: position masks of two words (P = 100), channel masks of two words (80),
    // a row width that is not a multiple of 8; the token shape of a spiking transformer (split across threads);
    // and a non-binary pointwise input (the transposed eventGemm path).
    { g: geometry(10, 10, [1, 1], [1, 1], [0, 0], [1, 1]), N: 3, Cin: 80, Cout: 20, groups: 1, density: 0.2, nonBinary: 0 },
    { g: geometry(7, 7, [1, 1], [1, 1], [0, 0], [1, 1]), N: 64, Cin: 64, Cout: 64, groups: 1, density: 0.2, nonBinary: 0 },
    { g: geometry(7, 7, [1, 1], [1, 1], [0, 0], [1, 1]), N: 4, Cin: 16, Cout: 16, groups: 2, density: 0.3, nonBinary: 0.1 },
    // Scatter form: strides, dilation, asymmetric 'same' padding, kernels wider than the lockstep group.
    { g: geometry(11, 13, [3, 2], [2, 3], [1, 1], [1, 2]), N: 2, Cin: 4, Cout: 6, groups: 2, density: 0.4, nonBinary: 0 },
    { g: geometry(9, 12, [4, 4], [1, 1], [1, 2], [1, 1], [1, 1]), N: 2, Cin: 3, Cout: 5, groups: 1, density: 0.3, nonBinary: 0 },
    { g: geometry(8, 20, [2, 7], [1, 1], [0, 3], [1, 1]), N: 2, Cin: 2, Cout: 16, groups: 1, density: 0.2, nonBinary: 0 },
    // A padded row past 64 cells (scatter form), 1-D, a window larger than the input, no spikes at all.
    { g: geometry(2, 70, [1, 3], [1, 1], [0, 1], [1, 1]), N: 2, Cin: 2, Cout: 8, groups: 1, density: 0.1, nonBinary: 0 },
    { g: geometry(1, 17, [1, 5], [1, 1], [0, 2], [1, 1]), N: 3, Cin: 3, Cout: 32, groups: 1, density: 0.2, nonBinary: 0 },
    { g: geometry(3, 2, [5, 5], [1, 1], [2, 2], [1, 1]), N: 2, Cin: 2, Cout: 3, groups: 1, density: 0.5, nonBinary: 0 },
    { g: geometry(5, 5, [3, 3], [1, 1], [1, 1], [1, 1]), N: 2, Cin: 2, Cout: 16, groups: 1, density: 0, nonBinary: 0 },
    // Channel counts the native kernels run in register chunks: 96 = 64 + 32, 48 = 32 + 16, 12 = 8 + 4 (a loop over memory).
    { g: geometry(6, 7, [3, 3], [1, 1], [1, 1], [1, 1]), N: 2, Cin: 48, Cout: 96, groups: 1, density: 0.2, nonBinary: 0 },
    { g: geometry(6, 6, [3, 3], [1, 1], [1, 1], [1, 1]), N: 2, Cin: 20, Cout: 12, groups: 1, density: 0.3, nonBinary: 0 },
    { g: geometry(5, 9, [3, 3], [1, 1], [1, 1], [1, 1]), N: 2, Cin: 24, Cout: 200, groups: 2, density: 0.2, nonBinary: 0 },
    // Large enough that the native kernels split the work between two threads.
    { g: geometry(12, 12, [5, 5], [1, 1], [0, 0], [1, 1]), N: 16, Cin: 16, Cout: 32, groups: 1, density: 0.3, nonBinary: 0 },
    { g: geometry(12, 12, [3, 3], [1, 1], [1, 1], [1, 1]), N: 16, Cin: 16, Cout: 32, groups: 2, density: 0.3, nonBinary: 0.05 },
  ];
  const drawn: ConvCase[] = [];
  for (let it = 0; it < random; it++) {
    const groups = [1, 1, 2, 4][rng.int(4)]!;
    const Cg = [1, 2, 3, 8][rng.int(4)]!, Og = [1, 3, 8, 16, 32][rng.int(5)]!;
    const k: [number, number] = [1 + rng.int(5), 1 + rng.int(5)];
    const s: [number, number] = rng.random() < 0.6 ? [1, 1] : [1 + rng.int(3), 1 + rng.int(3)];
    const d: [number, number] = rng.random() < 0.7 ? [1, 1] : [1 + rng.int(2), 1 + rng.int(2)];
    const p: [number, number] = [rng.int(k[0]), rng.int(k[1])];
    const H = d[0] * (k[0] - 1) + 1 + rng.int(9), W = d[1] * (k[1] - 1) + 1 + rng.int(12);
    const density = [0.05, 0.2, 0.5, 1][rng.int(4)]!;
    const nonBinary = rng.random() < 0.25 ? 0.2 : 0;
    drawn.push({ g: geometry(H, W, k, s, p, d, [rng.int(2), rng.int(2)]), N: 1 + rng.int(3), Cin: groups * Cg, Cout: groups * Og, groups, density, nonBinary });
  }
  return [...fixed, ...drawn];
}

function f32(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  return a;
}

function spikes(rng: Rng, n: number, density: number, nonBinary: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) if (rng.random() < density) a[i] = rng.random() < nonBinary ? rng.uniform(-2, 2) : 1;
  return a;
}

/** Sparse output gradient: the max-pool pattern (some entries zero), signed values, some −0. */
function sparseGrad(rng: Rng, n: number, density: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    a[i] = u < density ? rng.uniform(-1, 1) : u < density + 0.02 ? -0 : 0;
  }
  return a;
}

function same(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} !== ${b[i]} (must be identical)`);
}

function copyTo(be: Backend, a: Float32Array): Storage {
  const s = be.alloc(a.length);
  s.data.set(a);
  return s;
}

/**
 * Runs the three kernels on `be` and on the reference for every case and
 * compares every output bit for bit. `variants` runs its argument under each
 * setting to compare (thread counts): every run must give the same bits.
 */
export function checkConvEvent(be: Backend, label: string, cases: ConvCase[], variants: (run: () => void) => void = (run) => run()): void {
  const rng = new Rng(77);
  for (const c of cases) {
    const { g, N, Cin, Cout, groups } = c;
    const what = `${label} ${fmtCase(c)}`;
    const inN = N * Cin * g.H * g.W, outN = N * Cout * g.Ho * g.Wo, wN = Cout * (Cin / groups) * g.kh * g.kw;
    const x = spikes(rng, inN, c.density, c.nonBinary);
    const w = f32(rng, wN, -1, 1);
    const dy = sparseGrad(rng, outN, 0.3);
    const dw0 = f32(rng, wN, -1, 1);
    // The reference on plain arrays; outputs start as garbage (eventConv and convGradXSparse overwrite, eventConvGradW adds).
    const yR = f32(new Rng(1), outN, -5, 5), dwR = dw0.slice(), dxR = f32(new Rng(2), inN, -5, 5);
    ref.eventConv(g, N, Cin, Cout, groups, copyTo(ref, x), copyTo(ref, w), new ArrayStorage(yR));
    ref.eventConvGradW(g, N, Cin, Cout, groups, copyTo(ref, x), copyTo(ref, dy), new ArrayStorage(dwR));
    ref.convGradXSparse(g, N, Cin, Cout, groups, copyTo(ref, dy), copyTo(ref, w), new ArrayStorage(dxR));
    variants(() => {
      const xs = copyTo(be, x), ws = copyTo(be, w), dys = copyTo(be, dy);
      const y = copyTo(be, f32(new Rng(1), outN, -5, 5)), dw = copyTo(be, dw0), dx = copyTo(be, f32(new Rng(2), inN, -5, 5));
      be.eventConv(g, N, Cin, Cout, groups, xs, ws, y);
      be.eventConvGradW(g, N, Cin, Cout, groups, xs, dys, dw);
      be.convGradXSparse(g, N, Cin, Cout, groups, dys, ws, dx);
      same(y.data, yR, `eventConv ${what}`);
      same(dw.data, dwR, `eventConvGradW ${what}`);
      same(dx.data, dxR, `convGradXSparse ${what}`);
    });
  }
}
