import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { backward } from '../../src/autograd/tape.js';
import { tensor, randn } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { channelMask, layerNorm, linearAttention, tokenDot, tokenMean } from '../../src/ops/attention.js';
import { mul, sum } from '../../src/ops/elementwise.js';
import { SpikingAttention, TRANSFORMER_NEURON, type SpikingAttentionOptions } from '../../src/nn/attention.js';
import { ShapeError } from '../../src/errors.js';
import { assertClose, repoRoot } from '../helpers.js';

const ts64 = getBackendByName('ts64');

function rand(shape: number[], rng: Rng, binary = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = binary ? (rng.random() < 0.4 ? 1 : 0) : rng.normal();
  return tensor(v, shape, { backend: ts64, requiresGrad: true });
}

/** scale·(Q Kᵀ) V per head in token-major terms, written as the reference does (attention matrix first). */
function naiveAttention(q: Float64Array, k: Float64Array, v: Float64Array, R: number, H: number, dh: number, N: number, scale: number): Float64Array {
  const out = new Float64Array(R * H * dh * N);
  const C = H * dh;
  for (let r = 0; r < R; r++)
    for (let h = 0; h < H; h++) {
      const at = (x: Float64Array, c: number, n: number): number => x[r * C * N + (h * dh + c) * N + n]!;
      for (let n = 0; n < N; n++)
        for (let j = 0; j < dh; j++) {
          let s = 0;
          for (let m = 0; m < N; m++) {
            let a = 0;
            for (let i = 0; i < dh; i++) a += at(q, i, n) * at(k, i, m);
            s += a * at(v, j, m);
          }
          out[r * C * N + (h * dh + j) * N + n] = scale * s;
        }
    }
  return out;
}

test('linearAttention equals scale·(QKᵀ)V computed attention-matrix first, exactly on spikes in float32', () => {
  const rng = new Rng(3);
  const [T, B, H, dh, N] = [2, 3, 2, 4, 5];
  const q = rand([T, B, H * dh, N], rng, true), k = rand([T, B, H * dh, N], rng, true), v = rand([T, B, H * dh, N], rng, true);
  const want = naiveAttention(q.data as Float64Array, k.data as Float64Array, v.data as Float64Array, T * B, H, dh, N, 0.125);
  const got = linearAttention(q, k, v, H, 0.125);
  assertClose(got.data, want, 1e-12);
  for (const name of ['ts', 'native', 'wasm']) {
    let be;
    try {
      be = getBackendByName(name);
    } catch {
      continue;
    }
    const out = withBackend(be, () => linearAttention(tensor(q.data, q.shape), tensor(k.data, k.shape), tensor(v.data, v.shape), H, 0.125));
    assert.deepEqual(Array.from(out.data), Array.from(Float32Array.from(want)), `${name}: binary products are integers, exact in float32`);
  }
});

test('gradcheck: linearAttention (real-valued Q, K, V as from multi-level spikes), tokenDot, channelMask, layerNorm, tokenMean', () => {
  withBackend(ts64, () => {
    const rng = new Rng(5);
    const s = [2, 2, 6, 3, 2];
    const q = rand(s, rng), k = rand(s, rng), v = rand(s, rng);
    let r = gradcheck(([a, b, c]) => linearAttention(a!, b!, c!, 3, 0.3), [q, k, v]);
    assert.ok(r.ok, `linearAttention: ${r.worst}`);
    r = gradcheck(([a, b]) => tokenDot(a!, b!), [rand(s, rng), rand(s, rng)]);
    assert.ok(r.ok, `tokenDot: ${r.worst}`);
    r = gradcheck(([a, m]) => channelMask(a!, m!), [rand(s, rng), rand([2, 2, 6], rng)]);
    assert.ok(r.ok, `channelMask: ${r.worst}`);
    r = gradcheck(([a, g, b]) => layerNorm(a!, g!, b!), [rand(s, rng), rand([6], rng), rand([6], rng)]);
    assert.ok(r.ok, `layerNorm: ${r.worst}`);
    r = gradcheck(([a]) => tokenMean(a!), [rand(s, rng)]);
    assert.ok(r.ok, `tokenMean: ${r.worst}`);
  });
});

