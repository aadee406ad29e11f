import test from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../../../src/backend/registry.js';
import type { Backend } from '../../../src/backend/backend.js';
import { createWasmBackend, type WasmBackend } from '../../../src/backend/wasm/backend.js';
import { BackendError } from '../../../src/errors.js';
import { buildModel, type LayerConfig } from '../../../src/nn/builder.js';
import { reshape } from '../../../src/ops/shape.js';
import { tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { makeLoss, makeStepLoss } from '../../../src/train/losses.js';
import type { TrainMethod, OnlineUpdate } from '../../../src/train/online.js';
import { Adam } from '../../../src/train/optim/index.js';
import { Trainer, type Batch } from '../../../src/train/trainer.js';
import { ts } from './util.js';

/*
 * The online methods on the wasm backend, whose memory is released only by
 * step scopes: each time step rotates a scope (Backend.rotateScope), so the
 * heap a batch needs does not grow with T, nothing a later step reads is
 * freed too early (losses equal the float32 reference), and the heap stays
 * bounded over batches.
 */

const LAYERS: LayerConfig[] = [
  { type: 'conv2d', out_channels: 4, kernel_size: 3, padding: 1 },
  { type: 'batchnorm' },
  { type: 'lif', beta: 0.5 },
  { type: 'maxpool2d', kernel_size: 2 },
  { type: 'flatten' },
  { type: 'dropout', p: 0.25 },
  { type: 'linear', out: 3 },
];
const LOSS = { type: 'ce_readout' };

function batches(n: number, B: number, seed: number): Batch[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => ({ x: tensor(Array.from({ length: B * 64 }, () => rng.uniform(0, 2)), [B, 1, 8, 8]), y: Int32Array.from({ length: B }, () => rng.int(3)) }));
}

/** Train `data` (one epoch per list) on `be`; per-batch losses and the wasm heap's high-water mark (bytes ever carved). */
function train(be: Backend, method: TrainMethod, steps: number, data: Batch[][], update: OnlineUpdate = 'sequence'): { losses: number[]; carved: number; inUse: number[] } {
  return withBackend(be, () => {
    const { model } = buildModel(LAYERS, { inputShape: [1, 8, 8], steps, timeConstantInput: true, rng: new Rng(2), readout: true });
    const online = method !== 'bptt';
    const losses: number[] = [];
    const inUse: number[] = [];
    const heap = () => (be.name === 'wasm' ? (be as WasmBackend).heapStats() : null);
    const trainer = new Trainer({
      model,
      encode: (x: Tensor) => reshape(x, [1, ...x.shape]),
      loss: makeLoss(LOSS),
      stepLoss: online ? makeStepLoss(LOSS) : null,
      optimizer: new Adam(model.parameters(), { lr: 0.01 }),
      method,
      online: { update, ...(method === 'sltt_k' ? { k: 2, rng: new Rng(4) } : {}) },
      callbacks: {
        onBatchEnd: (i) => {
          losses.push(i.loss);
          const h = heap();
          if (h) inUse.push(h.inUse - h.scratch);
        },
      },
    });
    // Batches are made on the backend while iterating, inside the batch's scope (as the loader's are).
    const lazily = function* (epoch: Batch[]): Generator<Batch> {
      for (const b of epoch) yield { x: tensor(Array.from(b.x.data), b.x.shape), y: b.y };
    };
    for (const epoch of data) trainer.trainEpoch(lazily(epoch));
    const h = heap();
    return { losses, carved: h ? h.inUse + h.free : 0, inUse };
  });
}

test('online methods on wasm: losses equal the float32 reference and the heap is bounded over batches', () => {
  const data = [batches(3, 6, 1), batches(3, 6, 2)];
  for (const [method, update] of [['sltt', 'sequence'], ['sltt_k', 'sequence'], ['ottt', 'sequence'], ['ottt', 'step']] as const) {
    const wasm = createWasmBackend();
    const w = train(wasm, method, 5, data, update);
    const r = train(ts, method, 5, data, update);
    w.losses.forEach((v, i) => assert.ok(Math.abs(v - r.losses[i]!) <= 1e-5 * Math.abs(r.losses[i]!), `${method}/${update} batch ${i}: wasm ${v} vs ts ${r.losses[i]}`));
    const after = w.inUse.slice(1);
    assert.ok(after.every((v) => v === after[0]), `${method}/${update}: bytes in use after each batch ${w.inUse.join(' ')}`);
    assert.equal(wasm.scopeDepth(), 0);
  }
});

test('online methods on wasm: the heap one batch needs does not grow with T (BPTT\'s does)', () => {
  const carved = (method: TrainMethod, T: number) => train(createWasmBackend(), method, T, [batches(1, 8, 3)]).carved;
  for (const m of ['sltt', 'ottt', 'bptt'] as const) {
    const a = carved(m, 4), b = carved(m, 24);
    if (m === 'bptt') assert.ok(b > a + 2 ** 20, `bptt: heap ${a} → ${b} bytes from T = 4 to 24`);
    // Equal up to the allocator's size classes landing differently.
    else assert.ok(b <= 1.05 * a, `${m}: heap ${a} → ${b} bytes from T = 4 to 24`);
  }
});

test('a step rotation releases what the next step no longer lists: keeping a tensor unlisted fails loudly', () => {
  const wasm = createWasmBackend();
  wasm.beginScope();
  const a = wasm.alloc(4);
  const keep = wasm.alloc(4);
  wasm.rotateScope([keep]);
  assert.throws(() => a.data, BackendError);
  assert.equal(keep.data.length, 4);
  wasm.endScope([]);
  assert.throws(() => keep.data, BackendError);
});
