import test from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../../../src/backend/registry.js';
import type { Backend } from '../../../src/backend/backend.js';
import { createWasmBackend, type WasmBackend } from '../../../src/backend/wasm/backend.js';
import { BackendError } from '../../../src/errors.js';
import { LIF } from '../../../src/neurons/lif/index.js';
import { Conv2d } from '../../../src/nn/conv.js';
import { Sequential } from '../../../src/nn/containers.js';
import { Flatten } from '../../../src/nn/flatten.js';
import { Linear } from '../../../src/nn/linear.js';
import { Module } from '../../../src/module/module.js';
import { BatchNorm2d } from '../../../src/nn/norm.js';
import { MaxPool2d } from '../../../src/nn/pool.js';
import { add } from '../../../src/ops/elementwise.js';
import { ceRateLoss } from '../../../src/ops/loss.js';
import { repeatTime, reshape } from '../../../src/ops/shape.js';
import { full, tensor } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/rng.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { Adam } from '../../../src/train/optim/index.js';
import { Trainer, type Batch } from '../../../src/train/trainer.js';
import { ts } from './util.js';
import { fastSigmoid } from '../../../src/neurons/surrogate.js';

// The surrogate these trajectories were tuned with (the LIF default is snnTorch's arctan now).
const SG = fastSigmoid({ slope: 25 });

/*
 * The Trainer on the wasm backend, with step scopes: over several epochs the
 * heap stops growing after the first step (it used to fill 4 GiB: finalizers
 * never ran inside the synchronous loop), results equal the float32 reference,
 * and a module that keeps a tensor without listing it fails loudly.
 */

const T = 6;

/** Batches of random inputs, their tensors created lazily while iterating (as the CLI's loader does). */
class RandomLoader implements Iterable<Batch> {
  constructor(readonly sampleShape: number[], readonly batches: number, readonly B: number, readonly classes: number, readonly seed: number) {}
  *[Symbol.iterator](): Iterator<Batch> {
    const rng = new Rng(this.seed);
    const F = this.sampleShape.reduce((a, b) => a * b, 1);
    for (let i = 0; i < this.batches; i++) {
      const x = tensor(Array.from({ length: this.B * F }, () => rng.uniform(0, 2)), [this.B, ...this.sampleShape]);
      yield { x, y: Int32Array.from({ length: this.B }, () => rng.int(this.classes)) };
    }
  }
}

const encode = (x: Tensor): Tensor => repeatTime(reshape(x, [1, ...x.shape]), T);

interface RunResult {
  losses: number[];
  evalLoss: number[];
  /** Bytes of tensor storage in use, and bytes carved from the bump pointer, after every batch and every evaluation (wasm only). */
  inUse: number[];
  carved: number[];
  scratch: number[];
  model: Module;
}

function run(b: Backend, build: (rng: Rng) => Module, loader: RandomLoader, epochs: number, tbptt = 0): RunResult {
  return withBackend(b, () => {
    const model = build(new Rng(3));
    const optimizer = new Adam(model.parameters(), { lr: 0.002 });
    const res: RunResult = { losses: [], evalLoss: [], inUse: [], carved: [], scratch: [], model };
    const heap = (): void => {
      if (b.name !== 'wasm') return;
      const s = (b as WasmBackend).heapStats();
      res.inUse.push(s.inUse - s.scratch);
      res.carved.push(s.inUse + s.free);
      res.scratch.push(s.scratch);
    };
    const trainer = new Trainer({
      model,
      encode,
      loss: (o, y) => ceRateLoss(o.spikes, y),
      optimizer,
      tbptt,
      callbacks: { onBatchEnd: (i) => (res.losses.push(i.loss), heap()) },
    });
    for (let e = 0; e < epochs; e++) {
      trainer.trainEpoch(loader);
      res.evalLoss.push(trainer.evaluate(loader).loss);
      heap();
    }
    return res;
  });
}

function assertBounded(r: RunResult, perEpoch: number, what: string): void {
  // Step 0 creates what lives on (optimizer moments, cached constants); from then on every step frees what it allocated.
  const after = r.inUse.slice(1);
  assert.ok(after.every((v) => v === after[0]), `${what}: storage bytes in use after each step: ${r.inUse.join(' ')}`);
  // Once every kind of step (training, evaluation) ran, new memory is only carved when a kernel
  // needs a larger scratch block (e.g. a layer switching between event-driven and dense GEMM).
  for (let i = perEpoch + 1; i < r.carved.length; i++) {
    if (r.scratch[i] === r.scratch[i - 1]) assert.equal(r.carved[i], r.carved[i - 1], `${what}: bytes carved ${r.carved.join(' ')} (scratch ${r.scratch.join(' ')})`);
  }
}

function assertSameLosses(w: number[], t: number[], what: string): void {
  assert.equal(w.length, t.length);
  for (let i = 0; i < t.length; i++) assert.ok(Math.abs(w[i]! - t[i]!) <= 1e-5 * Math.abs(t[i]!), `${what} ${i}: wasm ${w[i]} vs ts ${t[i]}`);
  assert.ok(new Set(t).size > 2, `${what}: the loss moves`);
}