test('layerNorm normalises each token over its channels', () => {
  withBackend(ts64, () => {
    const x = tensor([1, 10, 2, 20, 3, 30], [1, 1, 3, 2]);
    const y = layerNorm(x, null, null, 0).data;
    // token 0: channels (1, 2, 3) → mean 2, var 2/3; token 1: (10, 20, 30).
    const z = Math.sqrt(1.5);
    assertClose(y, [-z, -z, 0, 0, z, z], 1e-12);
  });
});

test('attention ops refuse mismatched shapes with the shapes in the message', () => {
  withBackend(ts64, () => {
    const rng = new Rng(1);
    assert.throws(() => linearAttention(rand([1, 1, 6, 2], rng), rand([1, 1, 6, 3], rng), rand([1, 1, 6, 2], rng), 2, 1), (e: Error) => e instanceof ShapeError && /\[1, 1, 6, 2\]/.test(e.message));
    assert.throws(() => linearAttention(rand([1, 1, 6, 2], rng), rand([1, 1, 6, 2], rng), rand([1, 1, 6, 2], rng), 4, 1), /6 channels do not split into 4 heads/);
    assert.throws(() => channelMask(rand([1, 2, 6, 2], rng), rand([1, 2, 5], rng)), /mask \[1, 2, 5\]/);
  });
});

interface FixtureCase {
  name: string;
  input_shape: number[];
  input: number[];
  params: Record<string, { shape: number[]; values: number[] }>;
  output: number[];
  weights: number[];
  grad_input: number[];
  grad_params: Record<string, number[]>;
}

const fixture = JSON.parse(readFileSync(join(repoRoot(), 'test/fixtures/transformer/blocks-strict.json'), 'utf8')) as { heads: number; cases: FixtureCase[] };

const blockOptions: Record<string, Partial<SpikingAttentionOptions>> = {
  ssa: { mechanism: 'product', qkvBias: true, membraneShortcut: false },
  ssa_membrane_shortcut: { mechanism: 'product', qkvBias: false, membraneShortcut: true },
  sdsa: { mechanism: 'mask', qkvBias: false, membraneShortcut: true },
};

for (const c of fixture.cases) {
  test(`${c.name} block equals the PyTorch reference math (forward and every gradient, float64)`, () => {
    withBackend(ts64, () => {
      const [, , C, N] = c.input_shape as [number, number, number, number];
      const o: SpikingAttentionOptions = { heads: fixture.heads, scale: 0.125, attnThreshold: 0.5, neuron: TRANSFORMER_NEURON, mechanism: 'product', qkvBias: false, membraneShortcut: false, ...blockOptions[c.name] };
      const m = new SpikingAttention([C, N], o, new Rng(0));
      const dict = new Map<string, Tensor>();
      for (const [k, p] of Object.entries(c.params)) dict.set(k, tensor(p.values, p.shape));
      for (const [k, b] of m.namedBuffers()) dict.set(k, b); // running statistics: unused in training mode
      m.loadStateDict(dict);
      const names = new Set(m.namedParameters().map(([k]) => k));
      assert.deepEqual([...names].sort(), Object.keys(c.params).sort(), 'parameter names match the fixture');
      const x = tensor(c.input, c.input_shape, { requiresGrad: true });
      const y = m.forward(x);
      assertClose(y.data, c.output, 1e-9, 0, `${c.name} output`);
      backward(sum(mul(y, tensor(c.weights, y.shape))));
      assertClose(x.grad!.data, c.grad_input, 1e-8, 1e-8, `${c.name} dL/dx`);
      for (const [k, p] of m.namedParameters()) assertClose(p.grad!.data, c.grad_params[k]!, 1e-8, 1e-8, `${c.name} dL/d${k}`);
    });
  });
}

test('SSA block: a stream of one-step calls equals one whole-sequence call (no state leaks between blocks of steps)', () => {
  withBackend(ts64, () => {
    const rng = new Rng(9);
    const m = new SpikingAttention([8, 3, 3], { heads: 2, scale: 0.125, attnThreshold: 0.5, neuron: TRANSFORMER_NEURON, mechanism: 'product', qkvBias: true, membraneShortcut: false }, rng).eval();
    const x = rand([4, 2, 8, 3, 3], rng, true);
    const whole = m.forward(x).data.slice();
    m.resetState();
    const steps: number[] = [];
    for (let t = 0; t < 4; t++) steps.push(...m.forward(tensor(x.data.slice(t * 144, (t + 1) * 144), [1, 2, 8, 3, 3])).data);
    assertClose(steps, whole, 0);
  });
});
