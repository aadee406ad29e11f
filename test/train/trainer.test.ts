import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withBackend } from '../../src/backend/registry.js';
import { record } from '../../src/autograd/tape.js';
import { FormatError, NumericError, ShapeError } from '../../src/errors.js';
import { NeuronModule } from '../../src/neurons/base.js';
import { Linear } from '../../src/nn/linear.js';
import { Sequential } from '../../src/nn/containers.js';
import { add, scale, sub } from '../../src/ops/elementwise.js';
import { ceMembraneLoss, ceRateLoss } from '../../src/ops/loss.js';
import { repeatTime, reshape, sliceLeading, stack } from '../../src/ops/shape.js';
import { empty } from '../../src/ops/util.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Adam, SGD } from '../../src/train/optim/index.js';
import { cosineAnnealing, LrScheduler } from '../../src/train/schedulers.js';
import { Trainer, type Batch, type LossFn } from '../../src/train/trainer.js';
import { loadCheckpoint, loadTrainerCheckpoint, saveCheckpoint, saveTrainerCheckpoint } from '../../src/train/checkpoint-node.js';

/** Heaviside(v − 1) with a fast-sigmoid surrogate (slope 5): a stand-in for the real spike op. */
function spikeFn(v: Tensor): Tensor {
  const out = empty(v.backend, v.shape, true);
  const a = v.data, o = out.data;
  for (let i = 0; i < a.length; i++) o[i] = a[i]! > 1 ? 1 : 0;
  record('toySpike', [v], [out], ([g]) => {
    const gv = empty(v.backend, v.shape);
    const gd = g!.data, d = gv.data;
    for (let i = 0; i < a.length; i++) d[i] = gd[i]! / (1 + 5 * Math.abs(a[i]! - 1)) ** 2;
    return [gv];
  });
  return out;
}

/** Minimal LIF (mem = β·mem + x, reset by subtracting the detached spike) built from recorded ops. */
class ToyLif extends NeuronModule {
  private mem: Tensor | null = null;
  constructor(readonly beta: number) {
    super();
  }
  get kind(): string {
    return 'ToyLif';
  }
  step(x: Tensor): Tensor {
    const m = this.mem ? add(scale(this.mem, this.beta), x) : x;
    const s = spikeFn(m);
    this.lastStep = m;
    this.mem = sub(m, s.detach());
    return s;
  }
  private lastStep: Tensor | null = null;
  forward(x: Tensor): Tensor {
    const T = x.shape[0]!;
    const spikes: Tensor[] = [];
    const mems: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      spikes.push(this.step(reshape(sliceLeading(x, t, t + 1), x.shape.slice(1))));
      mems.push(this.lastStep!);
    }
    if (this.recordMembrane) this.lastMembrane = stack(mems);
    return stack(spikes);
  }
  detachState(): void {
    this.mem = this.mem ? this.mem.detach() : null;
  }
  override resetState(): void {
    this.mem = null;
  }
}

const IN = 6, HID = 12, OUT = 3, T = 8;

function makeModel(seed: number, recordMembrane = false): Sequential {
  const rng = new Rng(seed);
  const out = new ToyLif(0.8);
  out.recordMembrane = recordMembrane;
  return new Sequential([new Linear(IN, HID, rng), new ToyLif(0.8), new Linear(HID, OUT, rng), out]);
}

/** Three Gaussian blobs; each epoch visits the samples in an order drawn from `rng`. */
class Loader implements Iterable<Batch> {
  readonly xs: number[][] = [];
  readonly ys: number[] = [];
  constructor(n: number, readonly batch: number, public rng: Rng | null) {
    const gen = new Rng(99);
    const protos = Array.from({ length: OUT }, () => Array.from({ length: IN }, () => gen.uniform(-1.5, 1.5)));
    for (let i = 0; i < n; i++) {
      const y = i % OUT;
      this.ys.push(y);
      this.xs.push(protos[y]!.map((v) => v + 0.3 * gen.normal()));
    }
  }
  *[Symbol.iterator](): Iterator<Batch> {
    const order = Array.from(this.ys.keys());
    this.rng?.shuffle(order);
    for (let s = 0; s < order.length; s += this.batch) {
      const idx = order.slice(s, s + this.batch);
      yield { x: tensor(idx.flatMap((i) => this.xs[i]!), [idx.length, IN]), y: Int32Array.from(idx.map((i) => this.ys[i]!)) };
    }
  }
}

/** Direct encoding: the same input current at every step. */
const encode = (x: Tensor): Tensor => repeatTime(reshape(x, [1, ...x.shape]), T);
const rateLoss: LossFn = (o, y) => ceRateLoss(o.spikes, y);

