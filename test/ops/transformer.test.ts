import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import type { Backend } from '../../src/backend/backend.js';
import { registerNativeBackend } from '../../src/backend/native/load-node.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { noGrad } from '../../src/autograd/tape.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { addPositionEmbedding, causalAttention, gelu } from '../../src/ops/transformer.js';
import { ShapeError } from '../../src/errors.js';
import { assertClose } from '../helpers.js';

const ts64 = getBackendByName('ts64');
const nativeStatus = registerNativeBackend();

function rand(shape: number[], rng: Rng, scale = 1, backend: Backend = ts64, requiresGrad = true): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float64Array.from({ length: n }, () => scale * rng.normal()), shape, { backend, requiresGrad });
}

/** The definition, per (t, b, head), with the keys of the past first: plain exponentials, no max subtraction. */
function naiveAttention(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, T: number, B: number, C: number, H: number): Float64Array {
  const dh = C / H;
  const y = new Float64Array(T * B * C);
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const at = (x: ArrayLike<number>, s: number, i: number): number => x[(s * B + b) * C + h * dh + i]!;
        const w: number[] = [];
        for (let j = 0; j <= t; j++) {
          let s = 0;
          for (let i = 0; i < dh; i++) s += at(q, t, i) * at(k, j, i);
          w.push(Math.exp(s / Math.sqrt(dh)));
        }
        const z = w.reduce((a, c) => a + c, 0);
        for (let i = 0; i < dh; i++) {
          let s = 0;
          for (let j = 0; j <= t; j++) s += (w[j]! / z) * at(v, j, i);
          y[(t * B + b) * C + h * dh + i] = s;
        }
      }
  return y;
}

test('causalAttention equals the definition (float64), on ts, wasm and native within float32 rounding', () => {
  const rng = new Rng(1);
  const [T, B, C, H] = [6, 2, 8, 2];
  const q = rand([T, B, C], rng), k = rand([T, B, C], rng), v = rand([T, B, C], rng);
  const want = naiveAttention(q.data, k.data, v.data, T, B, C, H);
  const { y, cache } = withBackend(ts64, () => causalAttention(q, k, v, H, null));
  assertClose(y.data, want, 1e-12, 1e-12, 'ts64');
  assert.deepEqual(cache.k.shape, [B, H, T, C / H]);
  for (const name of ['ts', 'wasm', ...(nativeStatus.ok ? ['native'] : [])]) {
    const be = getBackendByName(name);
    const on = (t: Tensor): Tensor => tensor(t.data, t.shape, { backend: be });
    const r = withBackend(be, () => noGrad(() => causalAttention(on(q), on(k), on(v), H, null)));
    assertClose(r.y.data, want, 2e-6, 1e-5, name);
  }
});

test('causalAttention continues from a cache: P tokens then T tokens equal P + T tokens at once', () => {
  const rng = new Rng(2);
  const [P, T, B, C, H] = [4, 3, 2, 6, 3];
  const q = rand([P + T, B, C], rng), k = rand([P + T, B, C], rng), v = rand([P + T, B, C], rng);
  withBackend(ts64, () =>
    noGrad(() => {
      const whole = causalAttention(q, k, v, H, null).y.data;
      const cut = (x: Tensor, a: number, b: number): Tensor => tensor(x.data.slice(a * B * C, b * B * C), [b - a, B, C]);
      const first = causalAttention(cut(q, 0, P), cut(k, 0, P), cut(v, 0, P), H, null);
      let cache = first.cache;
      const rows = [...first.y.data];
      for (let t = P; t < P + T; t++) {
        const r = causalAttention(cut(q, t, t + 1), cut(k, t, t + 1), cut(v, t, t + 1), H, cache);
        rows.push(...r.y.data);
        cache = r.cache;
      }
      assertClose(rows, whole, 1e-13, 0, 'cached');
      assert.deepEqual(cache.k.shape, [B, H, P + T, C / H]);
      assert.throws(() => causalAttention(cut(q, 0, 1), cut(k, 0, 1), cut(v, 0, 1), 2, cache), (e: unknown) => e instanceof ShapeError && /cached keys/.test(e.message));
    }),
  );
});

