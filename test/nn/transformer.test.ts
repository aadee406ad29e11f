import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import type { Backend } from '../../src/backend/backend.js';
import { registerNativeBackend } from '../../src/backend/native/load-node.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { backward, noGrad } from '../../src/autograd/tape.js';
import { buildModel, type LayerConfig } from '../../src/nn/builder.js';
import { planModel } from '../../src/nn/plan.js';
import { Transformer } from '../../src/nn/transformer.js';
import { buildLanguageModel } from '../../src/lm/model.js';
import { validateLmConfig } from '../../src/lm/config.js';
import { mul, sum } from '../../src/ops/elementwise.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { assertClose, repoRoot } from '../helpers.js';

const nativeStatus = registerNativeBackend();
const ts64 = getBackendByName('ts64');

function gpt(vocab: number, dim: number, blocks: number, heads: number, maxContext: number): LayerConfig[] {
  return [
    { type: 'embedding', vocab, dim },
    { type: 'transformer', blocks, heads, ffn_mult: 2, max_context: maxContext },
    { type: 'layernorm' },
    { type: 'linear', out: vocab, bias: false },
  ];
}

function ids(n: number, vocab: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.int(vocab));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

interface Fixture {
  options: { dim: number; blocks: number; heads: number; ffn_mult: number; max_context: number };
  input_shape: number[];
  input: number[];
  params: Record<string, { shape: number[]; values: number[] }>;
  output: number[];
  weights: number[];
  grad_input: number[];
  grad_params: Record<string, number[]>;
}

const fixture = JSON.parse(readFileSync(join(repoRoot(), 'test/fixtures/softmax-transformer/layer.json'), 'utf8')) as Fixture;

function fixtureLayer(): Transformer {
  const o = fixture.options;
  const m = new Transformer(o.dim, { blocks: o.blocks, heads: o.heads, ffnMult: o.ffn_mult, maxContext: o.max_context }, new Rng(0));
  const dict = new Map<string, Tensor>();
  for (const [k, p] of Object.entries(fixture.params)) dict.set(k, tensor(p.values, p.shape));
  m.loadStateDict(dict);
  return m;
}

test('transformer layer equals the PyTorch math of the same blocks (forward and every gradient, float64)', () => {
  withBackend(ts64, () => {
    const m = fixtureLayer();
    assert.deepEqual(m.namedParameters().map(([k]) => k).sort(), Object.keys(fixture.params).sort(), 'parameter names match the fixture');
    const x = tensor(fixture.input, fixture.input_shape, { requiresGrad: true });
    const y = m.forward(x);
    assertClose(y.data, fixture.output, 1e-12, 1e-12, 'output');
    backward(sum(mul(y, tensor(fixture.weights, y.shape))));
    assertClose(x.grad!.data, fixture.grad_input, 1e-11, 1e-10, 'dL/dx');
    for (const [k, p] of m.namedParameters()) assertClose(p.grad!.data, fixture.grad_params[k]!, 1e-11, 1e-10, `dL/d${k}`);
    // The same numbers one token per call, through the key/value caches.
    m.eval();
    m.resetState();
    const [T, B, C] = fixture.input_shape as [number, number, number];
    const rows: number[] = [];
    noGrad(() => {
      for (let t = 0; t < T; t++) rows.push(...m.forward(tensor(fixture.input.slice(t * B * C, (t + 1) * B * C), [1, B, C])).data);
    });
    assertClose(rows, fixture.output, 1e-12, 1e-12, 'token by token');
  });
});

/** Logits of one forward over the whole sequence, and of one-token forwards continuing the state. */
function parallelAndRecurrent(be: Backend, layers: LayerConfig[], T: number, B: number, vocab: number): { parallel: number[]; recurrent: number[] } {
  return withBackend(be, () => {
    const { model } = buildModel(layers, { inputShape: [1], steps: T, timeConstantInput: false, rng: new Rng(11), readout: true });
    model.eval();
    const x = ids(T * B, vocab, 12);
    return noGrad(() => {
      model.resetState();
      const parallel = Array.from(model.forward(tensor(x, [T, B, 1])).data);
      model.resetState();
      const recurrent: number[] = [];
      for (let t = 0; t < T; t++) recurrent.push(...Array.from(model.forward(tensor(x.slice(t * B, (t + 1) * B), [1, B, 1])).data));
      return { parallel, recurrent };
    });
  });
}

test('transformer: token-by-token logits (KV cache) equal the parallel ones within 1e-4 in float32 (ts, wasm, native)', () => {
  for (const name of ['ts', 'wasm', ...(nativeStatus.ok ? ['native'] : [])]) {
    const { parallel, recurrent } = parallelAndRecurrent(getBackendByName(name), gpt(11, 16, 2, 4, 32), 24, 3, 11);
    const d = maxAbsDiff(parallel, recurrent);
    assert.ok(d <= 1e-4, `${name}: max |parallel − recurrent| = ${d}`);
    for (const v of parallel) assert.ok(Number.isFinite(v));
  }
});