function paramsOf(m: Sequential): number[][] {
  return m.parameters().map((p) => Array.from(p.data));
}

test('Trainer: loss decreases and accuracy rises on a toy problem (full BPTT and TBPTT)', () => {
  withBackend('ts', () => {
    for (const tbptt of [0, 3]) {
      const model = makeModel(1);
      const optimizer = new Adam(model.parameters(), { lr: 0.02 });
      const batches: number[] = [];
      const epochs: number[] = [];
      const trainer = new Trainer({
        model, encode, loss: rateLoss, optimizer, tbptt, clipGradNorm: 5,
        callbacks: { onBatchEnd: (i) => batches.push(i.batch), onEpochEnd: (i) => epochs.push(i.epoch) },
      });
      const loader = new Loader(48, 16, new Rng(3));
      const before = trainer.evaluate(loader);
      let last = before;
      for (let e = 0; e < 12; e++) last = trainer.trainEpoch(loader);
      const after = trainer.evaluate(loader);
      assert.equal(after.samples, 48);
      assert.ok(after.loss < before.loss - 0.05, `tbptt=${tbptt}: loss ${before.loss} → ${after.loss}`);
      assert.ok(after.accuracy >= 0.8, `tbptt=${tbptt}: accuracy ${after.accuracy}`);
      assert.ok(last.seconds >= 0 && last.samples === 48);
      assert.deepEqual(batches.slice(0, 3), [0, 1, 2]);
      assert.deepEqual(epochs.slice(0, 2), [0, 1]);
      assert.equal(trainer.globalStep, 36);
      assert.equal(model.training, true);
    }
  });
});

test('Trainer: membrane losses get the membrane of the last recording neuron layer', () => {
  withBackend('ts', () => {
    const model = makeModel(2, true);
    let seen: Tensor | null = null;
    const trainer = new Trainer({
      model, encode, optimizer: new SGD(model.parameters(), { lr: 0.1 }),
      loss: (o, y) => ((seen = o.membrane), ceMembraneLoss(o.membrane!, y, 'last')),
    });
    const r = trainer.trainEpoch(new Loader(6, 3, null));
    assert.ok(Number.isFinite(r.loss));
    assert.deepEqual(seen!.shape, [T, 3, OUT]);
  });
});

test('Trainer: a non-finite loss raises NumericError naming epoch and batch (and chunk under TBPTT)', () => {
  withBackend('ts', () => {
    const model = makeModel(3);
    let calls = 0;
    const nanAfter = (n: number): LossFn => (o, y) => (calls++ >= n ? scale(ceRateLoss(o.spikes, y), NaN) : ceRateLoss(o.spikes, y));
    const t1 = new Trainer({ model, encode, loss: nanAfter(1), optimizer: new SGD(model.parameters(), { lr: 0.1 }) });
    assert.throws(() => t1.trainEpoch(new Loader(9, 3, null)), (e: Error) => e instanceof NumericError && /epoch 1, batch 2 \(step 2 of the run\)/.test(e.message));
    calls = 0;
    const t2 = new Trainer({ model, encode, loss: nanAfter(1), tbptt: 4, optimizer: new SGD(model.parameters(), { lr: 0.1 }) });
    assert.throws(() => t2.trainEpoch(new Loader(9, 3, null)), (e: Error) => e instanceof NumericError && /epoch 1, batch 1 \(step 1 of the run\), TBPTT chunk 1 \(steps 4\.\.7\)/.test(e.message));
  });
});

interface Run {
  model: Sequential;
  trainer: Trainer;
  loader: Loader;
  dataRng: Rng;
}

function makeRun(seed: number, dataSeed: number, tbptt: number): Run {
  const model = makeModel(seed);
  const optimizer = new Adam(model.parameters(), { lr: 0.01, amsgrad: true });
  const scheduler = new LrScheduler(optimizer, cosineAnnealing(6), 'iteration');
  const dataRng = new Rng(dataSeed);
  const loader = new Loader(30, 10, dataRng);
  const trainer = new Trainer({ model, encode, loss: rateLoss, optimizer, scheduler, tbptt, clipGradNorm: 1 });
  return { model, trainer, loader, dataRng };
}

