import test from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../src/config/schema.js';
import { buildSession, sessionTrainer, makeLoader, tensorBatches } from '../../src/config/session.js';
import { makeDataset, type SplitDataset } from '../../src/data/dataset.js';
import { Rng } from '../../src/tensor/rng.js';
import { ConfigError } from '../../src/errors.js';
import type { Linear } from '../../src/nn/linear.js';
import { noGrad } from '../../src/autograd/tape.js';
import { tensor } from '../../src/tensor/create.js';
import { tensorFromEntry } from '../../src/interop/safetensors.js';
import { dequantizeIntWeights, intWeightsEntries } from '../../src/quant/int-weights.js';

function toyData(n: number): SplitDataset {
  const rng = new Rng(5);
  const split = (name: string) => makeDataset({ name, images: new Float32Array(n * 16).map(() => rng.random()), labels: new Uint8Array(n).map((_, i) => i % 3), shape: [16], numClasses: 3 });
  return { train: split('toy'), test: split('toy') };
}

const base = {
  data: { dataset: 'toy-q', batch_size: 8 },
  encoder: { type: 'direct', steps: 3 },
  model: {
    layers: [
      { type: 'linear', out: 12 },
      { type: 'lif' },
      { type: 'linear', out: 10 },
      { type: 'lif' },
      { type: 'linear', out: 3 },
      { type: 'lif' },
    ],
  },
  train: { loss: { type: 'ce_count' } },
};

const withQuantize = (q: unknown): unknown => ({ ...base, model: { ...base.model, quantize: q } });

function issues(raw: unknown): string {
  const r = configSchema.safeParse(raw);
  assert.equal(r.success, false, 'rejected');
  return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

test('model.quantize: defaults filled; absent section stays absent', () => {
  assert.equal(configSchema.parse(base).model.quantize, undefined);
  assert.deepEqual(configSchema.parse(withQuantize({ bits: 4 })).model.quantize, {
    bits: 4,
    method: 'lsq',
    per_channel: true,
    skip_first: true,
    skip_last: true,
    exclude: [],
    percentile: 99.9,
    calibration: 512,
  });
  assert.equal((configSchema.parse(withQuantize({ bits: 3, first_last_bits: 8 })).model.quantize as { first_last_bits?: number }).first_last_bits, 8);
});

test('model.quantize: unknown keys and bad values are rejected naming the key', () => {
  assert.match(issues(withQuantize({ bits: 4, bitz: 2 })), /model\.quantize: unknown key 'bitz' in model\.quantize \(accepted: bits, calibration, exclude, first_last_bits, method/);
  assert.match(issues(withQuantize({ method: 'lsq' })), /model\.quantize\.bits: required/);
  assert.match(issues(withQuantize({ bits: 1 })), /model\.quantize\.bits: must be an integer from 2 to 8/);
  assert.match(issues(withQuantize({ bits: 4, method: 'dorefa' })), /model\.quantize\.method: must be one of 'lsq', 'minmax', 'percentile', 'mse'/);
  assert.match(issues(withQuantize({ bits: 4, exclude: 'x' })), /model\.quantize\.exclude/);
});

test('buildSession applies model.quantize; a post-training method cannot train', () => {
  const data = toyData(16);
  const s = buildSession(configSchema.parse(withQuantize({ bits: 4 })), { data, backend: 'ts' });
  assert.deepEqual(s.quantized.map((l) => [l.path, l.bits]), [['3', 4]]);
  assert.ok(s.model.namedParameters().some(([n]) => n === '3.weight_step'));
  const step = (s.model.layers[3] as Linear).weightStep!;
  const before = Float32Array.from(step.data);
  const { trainer } = sessionTrainer(s);
  trainer.trainEpoch(tensorBatches(makeLoader(s.data.train, 8, true, s.rngs.loader), s.data.train.shape, s.backend));
  assert.ok([...step.data].some((v, i) => v !== before[i]), 'the optimizer trains the step');
  assert.throws(() => buildSession(configSchema.parse(withQuantize({ bits: 4, skip_first: true, skip_last: true, exclude: ['3'] })), { data, backend: 'ts' }), (e: Error) => e instanceof ConfigError && /model\.quantize: .*leave no layer to quantize/.test(e.message));
  const ptq = buildSession(configSchema.parse(withQuantize({ bits: 4, method: 'percentile' })), { data, backend: 'ts' });
  assert.ok(ptq.model.namedBuffers().some(([n]) => n === '3.weight_step'));
  assert.throws(() => sessionTrainer(ptq), (e: Error) => e instanceof ConfigError && /model\.quantize\.method: 'percentile' is post-training quantization/.test(e.message));
});

test('model.quantize reaches the projections inside attention blocks; their integers read back to the same outputs', () => {
  const rng = new Rng(8);
  const split = (name: string) => makeDataset({ name, images: new Float32Array(8 * 36).map(() => rng.random()), labels: new Uint8Array(8).map((_, i) => i % 3), shape: [1, 6, 6], numClasses: 3 });
  const data = { train: split('toy'), test: split('toy') };
  const raw = {
    data: { dataset: 'toy-q', batch_size: 4 },
    encoder: { type: 'direct', steps: 2 },
    model: {
      layers: [
        { type: 'conv2d', out_channels: 8, kernel_size: 3, padding: 1 },
        { type: 'multilevel', levels: 4, threshold: 0.25 },
        { type: 'residual', layers: [{ type: 'ssa', heads: 2, neuron: { type: 'multilevel', levels: 4, threshold: 0.25 } }] },
        { type: 'global_avgpool' },
        { type: 'multilevel', levels: 4, threshold: 0.25 },
        { type: 'linear', out: 3 },
      ],
      quantize: { bits: 4 },
    },
    train: { loss: { type: 'ce_readout' } },
  };
  const build = () => buildSession(configSchema.parse(raw), { data, backend: 'ts' });
  const s = build();
  const paths = s.quantized.map((l) => l.path);
  for (const p of ['q.conv', 'k.conv', 'v.conv', 'proj.conv']) assert.ok(paths.some((x) => x.endsWith(`.${p}`)), `${p} quantized (${paths.join(', ')})`);
  assert.ok(!paths.includes('0') && !paths.includes(String(s.model.layers.length - 1)), 'first conv and head left in float32');
  const x = noGrad(() => s.encoder.encode(tensor(Array.from(data.test.images.subarray(0, 4 * 36)), [4, 1, 6, 6]), new Rng(1)));
  const before = [...noGrad(() => s.model.forward(x)).data];
  const f = intWeightsEntries(s.model);
  const again = build();
  again.model.loadStateDict(new Map([...dequantizeIntWeights(f, 'mem')].map(([n, e]) => [n, tensorFromEntry(e)])));
  again.model.resetState();
  assert.deepEqual([...noGrad(() => again.model.forward(x)).data], before);
});
