import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { backward } from '../../src/autograd/tape.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { lsqQuantize, quantizeLevel, quantLevels, roundHalfEven } from '../../src/ops/quantize.js';
import { linear } from '../../src/ops/linear.js';
import { ConfigError, NumericError, ShapeError } from '../../src/errors.js';
import { float32Backends } from '../neurons/backends.js';

const ts64 = getBackendByName('ts64');
const ts = getBackendByName('ts');

test('quantLevels: signed b-bit ranges, 2 bits is −2..1; other widths are refused', () => {
  assert.deepEqual(quantLevels(8), { bits: 8, qn: 128, qp: 127 });
  assert.deepEqual(quantLevels(4), { bits: 4, qn: 8, qp: 7 });
  assert.deepEqual(quantLevels(3), { bits: 3, qn: 4, qp: 3 });
  assert.deepEqual(quantLevels(2), { bits: 2, qn: 2, qp: 1 });
  for (const b of [1, 9, 4.5, 0]) assert.throws(() => quantLevels(b), (e: unknown) => e instanceof ConfigError && /bits must be an integer from 2 to 8, got/.test((e as Error).message));
});

test('roundHalfEven: ties go to the even neighbour, as torch.round', () => {
  const cases: [number, number][] = [[0.5, 0], [1.5, 2], [2.5, 2], [-0.5, -0], [-1.5, -2], [-2.5, -2], [2.4999, 2], [2.5001, 3], [-3.7, -4], [7, 7]];
  for (const [x, want] of cases) assert.equal(roundHalfEven(x), want, `round(${x})`);
  assert.equal(quantizeLevel(-0.1, 1, 8, 7), 0, 'no −0 level');
  assert.ok(Object.is(quantizeLevel(-0.1, 1, 8, 7), 0));
});

test('lsqQuantize: exact values per channel, clamping at −Qn and Qp, every bit width', () => {
  withBackend(ts64, () => {
    // Two channels of 4 weights, steps 0.5 and 0.25, 4 bits (−8..7).
    const w = tensor([0.74, 0.75, 0.25, -0.25, 10, -10, 0.3, -0.374], [2, 4]);
    const s = tensor([0.5, 0.25], [2]);
    const q = lsqQuantize(w, s, { qn: 8, qp: 7, gradScale: 1 });
    // 1.48→1, 1.5→2 (tie, even), 0.5→0, −0.5→0 | 40→7, −40→−8, 1.2→1, −1.496→−1
    assert.deepEqual([...q.data], [0.5, 1, 0, 0, 1.75, -2, 0.25, -0.25]);
    // 2 bits: levels −2..1 only.
    const w2 = tensor([1.6, -3, -1.5, 0.6, 0.4, -0.6], [6]);
    const q2 = lsqQuantize(w2, tensor([1], [1]), { ...quantLevels(2), gradScale: 1 });
    assert.deepEqual([...q2.data], [1, -2, -2, 1, 0, -1]);
    // Every width: the grid has exactly 2^b levels, from −Qn·s to Qp·s.
    for (const bits of [2, 3, 4, 8]) {
      const L = quantLevels(bits);
      const n = 4 * (L.qn + L.qp + 1);
      const ramp = tensor(Array.from({ length: n }, (_, i) => -L.qn - 3 + ((L.qn + L.qp + 6) * i) / (n - 1)), [n]);
      const out = lsqQuantize(ramp, tensor([1], [1]), { ...L, gradScale: 1 });
      const levels = new Set(out.data);
      assert.equal(levels.size, 2 ** bits, `${bits} bits`);
      assert.equal(Math.min(...levels), -L.qn);
      assert.equal(Math.max(...levels), L.qp);
    }
  });
});

test('lsqQuantize: float32 storage holds round(q·s) of the float32 step (what the integer export reproduces)', () => {
  withBackend(ts, () => {
    const w = tensor([0.123, -0.456, 0.789], [3]);
    const s = tensor([0.1], [1]);
    const q = lsqQuantize(w, s, { qn: 8, qp: 7, gradScale: 1 });
    const s32 = Math.fround(0.1);
    assert.deepEqual([...q.data], [1, -5, 8].map((k) => Math.fround(Math.min(7, k) * s32)));
  });
});

test('lsqQuantize backward: the straight-through and LSQ step gradients against their definitions', () => {
  withBackend(ts64, () => {
    const rng = new Rng(5);
    const { qn, qp } = quantLevels(3);
    const C = 3, per = 7;
    const wv = Array.from({ length: C * per }, () => rng.uniform(-3, 2.5));
    const sv = [0.3, 0.45, 0.6];
    const w = tensor(wv, [C, per], { requiresGrad: true });
    const s = tensor(sv, [C], { requiresGrad: true });
    const g = Array.from({ length: C * per }, () => rng.uniform(-1, 1));
    const gscale = 1 / Math.sqrt(per * qp);
    const out = lsqQuantize(w, s, { qn, qp, gradScale: gscale });
    backward(out, tensor(g, [C, per]));
    const gs = [0, 0, 0];
    let inside = 0, below = 0, above = 0;
    for (let i = 0; i < C * per; i++) {
      const c = Math.floor(i / per);
      const v = wv[i]! / sv[c]!;
      // LSQ eq. 3 and the STE of round: the definition, written out independently of the op.
      if (v <= -qn) {
        below++;
        gs[c]! += -qn * g[i]!;
        assert.equal(w.grad!.data[i], 0, `no weight gradient below the range (${i})`);
      } else if (v >= qp) {
        above++;
        gs[c]! += qp * g[i]!;
        assert.equal(w.grad!.data[i], 0, `no weight gradient above the range (${i})`);
      } else {
        inside++;
        gs[c]! += (Math.round(v) - v) * g[i]!; // no ties at random points
        assert.equal(w.grad!.data[i], g[i], `straight through inside the range (${i})`);
      }
    }
    assert.ok(inside > 3 && below > 1 && above > 1, `points in all three regions (${inside}, ${below}, ${above})`);
    for (let c = 0; c < C; c++) assert.ok(Math.abs(s.grad!.data[c]! - gscale * gs[c]!) < 1e-12, `step gradient of channel ${c}`);
  });
});