test('causalAttention stays finite where the exponentials overflow (scores of ±10⁴)', () => {
  const rng = new Rng(3);
  const [T, B, C, H] = [5, 1, 4, 1];
  const q = rand([T, B, C], rng, 100), k = rand([T, B, C], rng, 100), v = rand([T, B, C], rng);
  const { y } = withBackend(ts64, () => causalAttention(q, k, v, H, null));
  for (let i = 0; i < y.size; i++) assert.ok(Number.isFinite(y.data[i]!), `finite, got ${y.data[i]}`);
  // Each output is a convex combination of the values seen so far: within their range per channel.
  for (let t = 0; t < T; t++)
    for (let c = 0; c < C; c++) {
      const seen = Array.from({ length: t + 1 }, (_, j) => v.data[j * C + c]!);
      const out = y.data[t * C + c]!;
      assert.ok(out >= Math.min(...seen) - 1e-12 && out <= Math.max(...seen) + 1e-12);
    }
});

test('gradcheck: causalAttention (fresh and after a cache), addPositionEmbedding, gelu', () => {
  withBackend(ts64, () => {
    const rng = new Rng(4);
    const [T, B, C, H] = [5, 2, 6, 2];
    const q = rand([T, B, C], rng), k = rand([T, B, C], rng), v = rand([T, B, C], rng);
    let r = gradcheck((i) => causalAttention(i[0]!, i[1]!, i[2]!, H, null).y, [q, k, v], { eps: 1e-6, atol: 1e-7, rtol: 1e-6 });
    assert.ok(r.ok, `fresh: ${r.worst}`);
    const past = noGrad(() => causalAttention(rand([3, B, C], rng), rand([3, B, C], rng), rand([3, B, C], rng), H, null).cache);
    r = gradcheck((i) => causalAttention(i[0]!, i[1]!, i[2]!, H, past).y, [q, k, v], { eps: 1e-6, atol: 1e-7, rtol: 1e-6 });
    assert.ok(r.ok, `after 3 cached tokens: ${r.worst}`);
    // Large scores (a peaked softmax) still differentiate correctly.
    r = gradcheck((i) => causalAttention(i[0]!, i[1]!, i[2]!, H, null).y, [rand([T, B, C], rng, 3), rand([T, B, C], rng, 3), v], { eps: 1e-7, atol: 1e-6, rtol: 1e-5 });
    assert.ok(r.ok, `peaked: ${r.worst}`);
    const x = rand([T, B, C], rng), table = rand([9, C], rng);
    r = gradcheck((i) => addPositionEmbedding(i[0]!, i[1]!, 3), [x, table]);
    assert.ok(r.ok, `positions: ${r.worst}`);
    r = gradcheck((i) => gelu(i[0]!), [rand([T, B, C], rng, 2)]);
    assert.ok(r.ok, `gelu: ${r.worst}`);
  });
});

test('gelu is the tanh form (finite for any input); positions outside the table are an error', () => {
  withBackend(ts64, () => {
    const xs = [-1e3, -40, -3, -1, -0.1, 0, 0.5, 2, 6, 1e3];
    const want = xs.map((a) => 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a ** 3))));
    assertClose(gelu(tensor(xs)).data, want, 1e-15, 0, 'gelu');
    const x = tensor(new Float64Array(2 * 1 * 3), [2, 1, 3]);
    assert.throws(() => addPositionEmbedding(x, tensor(new Float64Array(4 * 3), [4, 3]), 3), (e: unknown) => e instanceof ShapeError && /positions 3 … 4 are outside the table's 4/.test(e.message));
  });
});
