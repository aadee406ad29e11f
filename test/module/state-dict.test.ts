import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequential } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { Conv2d } from '../../src/nn/conv.js';
import { BatchNorm1d } from '../../src/nn/norm.js';
import { LIF } from '../../src/neurons/lif/model.js';
import { Rng, defaultRng, manualSeed } from '../../src/tensor/rng.js';
import { tensor, zeros } from '../../src/tensor/create.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { saveWeights, loadWeights } from '../../src/node.js';
import { loadSafetensors } from '../../src/interop/safetensors-node.js';

const net = (seed: number): Sequential => new Sequential([new Linear(4, 3, new Rng(seed)), new BatchNorm1d(3), new LIF(3), new Linear(3, 2, new Rng(seed + 1))]);

test('stateDict: parameters and buffers under the module paths model.safetensors uses', () => {
  const m = net(1);
  assert.deepEqual([...m.stateDict().keys()], ['0.weight', '0.bias', '1.weight', '1.bias', '3.weight', '3.bias', '1.running_mean', '1.running_var']);
});

test('loadStateDict copies the tensors; mismatches name the tensor and change nothing', () => {
  const a = net(1), b = net(2);
  b.loadStateDict(a.stateDict());
  for (const [n, t] of a.stateDict()) assert.deepEqual(b.stateDict().get(n)!.toArray(), t.toArray(), n);
  assert.notEqual(b.stateDict().get('0.weight')!.storage, a.stateDict().get('0.weight')!.storage, 'a copy, not shared storage');
  assert.equal(b.stateDict().get('0.weight')!.requiresGrad, true);

  const c = net(3);
  const before = c.stateDict().get('0.weight')!.toArray();
  const wrong = new Map(a.stateDict());
  wrong.set('3.weight', zeros([5, 3]));
  assert.throws(() => c.loadStateDict(wrong), (e: Error) => e instanceof ShapeError && /tensor '3\.weight' has shape \[5, 3\], the module expects \[2, 3\]/.test(e.message));
  assert.deepEqual(c.stateDict().get('0.weight')!.toArray(), before, 'nothing replaced by a failed load');
  const missing = new Map(a.stateDict());
  missing.delete('1.running_var');
  assert.throws(() => c.loadStateDict(missing), (e: Error) => e instanceof ConfigError && /tensor '1\.running_var' missing/.test(e.message));
  const extra = new Map(a.stateDict());
  extra.set('9.weight', zeros([1]));
  assert.throws(() => c.loadStateDict(extra), (e: Error) => e instanceof ConfigError && /tensor '9\.weight' has no place/.test(e.message));
  c.loadStateDict(missing, { strict: false }); // non-strict: what is there is loaded
  assert.deepEqual(c.stateDict().get('0.weight')!.toArray(), a.stateDict().get('0.weight')!.toArray());
  // A plain record works too.
  c.loadStateDict(Object.fromEntries(b.stateDict()));
});

test('saveWeights / loadWeights: safetensors, atomic, round trip; errors name file and tensor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeflow-weights-'));
  const path = join(dir, 'w.safetensors');
  const a = net(4);
  saveWeights(path, a, { metadata: { note: 'hi' } });
  assert.deepEqual(readdirSync(dir), ['w.safetensors']);
  const f = loadSafetensors(path);
  assert.equal(f.metadata['format'], 'spikeflow.model');
  assert.equal(f.metadata['note'], 'hi');
  const b = net(5);
  assert.equal(loadWeights(path, b)['note'], 'hi');
  for (const [n, t] of a.stateDict()) assert.deepEqual(b.stateDict().get(n)!.toArray(), t.toArray(), n);
  const other = new Sequential([new Linear(4, 5, new Rng(0)), new LIF(5)]);
  assert.throws(() => loadWeights(path, other), (e: Error) => e instanceof ShapeError && e.message.startsWith(path) && /'0\.weight'/.test(e.message));
  assert.ok(readFileSync(path).length > 0);
});

test('default generator: new Linear(4, 3) and new Conv2d(...) need no Rng, deterministic from manualSeed; explicit Rng unchanged', () => {
  manualSeed(123);
  const a1 = new Linear(4, 3).weight.toArray();
  const a2 = new Linear(4, 3).weight.toArray();
  assert.notDeepEqual(a1, a2, 'one shared stream: consecutive layers differ');
  manualSeed(123);
  assert.deepEqual(new Linear(4, 3).weight.toArray(), a1, 'same seed, same order, same weights');
  assert.equal(new Linear(4, 3, { bias: false }).bias, null, 'options in place of the Rng');
  assert.deepEqual(new Linear(4, 3, new Rng(7)).weight.toArray(), new Linear(4, 3, new Rng(7)).weight.toArray());
  const c = new Conv2d(1, 2, 3, { padding: 1 });
  assert.deepEqual(c.weight.shape, [2, 1, 3, 3]);
  assert.deepEqual(c.forward(zeros([1, 1, 1, 4, 4])).shape, [1, 1, 2, 4, 4]);
  assert.ok(defaultRng() instanceof Rng);
  assert.throws(() => manualSeed(-1), RangeError);
  void tensor;
});

test('a loaded model computes with the loaded values in every layer (embedding, layer norms, RWKV mixes, transformer positions), not its initial ones', async () => {
  const { buildLanguageModel } = await import('../../src/lm/model.js');
  const { noGrad } = await import('../../src/autograd/tape.js');
  const layers = (mixer: Record<string, unknown>): { type: string; [k: string]: unknown }[] => [
    { type: 'embedding', dim: 8 },
    mixer as { type: string },
    { type: 'layernorm' },
    { type: 'linear', out: 'vocab', bias: false },
  ];
  for (const mixer of [{ type: 'rwkv', blocks: 1, ffn_mult: 2 }, { type: 'transformer', blocks: 1, heads: 2, ffn_mult: 2, max_context: 8 }]) {
    // Same seed: before the load both models hold the same initial values, so any parameter left unloaded shows.
    const trained = buildLanguageModel(layers(mixer), 5, 6, new Rng(1)).model;
    const rng = new Rng(9);
    for (const p of trained.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = p.data[i]! + 0.3 * rng.normal();
    const loaded = buildLanguageModel(layers(mixer), 5, 6, new Rng(1)).model;
    loaded.loadStateDict(trained.stateDict());
    const x = tensor([0, 1, 2, 3, 4, 0], [6, 1, 1]);
    const [a, b] = [trained, loaded].map((m) => noGrad(() => Array.from(m.eval().forward(x).data)));
    assert.deepEqual(b, a, `${mixer.type}: the loaded model's logits`);
  }
});