test('lsqQuantize gradients match finite differences where the function is differentiable (clamped region, away from the boundaries)', () => {
  withBackend(ts64, () => {
    const rng = new Rng(9);
    const { qn, qp } = quantLevels(4);
    // |w/s| ≥ Qp + 0.5 or ≤ −Qn − 0.5: w_q = ±Q·s exactly, so ∂/∂s = Qp or −Qn and ∂/∂w = 0 are the true derivatives.
    const sv = [0.2, 0.3];
    const wv = Array.from({ length: 10 }, (_, i) => {
      const c = Math.floor(i / 5);
      const mag = rng.uniform(qp + 0.5, qp + 4) * sv[c]!;
      return rng.uniform(0, 1) < 0.5 ? mag : -mag - sv[c]!;
    });
    const w = tensor(wv, [2, 5], { requiresGrad: true });
    const s = tensor(sv, [2], { requiresGrad: true });
    const r = gradcheck(([a, b]) => lsqQuantize(a!, b!, { qn, qp, gradScale: 1 }), [w, s]);
    assert.ok(r.ok, r.worst);
    // Through a linear layer: the input's gradient is exact everywhere (rounding points excluded by random draws).
    const x = tensor(Array.from({ length: 3 * 5 }, () => rng.uniform(-1, 1)), [3, 5], { requiresGrad: true });
    const wi = tensor(Array.from({ length: 2 * 5 }, () => rng.uniform(-1, 1)), [2, 5]);
    const r2 = gradcheck(([a, b, c]) => linear(a!, lsqQuantize(b!, c!, { qn, qp, gradScale: 1 }), null), [x, w, tensor(sv, [2], { requiresGrad: true })]);
    assert.ok(r2.ok, r2.worst);
    const r3 = gradcheck(([a]) => linear(a!, lsqQuantize(wi, tensor([0.1], [1]), { qn, qp, gradScale: 1 }), null), [x]);
    assert.ok(r3.ok, r3.worst);
  });
});

test('lsqQuantize: the step gradient scale multiplies only the step gradient', () => {
  withBackend(ts64, () => {
    const mk = (gs: number): [number[], number[]] => {
      const w = tensor([0.3, -0.7, 2.2, 0.05], [4], { requiresGrad: true });
      const s = tensor([0.25], [1], { requiresGrad: true });
      backward(lsqQuantize(w, s, { qn: 4, qp: 3, gradScale: gs }), tensor([1, -2, 0.5, 3], [4]));
      return [[...w.grad!.data], [...s.grad!.data]];
    };
    const [w1, s1] = mk(1);
    const [w2, s2] = mk(0.125);
    assert.deepEqual(w2, w1);
    assert.equal(s2[0], s1[0]! * 0.125);
    // By hand: v = 1.2, −2.8, 8.8 (→Qp), 0.2 → (1−1.2)·1 + (−3+2.8)·(−2) + 3·0.5 + (0−0.2)·3
    assert.ok(Math.abs(s1[0]! - (-0.2 + 0.4 + 1.5 - 0.6)) < 1e-12);
  });
});

test('lsqQuantize refuses a step of the wrong shape or a non-positive step, naming it', () => {
  withBackend(ts64, () => {
    const w = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    assert.throws(() => lsqQuantize(w, tensor([1, 1], [2]), { qn: 8, qp: 7, gradScale: 1 }), (e: unknown) => e instanceof ShapeError && /step \[2\] must be \[1\] \(per tensor\) or \[3\]/.test((e as Error).message));
    assert.throws(() => lsqQuantize(w, tensor([1, 0, 1], [3]), { qn: 8, qp: 7, gradScale: 1 }), (e: unknown) => e instanceof NumericError && /step of channel 1 is 0/.test((e as Error).message));
  });
});

test('lsqQuantize gives the same numbers on every float32 backend (it runs over the storage views)', (t) => {
  const { backends, skipped } = float32Backends();
  if (skipped) t.diagnostic(skipped);
  const rng = new Rng(11);
  const wv = Array.from({ length: 6 * 40 }, () => rng.uniform(-1, 1));
  const gv = Array.from({ length: 6 * 40 }, () => rng.uniform(-1, 1));
  const run = (be: ReturnType<typeof getBackendByName>): number[][] =>
    withBackend(be, () => {
      const w = tensor(wv, [6, 40], { requiresGrad: true });
      const s = tensor([0.05, 0.1, 0.15, 0.2, 0.25, 0.3], [6], { requiresGrad: true });
      const q = lsqQuantize(w, s, { qn: 4, qp: 3, gradScale: 0.1 });
      backward(q, tensor(gv, [6, 40]));
      return [[...q.data], [...w.grad!.data], [...s.grad!.data]];
    });
  const ref = run(ts);
  for (const [name, be] of backends) assert.deepEqual(run(be), ref, name);
});
