import assert from 'node:assert/strict';
import type { Backend } from '../../src/backend/backend.js';
import { getBackendByName } from '../../src/backend/registry.js';
import { Rng } from '../../src/tensor/rng.js';

/*
 * The WKV kernels of a fast backend against the TypeScript reference
 * (src/backend/ts/rwkv.ts), bit for bit: outputs pre-filled with NaN so an
 * element a kernel forgets shows, shapes whose channel counts leave vector
 * tails, keys wide enough to need the running max, and non-empty states.
 */

interface Case {
  T: number;
  B: number;
  C: number;
  kScale: number;
  /** Start from a state reached by `warm` tokens (0: the empty state). */
  warm: number;
}

const CASES: Case[] = [
  { T: 1, B: 1, C: 1, kScale: 1, warm: 0 },
  { T: 0, B: 2, C: 3, kScale: 1, warm: 0 },
  { T: 13, B: 3, C: 19, kScale: 3, warm: 0 },
  { T: 7, B: 2, C: 37, kScale: 60, warm: 3 },
  { T: 40, B: 5, C: 64, kScale: 1, warm: 2 },
  { T: 33, B: 4, C: 130, kScale: 10, warm: 0 },
];

function values(n: number, rng: Rng, scale: number): number[] {
  return Array.from({ length: n }, () => scale * rng.normal());
}

function run(be: Backend, c: Case, seed: number): number[][] {
  const rng = new Rng(seed);
  const { T, B, C } = c;
  const n = T * B * C;
  const k = be.fromArray(values(n, rng, c.kScale)), v = be.fromArray(values(n, rng, 1));
  const w = be.fromArray(values(C, rng, 1).map((x) => Math.exp(x))), u = be.fromArray(values(C, rng, 1));
  const gy = be.fromArray(values(n, rng, 1));
  // The starting state: the empty one, or after `warm` tokens of other keys and values.
  const empty = be.fromArray([...new Array<number>(2 * B * C).fill(0), ...new Array<number>(B * C).fill(-1e38)]);
  let s0 = empty;
  if (c.warm > 0) {
    const m = c.warm * B * C;
    s0 = be.alloc(3 * B * C);
    be.wkvForward(c.warm, B, C, be.fromArray(values(m, rng, c.kScale)), be.fromArray(values(m, rng, 1)), w, u, empty, be.alloc(m), s0);
  }
  const nan = (len: number) => be.fromArray(new Array<number>(len).fill(NaN));
  const y = nan(n), s1 = nan(3 * B * C), gk = nan(n), gv = nan(n), gw = nan(C), gu = nan(C);
  be.wkvForward(T, B, C, k, v, w, u, s0, y, s1);
  be.wkvBackward(T, B, C, k, v, w, u, s0, gy, gk, gv, gw, gu);
  return [y, s1, gk, gv, gw, gu].map((s) => Array.from(s.data));
}

/** Every case on `be` equals the float32 reference to the bit (NaN-free). */
export function checkWkv(be: Backend, label: string): void {
  const ref = getBackendByName('ts');
  CASES.forEach((c, i) => {
    const want = run(ref, c, 100 + i);
    const got = run(be, c, 100 + i);
    ['y', 'final state', 'dk', 'dv', 'dw', 'du'].forEach((what, j) => {
      for (const x of want[j]!) assert.ok(Number.isFinite(x), `reference ${what} is finite (case ${JSON.stringify(c)})`);
      assert.deepEqual(got[j], want[j], `${label}: ${what}, case ${JSON.stringify(c)}`);
    });
  });
}

/*
 * The block's elementwise kernels (token shift with mixing, sigmoid gate,
 * ReLU²) against the reference, bit for bit: channel counts that leave vector
 * tails, sizes past the two-thread split, a previous token or none, and the
 * optional gradients left out.
 */
const MIX_CASES = [
  { T: 1, B: 1, C: 1 },
  { T: 3, B: 2, C: 13 },
  { T: 9, B: 3, C: 37 },
  { T: 64, B: 16, C: 130 },
];

function runMix(be: Backend, c: { T: number; B: number; C: number }, seed: number, withPrev: boolean, wanted: boolean): number[][] {
  const rng = new Rng(seed);
  const { T, B, C } = c;
  const n = T * B * C;
  const x = be.fromArray(values(n, rng, 2)), g = be.fromArray(values(n, rng, 1));
  const prev = withPrev ? be.fromArray(values(B * C, rng, 1)) : null;
  const mu = be.fromArray(Array.from({ length: C }, () => rng.random()));
  // Gate inputs wide enough to saturate the sigmoid both ways.
  const r = be.fromArray(values(n, rng, 8)), y = be.fromArray(values(n, rng, 1));
  const nan = (len: number) => be.fromArray(new Array<number>(len).fill(NaN));
  const shifted = nan(n), dx = nan(n), dMu = nan(C), out = nan(n), sig = nan(n), dr = nan(n), dy = nan(n), sq = nan(n), dsq = nan(n);
  be.tokenShiftForward(T, B, C, x, prev, mu, shifted);
  be.tokenShiftBackward(T, B, C, x, prev, mu, g, dx, wanted ? dMu : null);
  be.sigmoidGateForward(n, r, y, out, sig);
  be.sigmoidGateBackward(n, g, y, sig, wanted ? dr : null, dy);
  be.reluSquareForward(n, x, sq);
  be.reluSquareBackward(n, x, g, dsq);
  const got = [shifted, dx, out, sig, dy, sq, dsq];
  if (wanted) got.push(dMu, dr);
  return got.map((s) => Array.from(s.data));
}

/** The elementwise kernels on `be` equal the float32 reference to the bit; left-out gradients stay untouched. */
export function checkRwkvMix(be: Backend, label: string): void {
  const ref = getBackendByName('ts');
  const names = ['token shift', 'token shift dx', 'gate out', 'gate sigma', 'gate dy', 'relu²', 'relu² dx', 'token shift dMu', 'gate dr'];
  MIX_CASES.forEach((c, i) => {
    for (const withPrev of [false, true]) {
      for (const wanted of [true, false]) {
        const want = runMix(ref, c, 200 + i, withPrev, wanted);
        const got = runMix(be, c, 200 + i, withPrev, wanted);
        want.forEach((w, j) => {
          for (const x of w) assert.ok(Number.isFinite(x), `reference ${names[j]} is finite`);
          assert.deepEqual(got[j], w, `${label}: ${names[j]}, case ${JSON.stringify({ ...c, withPrev, wanted })}`);
        });
      }
    }
  });
}
