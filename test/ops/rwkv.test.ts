import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import type { Backend } from '../../src/backend/backend.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { reluSquare, sigmoidGate, tokenShiftMix, wkv, lastToken } from '../../src/ops/rwkv.js';
import { embedding, heavisideArctan } from '../../src/ops/embedding.js';
import { backward } from '../../src/autograd/tape.js';
import { sum } from '../../src/ops/elementwise.js';
import { ShapeError } from '../../src/errors.js';
import { assertClose } from '../helpers.js';

const ts64 = getBackendByName('ts64');

function rand(shape: number[], rng: Rng, scale = 1, backend: Backend = ts64, requiresGrad = true): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = scale * rng.normal();
  return tensor(v, shape, { backend, requiresGrad });
}

/** The definition, summed term by term in float64 (no running max: only for moderate k). */
function naiveWkv(k: ArrayLike<number>, v: ArrayLike<number>, td: ArrayLike<number>, u: ArrayLike<number>, T: number, B: number, C: number): Float64Array {
  const y = new Float64Array(T * B * C);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++) {
      const w = Math.exp(td[c]!);
      const at = (x: ArrayLike<number>, t: number): number => x[(t * B + b) * C + c]!;
      for (let t = 0; t < T; t++) {
        let num = Math.exp(u[c]! + at(k, t)) * at(v, t);
        let den = Math.exp(u[c]! + at(k, t));
        for (let i = 0; i < t; i++) {
          const e = Math.exp(-(t - 1 - i) * w + at(k, i));
          num += e * at(v, i);
          den += e;
        }
        y[(t * B + b) * C + c] = num / den;
      }
    }
  return y;
}

test('wkv equals the sum definition of the issue (float64)', () => {
  const rng = new Rng(1);
  const [T, B, C] = [7, 2, 3];
  const k = rand([T, B, C], rng), v = rand([T, B, C], rng), td = rand([C], rng, 0.5), u = rand([C], rng, 0.5);
  const { y } = withBackend(ts64, () => wkv(k, v, td, u, null));
  assertClose(y.data, naiveWkv(k.data, v.data, td.data, u.data, T, B, C), 1e-12, 1e-12, 'wkv');
});

test('wkv stays finite where the sums overflow (keys of ±800)', () => {
  const rng = new Rng(2);
  const [T, B, C] = [6, 1, 2];
  const k = rand([T, B, C], rng, 800), v = rand([T, B, C], rng), td = rand([C], rng), u = rand([C], rng);
  const { y } = withBackend(ts64, () => wkv(k, v, td, u, null));
  for (const x of y.data) assert.ok(Number.isFinite(x), `finite output, got ${x}`);
  // Each output is a convex combination of the values seen so far.
  const V = v.data;
  for (let t = 0; t < T; t++)
    for (let c = 0; c < C; c++) {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i <= t; i++) {
        lo = Math.min(lo, V[i * C + c]!);
        hi = Math.max(hi, V[i * C + c]!);
      }
      const x = y.data[t * C + c]!;
      assert.ok(x >= lo - 1e-12 && x <= hi + 1e-12, `y[${t}, ${c}] = ${x} outside [${lo}, ${hi}]`);
    }
});

test('gradcheck: wkv (k, v, time_decay, time_first), moderate and wide key ranges', () => {
  withBackend(ts64, () => {
    for (const [seed, kScale] of [[3, 1], [4, 6]] as const) {
      const rng = new Rng(seed);
      const [T, B, C] = [6, 2, 3];
      const inputs = [rand([T, B, C], rng, kScale), rand([T, B, C], rng), rand([C], rng, 0.7), rand([C], rng, 0.7)];
      const r = gradcheck(([k, v, td, u]) => wkv(k!, v!, td!, u!, null).y, inputs, { eps: 1e-6, atol: 1e-6, rtol: 1e-5 });
      assert.ok(r.ok, `k scale ${kScale}: ${r.worst}`);
    }
  });
});

test('gradcheck: wkv continuing from a non-empty state', () => {
  withBackend(ts64, () => {
    const rng = new Rng(5);
    const [T, B, C] = [5, 2, 2];
    const first = wkv(rand([3, B, C], rng, 1, ts64, false), rand([3, B, C], rng, 1, ts64, false), rand([C], rng, 1, ts64, false), rand([C], rng, 1, ts64, false), null);
    const inputs = [rand([T, B, C], rng), rand([T, B, C], rng), rand([C], rng, 0.7), rand([C], rng, 0.7)];
    const r = gradcheck(([k, v, td, u]) => wkv(k!, v!, td!, u!, first.state).y, inputs, { eps: 1e-6, atol: 1e-6, rtol: 1e-5 });
    assert.ok(r.ok, r.worst);
  });
});

