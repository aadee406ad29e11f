import { gzipSync } from 'node:zlib';
import type { Prng } from '../prng.js';
import type { FuzzTarget, HeaderField } from '../target.js';
import type { Sequential } from '../../../src/nn/containers.js';
import type { CheckpointParts } from '../../../src/train/checkpoint.js';

/*
 * Tensor files: IDX (raw and gzipped), safetensors, model weights, integer
 * weights and training checkpoints (safetensors with JSON metadata), each
 * through the function the CLI and the data loaders call.
 */

/** IDX bytes: 00 00 type ndim, big-endian dims, big-endian elements. */
function idx(type: number, dims: number[], values: number[]): Uint8Array {
  const sizes: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };
  const el = sizes[type]!;
  const out = new Uint8Array(4 + 4 * dims.length + el * values.length);
  const dv = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  const o = 4 + 4 * dims.length;
  values.forEach((v, i) => {
    const at = o + el * i;
    if (type === 0x08) dv.setUint8(at, v);
    else if (type === 0x09) dv.setInt8(at, v);
    else if (type === 0x0b) dv.setInt16(at, v, false);
    else if (type === 0x0c) dv.setInt32(at, v, false);
    else if (type === 0x0d) dv.setFloat32(at, v, false);
    else dv.setFloat64(at, v, false);
  });
  return out;
}

function idxSeeds(): Uint8Array[] {
  const px = Array.from({ length: 5 * 4 * 4 }, (_, i) => (i * 37) % 256);
  return [
    idx(0x08, [5, 4, 4], px),
    idx(0x08, [5], [3, 1, 4, 1, 5]),
    idx(0x0d, [3, 2], [0.5, -1, 2.25, 0, 1e-3, 7]),
    idx(0x0b, [2, 3], [-300, 2, 1000, 0, 5, -1]),
    idx(0x0e, [2, 2], [1, 2, 3, 4]),
  ];
}

function idxFields(b: Uint8Array): HeaderField[] {
  const fields: HeaderField[] = [
    { name: 'type', offset: 2, size: 1, little: false },
    { name: 'ndim', offset: 3, size: 1, little: false },
  ];
  for (let i = 0; i < Math.min(b[3] ?? 0, 8); i++) fields.push({ name: `dim ${i}`, offset: 4 + 4 * i, size: 4, little: false });
  return fields;
}

/** safetensors: 8-byte little-endian header length, then that much JSON. */
const SAFETENSORS_TEXT = {
  fields: (): HeaderField[] => [{ name: 'header length', offset: 0, size: 8, little: true }],
  textRegion: (b: Uint8Array): [number, number] | null => {
    if (b.length < 8) return null;
    const n = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
    return [8, Math.min(b.length, 8 + n)];
  },
  textLength: (): HeaderField => ({ name: 'header length', offset: 0, size: 8, little: true }),
};

/** Modules loaded on first use, so that a child fuzzing another target does not load the model code. */
async function lib() {
  const [{ Sequential }, { Linear }, { BatchNorm1d }, { LIF }, { PLIF }, { Rng }, { tensor }, { Adam }, { LrScheduler, cosineAnnealing }] = await Promise.all([
    import('../../../src/nn/containers.js'),
    import('../../../src/nn/linear.js'),
    import('../../../src/nn/norm.js'),
    import('../../../src/neurons/lif/model.js'),
    import('../../../src/neurons/plif/model.js'),
    import('../../../src/tensor/rng.js'),
    import('../../../src/tensor/create.js'),
    import('../../../src/train/optim/adam.js'),
    import('../../../src/train/schedulers.js'),
  ]);
  return { Sequential, Linear, BatchNorm1d, LIF, PLIF, Rng, tensor, Adam, LrScheduler, cosineAnnealing };
}

/** Linear → PLIF (a learnable neuron parameter) → BatchNorm1d (buffers) → Linear → LIF. */
async function smallModel(seed: number): Promise<Sequential> {
  const { Sequential, Linear, BatchNorm1d, LIF, PLIF, Rng } = await lib();
  const r = new Rng(seed);
  return new Sequential([new Linear(6, 8, r), new PLIF(8), new BatchNorm1d(8), new Linear(8, 3, r), new LIF(3)]);
}

/** Model, Adam with one step of state, cosine scheduler and an RNG: every part a checkpoint restores. */
async function trainingParts(seed: number): Promise<Required<CheckpointParts>> {
  const { Rng, tensor, Adam, LrScheduler, cosineAnnealing } = await lib();
  const model = await smallModel(seed);
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  for (const p of model.parameters()) p.grad = tensor(Array.from({ length: p.size }, (_, i) => 0.01 * (i % 7) - 0.03), [...p.shape]);
  optimizer.step();
  const scheduler = new LrScheduler(optimizer, cosineAnnealing(10), 'epoch');
  scheduler.step();
  return { model, optimizer, scheduler, rngs: { data: new Rng(seed + 1) } };
}