test('transformer past max_context: the window slides by half, the same in one call and token by token, and equals a fresh start on the kept tokens', () => {
  const [N, T, B, V] = [8, 21, 2, 7];
  const layers = gpt(V, 8, 2, 2, N);
  // One eval-mode call of 21 tokens fills the window (8), slides to 4 and refills three times: the same steps as 21 one-token calls.
  const { parallel, recurrent } = parallelAndRecurrent(ts64, layers, T, B, V);
  assert.ok(maxAbsDiff(parallel, recurrent) <= 1e-12, 'one call = token by token');
  withBackend(ts64, () => {
    const { model } = buildModel(layers, { inputShape: [1], steps: N, timeConstantInput: false, rng: new Rng(11), readout: true });
    model.eval();
    const tr = model.namedModules().find(([, m]) => m instanceof Transformer)![1] as Transformer;
    const x = ids(T * B, V, 12);
    noGrad(() => {
      model.resetState();
      const rows = Array.from(model.forward(tensor(x, [T, B, 1])).data);
      assert.equal(tr.length, 4 + ((T - N) % 4 || 4), 'tokens in the window after the last slide');
      // Token 8 is the first after a slide: it sees tokens 4 … 7 re-encoded at positions 0 … 3, as a fresh sequence of tokens 4 … 8 would.
      model.resetState();
      const fresh = model.forward(tensor(x.slice(4 * B, 9 * B), [5, B, 1])).data;
      const Vb = V * B;
      assertClose(rows.slice(8 * Vb, 9 * Vb), fresh.slice(4 * Vb, 5 * Vb), 1e-12, 0, 'after a slide');
    });
    // Training never slides: a window longer than max_context is an error.
    model.train();
    model.resetState();
    assert.throws(() => model.forward(tensor(ids((N + 1) * B, V, 3), [N + 1, B, 1])), (e: unknown) => e instanceof ShapeError && /9 tokens in one training sequence exceed max_context 8/.test(e.message));
  });
});

test('gradcheck: the transformer layer through every parameter (float64)', () => {
  withBackend(ts64, () => {
    const m = new Transformer(4, { blocks: 1, heads: 2, ffnMult: 2, maxContext: 6 }, new Rng(4));
    const rng = new Rng(6);
    const x = tensor(Array.from({ length: 5 * 2 * 4 }, () => rng.normal()), [5, 2, 4], { requiresGrad: true });
    // GPT-2's small initial weights make a nearly linear layer; larger ones test the softmax and GELU curvature.
    for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = p.data[i]! + 0.5 * rng.normal();
    const r = gradcheck(
      (inp) => {
        m.resetState();
        return m.forward(inp[0]!);
      },
      [x, ...m.parameters()],
      { eps: 1e-6, atol: 1e-6, rtol: 1e-5, maxPerInput: 16 },
    );
    assert.ok(r.ok, r.worst);
  });
});

test('transformer config errors name the layer; the example config builds, and its plan counts its parameters', () => {
  const opts = { inputShape: [4], steps: 4, timeConstantInput: false, rng: new Rng(1), readout: true };
  assert.throws(() => buildModel([{ type: 'transformer', blocks: 1, max_context: 8, heads: 3 }], opts), (e: unknown) => e instanceof ConfigError && /model\.layers\[0\] \(transformer\): dim 4 does not split into 3 heads/.test(e.message));
  assert.throws(() => buildModel([{ type: 'transformer', blocks: 1 }], opts), (e: unknown) => e instanceof ConfigError && /max_context/.test(e.message));
  assert.throws(() => buildModel([{ type: 'transformer', blocks: 1, max_context: 4 }], { ...opts, inputShape: [2, 3] }), (e: unknown) => e instanceof ShapeError && /\[dim\]/.test(e.message));
  assert.throws(
    () => buildLanguageModel(gpt(5, 8, 1, 2, 16), 5, 32, new Rng(1)),
    (e: unknown) => e instanceof ConfigError && /model\.layers\[1\] \(transformer\): max_context 16 is shorter than the training context 32/.test(e.message),
  );
  const raw = YAML.parse(readFileSync(join(repoRoot(), 'examples/kjv-transformer.yaml'), 'utf8')) as unknown;
  const cfg = validateLmConfig(raw, 'kjv-transformer.yaml');
  const { model } = buildLanguageModel(cfg.model.layers, 73, cfg.data.context, new Rng(1));
  const params = model.parameters().reduce((a, p) => a + p.size, 0);
  const filled = cfg.model.layers.map((l) => (l.type === 'embedding' ? { ...l, vocab: 73 } : l.out === 'vocab' ? { ...l, out: 73 } : l));
  assert.equal(planModel(filled, { inputShape: [1] }).parameters, params);
});

test('the analysis counts the attention products, growing with the position (mean over the context), the GELU and the linear layers', async () => {
  const { profileModel } = await import('../../src/analysis/profile.js');
  withBackend(ts64, () => {
    const [T, B, V, C, H] = [6, 2, 5, 8, 2];
    const { model } = buildModel(gpt(V, C, 1, H, 8), { inputShape: [1], steps: T, timeConstantInput: false, rng: new Rng(1), readout: true });
    const prof = profileModel(model, [tensor(ids(T * B, V, 3), [T, B, 1])], { precisions: ['fp32'] });
    const row = (kind: string) => prof.ops.layers.filter((l) => l.kind === kind);
    const dh = C / H;
    // Per sample: token t attends to t + 1 keys in each head, 2·dh + 1 MACs a pair.
    const attention = (H * T * (T + 1) / 2) * (2 * dh + 1);
    assert.equal(row('CausalAttention').length, 1);
    assert.equal(row('CausalAttention')[0]!.macs, attention);
    assert.equal(row('GELU')[0]!.macs, T * 2 * C * 5);
    const linear = T * (4 * C * C + 2 * (2 * C) * C + C * V);
    assert.equal(prof.ops.totals.macs, linear + attention + T * 2 * C * 5);
    assert.ok(!prof.ops.uncounted.some((u) => /Attention|GELU/.test(u)), prof.ops.uncounted.join('; '));
  });
});