const mlp = (rng: Rng): Module =>
  new Sequential([new Linear(12, 48, rng), new LIF(48, { surrogate: SG, beta: 0.85 }), new Linear(48, 4, rng), new LIF(4, { surrogate: SG, beta: 0.85, threshold: 0.1 })]);

const convNet = (rng: Rng): Module =>
  new Sequential([
    new Conv2d(1, 4, 3, rng),
    new BatchNorm2d(4),
    new LIF([4, 6, 6], { surrogate: SG, beta: 0.8, threshold: 0.5 }),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(36, 3, rng),
    new LIF(3, { surrogate: SG, beta: 0.8, threshold: 0.1 }),
  ]);

test('Linear→LIF→Linear→LIF with Adam, 4 epochs on wasm: heap bounded, losses equal the ts backend', () => {
  const loader = new RandomLoader([12], 5, 8, 4, 11);
  const wasm = createWasmBackend();
  const w = run(wasm, mlp, loader, 4), r = run(ts, mlp, loader, 4);
  assertBounded(w, 6, 'mlp');
  assertSameLosses(w.losses, r.losses, 'batch');
  assertSameLosses(w.evalLoss, r.evalLoss, 'eval epoch');
  assert.equal(wasm.scopeDepth(), 0);
  assert.equal(wasm.heapStats().grows, 0);
});

test('conv→BN→LIF→pool→linear→LIF with Adam on wasm: heap bounded, losses and BN running stats equal the ts backend', () => {
  const loader = new RandomLoader([1, 8, 8], 4, 6, 3, 12);
  const wasm = createWasmBackend();
  const w = run(wasm, convNet, loader, 3), r = run(ts, convNet, loader, 3);
  assertBounded(w, 5, 'conv');
  assertSameLosses(w.losses, r.losses, 'batch');
  const bn = (m: Module): number[] => (m as Sequential).children()[1]![1].getBuffer('running_mean')!.toArray();
  const wm = bn(w.model), rm = bn(r.model);
  // Looser than the losses: Adam scales tiny gradient differences (f32 vs f64 GEMM sums) up to
  // lr-sized weight differences for near-zero gradients, which the running means integrate.
  wm.forEach((v, i) => assert.ok(Math.abs(v - rm[i]!) <= 1e-2 * Math.abs(rm[i]!) + 1e-4, `running mean ${i}: ${v} vs ${rm[i]}`));
  assert.ok(rm.some((v) => v !== 0), 'running statistics were updated');
});

test('TBPTT: chunks inside one batch share its scope; heap bounded and losses equal ts', () => {
  const loader = new RandomLoader([12], 4, 8, 4, 13);
  const w = run(createWasmBackend(), mlp, loader, 2, 4), r = run(ts, mlp, loader, 2, 4);
  assertBounded(w, 5, 'tbptt');
  assertSameLosses(w.losses, r.losses, 'batch');
});

/** Adds a constant offset created lazily on the first forward: a tensor kept across steps. */
class LazyOffset extends Module {
  private offset: Tensor | null = null;
  constructor(readonly listIt: boolean) {
    super();
  }
  get kind(): string {
    return 'LazyOffset';
  }
  forward(x: Tensor): Tensor {
    this.offset ??= full(x.shape, 0.25, { backend: x.backend });
    return add(x, this.offset);
  }
  override persistentTensors(): Tensor[] {
    const own = super.persistentTensors();
    return this.listIt && this.offset ? [...own, this.offset] : own;
  }
}

test('a module that keeps a tensor without listing it in persistentTensors() makes the next step throw; listing it fixes that', () => {
  const loader = new RandomLoader([12], 3, 4, 4, 14);
  const build = (listIt: boolean) => (rng: Rng): Module =>
    new Sequential([new LazyOffset(listIt), new Linear(12, 4, rng), new LIF(4, { surrogate: SG, beta: 0.9, threshold: 0.1 })]);
  const wasm = createWasmBackend();
  let batches = 0;
  assert.throws(
    () =>
      withBackend(wasm, () => {
        const model = build(false)(new Rng(1));
        new Trainer({ model, encode, loss: (o, y) => ceRateLoss(o.spikes, y), optimizer: new Adam(model.parameters()), callbacks: { onBatchEnd: () => batches++ } }).trainEpoch(loader);
      }),
    (e: unknown) => e instanceof BackendError && /persistentTensors\(\)/.test(e.message),
  );
  assert.equal(batches, 1, 'the first step ran, the second threw');
  assert.equal(wasm.scopeDepth(), 0, 'the failed step closed its scope');
  const ok = run(wasm, build(true), loader, 2);
  const ref = run(ts, build(true), loader, 2);
  assertSameLosses(ok.losses, ref.losses, 'batch');
});