export const TENSOR_TARGETS: readonly FuzzTarget[] = [
  {
    name: 'idx',
    entry: 'readIdxFile(path) (MNIST-layout datasets)',
    fileName: 'case-idx3-ubyte',
    seeds: async () => idxSeeds(),
    fields: idxFields,
    async run(file) {
      const { readIdxFile } = await import('../../../src/data/idx-node.js');
      readIdxFile(file);
    },
  },
  {
    name: 'idx-gz',
    entry: 'readIdxFile(path) on gzipped IDX',
    fileName: 'case-idx3-ubyte.gz',
    seeds: async () => idxSeeds(),
    fields: idxFields,
    // Mutate the IDX, then gzip it (the parser sees the edit); a quarter also get the gzip container damaged.
    finish(b: Uint8Array, rng: Prng): Uint8Array {
      const gz = new Uint8Array(gzipSync(b));
      if (rng.chance(0.25) && gz.length > 0) {
        const cut = rng.chance(0.5);
        if (cut) return gz.slice(0, rng.int(gz.length));
        gz[rng.int(gz.length)]! ^= 1 << rng.int(8);
      }
      return gz;
    },
    async run(file) {
      const { readIdxFile } = await import('../../../src/data/idx-node.js');
      readIdxFile(file);
    },
  },
  {
    name: 'safetensors',
    entry: 'loadSafetensors(path)',
    fileName: 'case.safetensors',
    async seeds() {
      const { encodeSafetensors } = await import('../../../src/interop/safetensors.js');
      return [
        encodeSafetensors(
          {
            w: { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
            b: { dtype: 'F64', shape: [3], data: Float64Array.from([0.5, -1, 2]) },
            n: { dtype: 'I32', shape: [2], data: Int32Array.from([7, -7]) },
            m: { dtype: 'U8', shape: [4], data: Uint8Array.from([1, 0, 1, 1]) },
          },
          { format: 'fuzz', note: 'seed' },
        ),
        encodeSafetensors({ s: { dtype: 'I64', shape: [], data: BigInt64Array.from([5n]) }, e: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) } }),
      ];
    },
    ...SAFETENSORS_TEXT,
    async run(file) {
      const { loadSafetensors } = await import('../../../src/interop/safetensors-node.js');
      loadSafetensors(file);
    },
  },
  {
    name: 'weights',
    entry: 'loadWeights(path, model) (eval, train --weights)',
    fileName: 'model.safetensors',
    async seeds() {
      const { encodeSafetensors, entryFromTensor } = await import('../../../src/interop/safetensors.js');
      const { encodeCheckpoint } = await import('../../../src/train/checkpoint.js');
      const m = await smallModel(1);
      const plain = new Map([...m.stateDict()].map(([n, t]) => [n, entryFromTensor(t)]));
      return [encodeSafetensors(plain, { format: 'spikeflow.model' }), encodeCheckpoint({ ...(await trainingParts(2)), epoch: 1, step: 4 })];
    },
    ...SAFETENSORS_TEXT,
    async run(file) {
      const { loadWeights } = await import('../../../src/interop/weights-node.js');
      loadWeights(file, await smallModel(9));
    },
  },
  {
    name: 'int-weights',
    entry: 'readIntWeights(path) (quantize, train with model.quantize)',
    fileName: 'model.int.safetensors',
    async seeds() {
      const { encodeSafetensors } = await import('../../../src/interop/safetensors.js');
      const { quantizeModel } = await import('../../../src/quant/apply.js');
      const { QUANTIZE_OPTIONS } = await import('../../../src/quant/options.js');
      const { readConfigOptions } = await import('../../../src/registry/options.js');
      const { intWeightsEntries } = await import('../../../src/quant/int-weights.js');
      const { Sequential, Linear, LIF, Rng } = await lib();
      return [8, 4, 2].map((bits) => {
        const r = new Rng(bits);
        const m = new Sequential([new Linear(5, 7, r), new LIF(7), new Linear(7, 3, r)]);
        quantizeModel(m, readConfigOptions(QUANTIZE_OPTIONS, { bits, skip_first: false, skip_last: false }, 'fuzz'));
        const f = intWeightsEntries(m, { note: 'seed' });
        return encodeSafetensors(f.tensors, f.metadata);
      });
    },
    ...SAFETENSORS_TEXT,
    async run(file) {
      const { readIntWeights } = await import('../../../src/quant/int-weights-node.js');
      readIntWeights(file);
    },
  },
  {
    name: 'checkpoint',
    entry: 'loadCheckpoint(path, {model, optimizer, scheduler, rngs}) (train --resume)',
    fileName: 'checkpoint.safetensors',
    async seeds() {
      const { encodeCheckpoint } = await import('../../../src/train/checkpoint.js');
      return [encodeCheckpoint({ ...(await trainingParts(3)), epoch: 2, step: 10, config: { name: 'fuzz', train: { epochs: 3 } } })];
    },
    ...SAFETENSORS_TEXT,
    async run(file) {
      const { loadCheckpoint } = await import('../../../src/train/checkpoint-node.js');
      loadCheckpoint(file, await trainingParts(4));
    },
  },
];