test('resume: 2 epochs straight == 1 epoch + checkpoint + load into fresh objects + 1 epoch, bit for bit', () => {
  withBackend('ts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-ckpt-'));
    try {
      for (const tbptt of [0, 3]) {
        const a = makeRun(11, 5, tbptt);
        a.trainer.trainEpoch(a.loader);
        a.trainer.trainEpoch(a.loader);

        const b = makeRun(11, 5, tbptt);
        b.trainer.trainEpoch(b.loader);
        const path = join(dir, `run${tbptt}.safetensors`);
        saveTrainerCheckpoint(path, b.trainer, { rngs: { data: b.dataRng }, config: { tbptt, note: 'toy' } });

        // Fresh model (different init), optimizer, scheduler and data order: everything must come from the file.
        const c = makeRun(77, 1234, tbptt);
        const info = loadTrainerCheckpoint(path, c.trainer, { data: c.dataRng });
        assert.deepEqual(info.config, { tbptt, note: 'toy' });
        assert.equal(c.trainer.epoch, 1);
        assert.equal(c.trainer.globalStep, 3);
        assert.equal(c.trainer.optimizer.lr, b.trainer.optimizer.lr);
        assert.deepEqual(paramsOf(c.model), paramsOf(b.model));
        c.trainer.trainEpoch(c.loader);

        assert.deepEqual(paramsOf(c.model), paramsOf(a.model), `tbptt=${tbptt}: parameters differ after resuming`);
        assert.deepEqual(c.trainer.optimizer.stateDict().steps, a.trainer.optimizer.stateDict().steps);
        assert.equal(c.trainer.optimizer.lr, a.trainer.optimizer.lr);
        assert.deepEqual(c.dataRng.getState(), a.dataRng.getState());
      }
      assert.deepEqual(readdirSync(dir).sort(), ['run0.safetensors', 'run3.safetensors']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('checkpoint loading validates names and shapes against the model and changes nothing on failure', () => {
  withBackend('ts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-ckpt-'));
    try {
      const path = join(dir, 'c.safetensors');
      saveCheckpoint(path, { model: makeModel(1), epoch: 3, step: 9 });
      // Different hidden size: shape mismatch names the tensor.
      const rng = new Rng(1);
      const wider = new Sequential([new Linear(IN, HID + 1, rng), new ToyLif(0.8), new Linear(HID + 1, OUT, rng), new ToyLif(0.8)]);
      const before = paramsOf(wider);
      assert.throws(() => loadCheckpoint(path, { model: wider }), (e: Error) => e instanceof ShapeError && /'param\.0\.weight' has shape \[12, 6\], parameter '0\.weight' of the model has \[13, 6\]/.test(e.message));
      assert.deepEqual(paramsOf(wider), before);
      // Extra layer: missing tensor named.
      const deeper = new Sequential([...makeModel(1).layers, new Linear(OUT, OUT, rng)]);
      assert.throws(() => loadCheckpoint(path, { model: deeper }), (e: Error) => e instanceof FormatError && /no tensor 'param\.4\.weight'/.test(e.message));
      // Fewer layers: leftover tensor named.
      const shallow = new Sequential([new Linear(IN, HID, rng), new ToyLif(0.8)]);
      assert.throws(() => loadCheckpoint(path, { model: shallow }), (e: Error) => e instanceof FormatError && /'param\.2\.(weight|bias)' does not match any parameter/.test(e.message));
      // Asking for optimizer state that was not saved.
      const m = makeModel(1);
      assert.throws(() => loadCheckpoint(path, { model: m, optimizer: new SGD(m.parameters(), { lr: 1 }) }), /holds no optimizer state/);
      const info = loadCheckpoint(path, { model: makeModel(5) });
      assert.equal(info.epoch, 3);
      assert.equal(info.step, 9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('Trainer: modules hear beginEpoch before each epoch (with the run length) and afterUpdate after every step', () => {
  withBackend('ts', () => {
    const calls: string[] = [];
    class Hooked extends Linear {
      override beginEpoch(epoch: number, epochs: number | null): void {
        calls.push(`epoch ${epoch}/${epochs}`);
        super.beginEpoch(epoch, epochs);
      }
      override afterUpdate(): void {
        calls.push('update');
        super.afterUpdate();
      }
    }
    const rng = new Rng(2);
    const model = new Sequential([new Sequential([new Hooked(IN, HID, rng)]), new ToyLif(0.8), new Linear(HID, OUT, rng), new ToyLif(0.8)]);
    const trainer = new Trainer({ model, encode, loss: rateLoss, optimizer: new SGD(model.parameters(), { lr: 0.1 }), epochs: 2 });
    const loader = new Loader(24, 12, null);
    trainer.trainEpoch(loader);
    trainer.trainEpoch(loader);
    trainer.evaluate(loader);
    assert.deepEqual(calls, ['epoch 0/2', 'update', 'update', 'epoch 1/2', 'update', 'update']);
  });
});