test('wkv over chunks chained through the state equals one call, token by token included', () => {
  const rng = new Rng(6);
  const [T, B, C] = [9, 2, 4];
  const k = rand([T, B, C], rng, 2, ts64, false), v = rand([T, B, C], rng, 1, ts64, false), td = rand([C], rng, 1, ts64, false), u = rand([C], rng, 1, ts64, false);
  withBackend(ts64, () => {
    const whole = wkv(k, v, td, u, null);
    let state: Tensor | null = null;
    const parts: Tensor[] = [];
    const BC = B * C;
    for (let t = 0; t < T; t++) {
      const kt = tensor(k.data.slice(t * BC, (t + 1) * BC), [1, B, C]), vt = tensor(v.data.slice(t * BC, (t + 1) * BC), [1, B, C]);
      const r: { y: Tensor; state: Tensor } = wkv(kt, vt, td, u, state);
      parts.push(r.y);
      state = r.state;
    }
    assert.deepEqual(Array.from(parts.flatMap((p) => Array.from(p.data))), Array.from(whole.y.data), 'one token at a time equals the whole sequence, bit for bit');
    assert.deepEqual(Array.from(state!.data), Array.from(whole.state.data), 'final states agree');
  });
});

test('gradcheck: tokenShiftMix, sigmoidGate, reluSquare', () => {
  withBackend(ts64, () => {
    const rng = new Rng(8);
    const [T, B, C] = [4, 2, 3];
    const prev = rand([B, C], rng, 1, ts64, false);
    let r = gradcheck(([x, mu]) => tokenShiftMix(x!, prev, mu!), [rand([T, B, C], rng), rand([C], rng)]);
    assert.ok(r.ok, `tokenShiftMix: ${r.worst}`);
    r = gradcheck(([x, mu]) => tokenShiftMix(x!, null, mu!), [rand([T, B, C], rng), rand([C], rng)]);
    assert.ok(r.ok, `tokenShiftMix (no previous token): ${r.worst}`);
    r = gradcheck(([a, b]) => sigmoidGate(a!, b!), [rand([T, B, C], rng), rand([T, B, C], rng)]);
    assert.ok(r.ok, `sigmoidGate: ${r.worst}`);
    // Away from the kink at 0, where the finite difference straddles it.
    const x = rand([T, B, C], rng);
    const d = x.data as Float64Array;
    for (let i = 0; i < d.length; i++) if (Math.abs(d[i]!) < 0.05) d[i] = 0.3;
    r = gradcheck(([a]) => reluSquare(a!), [x]);
    assert.ok(r.ok, `reluSquare: ${r.worst}`);
  });
});

test('tokenShiftMix chained through lastToken equals one call', () => {
  withBackend(ts64, () => {
    const rng = new Rng(9);
    const [T, B, C] = [5, 2, 3];
    const x = rand([T, B, C], rng, 1, ts64, false), mu = rand([C], rng, 1, ts64, false);
    const whole = tokenShiftMix(x, null, mu);
    const a = tensor(x.data.slice(0, 2 * B * C), [2, B, C]), b = tensor(x.data.slice(2 * B * C), [3, B, C]);
    const parts = [tokenShiftMix(a, null, mu), tokenShiftMix(b, lastToken(a), mu)];
    assert.deepEqual(parts.flatMap((p) => Array.from(p.data)), Array.from(whole.data));
  });
});

test('wkv and tokenShiftMix name the bad shape', () => {
  withBackend(ts64, () => {
    const rng = new Rng(10);
    const k = rand([3, 2, 4], rng, 1, ts64, false);
    assert.throws(() => wkv(k, rand([3, 2, 5], rng), rand([4], rng), rand([4], rng), null), (e: unknown) => e instanceof ShapeError && /wkv: k \[3, 2, 4\] and v \[3, 2, 5\] differ/.test(e.message));
    assert.throws(() => wkv(k, k, rand([3], rng), rand([4], rng), null), (e: unknown) => e instanceof ShapeError && /time_decay \[3\] must be \[4\]/.test(e.message));
    assert.throws(() => wkv(rand([3, 8], rng), k, rand([4], rng), rand([4], rng), null), (e: unknown) => e instanceof ShapeError && /\[T, B, C\]/.test(e.message));
    assert.throws(() => tokenShiftMix(k, rand([3, 4], rng), rand([4], rng)), (e: unknown) => e instanceof ShapeError && /previous token \[3, 4\] must be \[2, 4\]/.test(e.message));
  });
});

test('gradcheck: embedding (repeated ids accumulate); heavisideArctan passes the arctan surrogate', () => {
  withBackend(ts64, () => {
    const rng = new Rng(11);
    const ids = tensor([0, 2, 2, 1, 0, 2], [3, 2, 1]);
    const r = gradcheck(([w]) => embedding(ids, w!), [rand([3, 4], rng)]);
    assert.ok(r.ok, `embedding: ${r.worst}`);
    const x = tensor([-1, 0, 0.25, 2], [4], { requiresGrad: true });
    const s = heavisideArctan(x);
    assert.deepEqual(Array.from(s.data), [0, 0, 1, 1]);
    backward(sum(s));
    const g = (v: number): number => 1 / (1 + (Math.PI * v) ** 2);
    assertClose(x.grad!.data, [-1, 0, 0.25, 2].map(g), 1e-15);
  });
});
