import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import type { Backend } from '../../src/backend/backend.js';
import { registerNativeBackend } from '../../src/backend/native/load-node.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { noGrad } from '../../src/autograd/tape.js';
import { buildModel, type LayerConfig } from '../../src/nn/builder.js';
import { RwkvBlock } from '../../src/nn/rwkv.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { ConfigError, ShapeError } from '../../src/errors.js';

const nativeStatus = registerNativeBackend();

function spikegpt(vocab: number, dim: number, blocks: number, neuron: unknown = undefined, binary = false): LayerConfig[] {
  return [
    { type: 'embedding', vocab, dim, binary },
    { type: 'rwkv', blocks, ...(neuron !== undefined ? { neuron } : {}) },
    { type: 'layernorm' },
    { type: 'linear', out: vocab, bias: false },
  ];
}

function ids(T: number, B: number, vocab: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: T * B }, () => rng.int(vocab));
}

/** Logits of one forward over the whole context, and of T one-token forwards continuing the state. */
function parallelAndRecurrent(be: Backend, layers: LayerConfig[], T: number, B: number, vocab: number): { parallel: Float32Array | Float64Array; recurrent: number[] } {
  return withBackend(be, () => {
    const { model } = buildModel(layers, { inputShape: [1], steps: T, timeConstantInput: false, rng: new Rng(11), readout: true });
    model.eval();
    const x = ids(T, B, vocab, 12);
    return noGrad(() => {
      model.resetState();
      const parallel = model.forward(tensor(x, [T, B, 1])).data;
      model.resetState();
      const recurrent: number[] = [];
      for (let t = 0; t < T; t++) recurrent.push(...Array.from(model.forward(tensor(x.slice(t * B, (t + 1) * B), [1, B, 1])).data));
      return { parallel, recurrent };
    });
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('SpikeGPT: recurrent (one token per call) logits equal the parallel ones within 1e-4 in float32 (ts, wasm, native), spiking and twin', () => {
  const backends = ['ts', 'wasm', ...(nativeStatus.ok ? ['native'] : [])];
  for (const name of backends) {
    for (const [label, neuron, binary] of [['spiking', undefined, false], ['spiking, binary embedding', undefined, true], ['twin', false, false]] as const) {
      const { parallel, recurrent } = parallelAndRecurrent(getBackendByName(name), spikegpt(11, 16, 2, neuron, binary), 24, 3, 11);
      const d = maxAbsDiff(parallel, recurrent);
      assert.ok(d <= 1e-4, `${name} ${label}: max |parallel − recurrent| = ${d}`);
      for (const v of parallel) assert.ok(Number.isFinite(v));
    }
  }
});

test('gradcheck: a SpikeGPT block (smooth spikes) and the twin, through every parameter', () => {
  const ts64 = getBackendByName('ts64');
  withBackend(ts64, () => {
    for (const neuron of [{ type: 'lifnode', tau: 2, surrogate: { name: 'arctan', alpha: 2 }, smooth_spikes: true }, null]) {
      const block = new RwkvBlock(4, 0, 2, { ffnMult: 2, neuron }, new Rng(4), 'test');
      const rng = new Rng(6);
      const x = tensor(Array.from({ length: 5 * 2 * 4 }, () => rng.normal()), [5, 2, 4], { requiresGrad: true });
      const params = block.parameters();
      const r = gradcheck(
        (inp) => {
          block.resetState();
          return block.forward(inp[0]!);
        },
        [x, ...params],
        { eps: 1e-6, atol: 1e-5, rtol: 1e-4, maxPerInput: 12 },
      );
      assert.ok(r.ok, `${neuron ? 'spiking' : 'twin'}: ${r.worst}`);
    }
  });
});

test('SpikeGPT config errors name the layer; bad token ids name the id and position', () => {
  assert.throws(() => buildModel([{ type: 'embedding', dim: 8 }], { inputShape: [1], steps: 4, timeConstantInput: false, rng: new Rng(1), readout: true }), (e: unknown) => e instanceof ConfigError && /vocab/.test(e.message));
  assert.throws(
    () => buildModel([{ type: 'rwkv', blocks: 1 }], { inputShape: [2, 3], steps: 4, timeConstantInput: false, rng: new Rng(1), readout: true }),
    (e: unknown) => e instanceof ShapeError && /model\.layers\[0\] \(rwkv\).*\[dim\]/.test(e.message),
  );
  assert.throws(
    () => buildModel([{ type: 'rwkv', blocks: 1, neuron: 3 }], { inputShape: [4], steps: 4, timeConstantInput: false, rng: new Rng(1), readout: true }),
    (e: unknown) => e instanceof ConfigError && /neuron/.test(e.message),
  );
  const { model } = buildModel(spikegpt(5, 4, 1), { inputShape: [1], steps: 2, timeConstantInput: false, rng: new Rng(1), readout: true });
  assert.throws(() => noGrad(() => model.forward(tensor([0, 7], [2, 1, 1]))), (e: unknown) => e instanceof ShapeError && /token id 7 at \[1, 0\] is not an integer in \[0, 5\)/.test(e.message));
  model.resetState();
  noGrad(() => model.forward(tensor([0, 1, 2, 3], [2, 2, 1])));
  assert.throws(() => noGrad(() => model.forward(tensor([0], [1, 1, 1]))), (e: unknown) => e instanceof ShapeError && /batch changed from 2 to 1/.test(e.message));
});

