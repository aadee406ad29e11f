import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { createWasmBackend } from '../../src/backend/wasm/backend.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { ConfigError } from '../../src/errors.js';
import { LIF } from '../../src/neurons/lif/model.js';
import { fastSigmoid } from '../../src/neurons/surrogate.js';
import { Residual, Sequential } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { softTargetKl } from '../../src/ops/distill.js';
import { ceCountLoss, ceRateLoss, mseLoss } from '../../src/ops/loss.js';
import { reduceOverTime } from '../../src/ops/readout.js';
import { repeatTime, reshape } from '../../src/ops/shape.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Distiller, type DistillerOptions } from '../../src/train/distill.js';
import { Adam } from '../../src/train/optim/index.js';
import { scoreByCounts, Trainer, type Batch, type ModelOutput } from '../../src/train/trainer.js';

/*
 * The Distiller as the Trainer uses it: the combined loss and its gradient,
 * a teacher equal to the student contributing exactly nothing (whole
 * sequences and TBPTT chunks), the teacher frozen and run once per batch,
 * the checks that fail before training, and the teacher's tensors surviving
 * the wasm backend's step scopes.
 */

const ts64 = getBackendByName('ts64');
const SG = fastSigmoid({ slope: 25 });

/** A small spiking net: Linear → LIF → Linear → LIF (paths '0'..'3'). */
function snn(seed: number, hidden = 6, classes = 3, beta = 0.9): Sequential {
  const r = new Rng(seed);
  return new Sequential([new Linear(4, hidden, r), new LIF(hidden, { beta, surrogate: SG }), new Linear(hidden, classes, r), new LIF(classes, { beta, surrogate: SG })]);
}

function copyOf(m: Sequential, seed: number): Sequential {
  const c = snn(seed);
  c.loadStateDict(m.stateDict());
  return c;
}

const T = 4;
const encode = (x: Tensor): Tensor => repeatTime(reshape(x, [1, ...x.shape]), T);

function batches(n: number, B: number, seed: number, classes = 3): Batch[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => ({
    x: tensor(Array.from({ length: B * 4 }, () => rng.uniform(0, 1.5)), [B, 4]),
    y: Int32Array.from({ length: B }, () => rng.int(classes)),
  }));
}

function distiller(student: Sequential, teacher: Sequential, o: Partial<DistillerOptions> = {}): Distiller {
  return new Distiller({ student, teacher, studentScores: scoreByCounts, teacherScores: scoreByCounts, temperature: 2, alpha: 0.5, features: [], ...o });
}

test('combine = (1 − α)·task + α·T²·KL + Σ w·MSE, and its gradient passes gradcheck (through the hooked feature)', () => {
  withBackend(ts64, () => {
    const r = new Rng(7);
    // Real-valued nets, so finite differences see a smooth function; scores = Σ_t output.
    const student = new Sequential([new Linear(4, 5, r), new Linear(5, 3, r)]);
    const teacher = new Sequential([new Linear(4, 5, r), new Linear(5, 3, r)]);
    const d = distiller(student, teacher, { alpha: 0.6, temperature: 2.5, features: [{ student: '0', teacher: '0', weight: 0.7 }] });
    const x = tensor(Array.from({ length: 3 * 4 }, () => r.uniform(-1, 1)), [1, 3, 4]);
    const seq = repeatTime(x, 3);
    const y = Int32Array.from([0, 2, 1]);
    const lossOf = (): Tensor => {
      d.beginBatch(seq);
      const out: ModelOutput = { spikes: student.forward(seq), membrane: null };
      try {
        return d.combine(ceCountLoss(out.spikes, y), out, y, 0, 3);
      } finally {
        d.endBatch();
      }
    };
    // The value, from the parts computed independently.
    const sOut = student.forward(seq), tOut = teacher.forward(seq);
    const want =
      0.4 * ceCountLoss(sOut, y).item() +
      0.6 * 2.5 * 2.5 * softTargetKl(reduceOverTime(sOut, 'sum'), reduceOverTime(tOut, 'sum'), 2.5).item() +
      0.7 * mseLoss((student.layers[0] as Linear).forward(seq), (teacher.layers[0] as Linear).forward(seq)).item();
    const got = lossOf().item();
    assert.ok(Math.abs(got - want) < 1e-12, `combine ${got} vs parts ${want}`);
    const g = gradcheck(() => lossOf(), student.parameters());
    assert.ok(g.ok, g.worst);
    // The teacher is frozen: its parameters are not inputs of the graph.
    assert.ok(teacher.parameters().every((p) => !p.requiresGrad && p.grad === null));
    const stats = d.takeStats();
    assert.ok(stats.samples > 0 && stats.kd > 0 && stats.features[0]! > 0);
  });
});

test('a teacher equal to the student adds nothing: KL and feature MSE are 0, whole sequences and TBPTT chunks', () => {
  for (const tbptt of [0, 2, 3]) {
    const student = snn(1);
    const teacher = copyOf(student, 99);
    const d = distiller(student, teacher, { features: [{ student: '1', teacher: '1', weight: 1 }, { student: '3', teacher: '3', weight: 2 }] });
    const trainer = new Trainer({ model: student, encode, loss: (o, y) => ceRateLoss(o.spikes, y), optimizer: new Adam(student.parameters(), { lr: 0 }), tbptt, objective: d });
    // lr 0: the student stays equal to the teacher for every batch.
    trainer.trainEpoch(batches(3, 5, 2));
    const s = d.takeStats();
    assert.equal(s.samples, 15);
    assert.equal(s.kd, 0, `tbptt ${tbptt}: KL`);
    assert.deepEqual(s.features, [0, 0], `tbptt ${tbptt}: feature MSE`);
    assert.ok(s.task > 0);
  }
});

test('the teacher runs once per batch in eval mode, gets no gradient and is not changed by training', () => {
  const student = snn(3);
  const teacher = snn(4, 8);
  const before = [...teacher.stateDict()].map(([n, t]) => [n, t.toArray()]);
  let calls = 0;
  teacher.registerForwardHook(() => calls++);
  const d = distiller(student, teacher, { alpha: 0.9 });
  const trainer = new Trainer({ model: student, encode, loss: (o, y) => ceRateLoss(o.spikes, y), optimizer: new Adam(student.parameters(), { lr: 0.05 }), tbptt: 2, objective: d });
  const studentBefore = student.parameters().map((p) => p.toArray());
  trainer.trainEpoch(batches(4, 3, 5));
  assert.equal(calls, 4, 'one teacher forward per batch, TBPTT chunks included');
  assert.equal(teacher.training, false);
  assert.deepEqual([...teacher.stateDict()].map(([n, t]) => [n, t.toArray()]), before, 'teacher unchanged');
  assert.ok(teacher.parameters().every((p) => !p.requiresGrad && p.grad === null));
  assert.notDeepEqual(student.parameters().map((p) => p.toArray()), studentBefore, 'the student trained');
  // Evaluation reports the task loss alone and does not run the teacher.
  trainer.evaluate(batches(2, 3, 6));
  assert.equal(calls, 4);
  d.dispose();
  assert.equal(Object.prototype.hasOwnProperty.call(teacher.layers[1]!, 'forward'), false);
});

test('check(): shape mismatches name both paths and shapes; unknown paths, class counts and "blocks" are refused before training', () => {
  const probe = encode(tensor([0.5, 1, 0, 1], [1, 4]));
  const mismatch = distiller(snn(1, 6), snn(2, 8), { features: [{ student: '1', teacher: '1', weight: 1 }] });
  assert.throws(
    () => mismatch.check(probe, 3),
    (e: unknown) => e instanceof ConfigError && /train\.distill\.features\[0\]: student '1' outputs \[4, 1, 6\] but teacher '1' outputs \[4, 1, 8\]/.test((e as Error).message),
  );
  assert.throws(
    () => distiller(snn(1), snn(2), { features: [{ student: '1', teacher: '7', weight: 1 }] }),
    (e: unknown) => e instanceof ConfigError && /features\[0\]\.teacher: no module '7' in the teacher \(its modules: .*3 \(LIF\)\)/.test((e as Error).message),
  );
  assert.throws(() => distiller(snn(1), snn(2, 6, 5)).check(probe, 3), (e: unknown) => e instanceof ConfigError && /teacher scores 5 classes, the student's data has 3/.test((e as Error).message));
  assert.throws(() => distiller(snn(1), snn(2), { features: 'blocks' }), /'blocks' pairs the top-level layers .* the student has 0/);
  assert.throws(() => distiller(snn(1), snn(2), { alpha: 1.5 }), /alpha must lie in \[0, 1\]/);
  // A teacher that cannot take the input.
  const wide = new Sequential([new Linear(5, 3, new Rng(1)), new LIF(3)]);
  assert.throws(() => distiller(snn(1), wide).check(probe, 3), (e: unknown) => e instanceof ConfigError && /teacher cannot run on the student's encoded input \[4, 1, 4\]/.test((e as Error).message));
  // An equal pair passes and leaves no state behind.
  const ok = distiller(snn(1), snn(2), { features: [{ student: '2', teacher: '2', weight: 1 }] });
  ok.check(probe, 3);
});

test("features: 'blocks' pairs the top-level layers that hold layers, in order", () => {
  const block = (r: Rng): Residual => new Residual(new Sequential([new Linear(6, 6, r), new LIF(6, { surrogate: SG })]));
  const make = (seed: number): Sequential => {
    const r = new Rng(seed);
    return new Sequential([new Linear(4, 6, r), new LIF(6), block(r), block(r), new Linear(6, 3, r), new LIF(3)]);
  };
  const d = distiller(make(1), make(2), { features: 'blocks' });
  assert.deepEqual(d.pairs, [
    { student: '2', teacher: '2', weight: 1 },
    { student: '3', teacher: '3', weight: 1 },
  ]);
  d.check(encode(tensor([1, 0, 1, 0], [1, 4])), 3);
});

test('wasm step scopes: the teacher keeps its tensors across batches (its persistent tensors are kept)', () => {
  const wasm = createWasmBackend();
  withBackend(wasm, () => {
    const student = snn(5);
    const teacher = snn(6);
    const d = distiller(student, teacher, { features: [{ student: '1', teacher: '1', weight: 1 }] });
    const trainer = new Trainer({ model: student, encode, loss: (o, y) => ceRateLoss(o.spikes, y), optimizer: new Adam(student.parameters(), { lr: 0.01 }), objective: d });
    const r = trainer.trainEpoch(batches(3, 4, 8));
    assert.ok(Number.isFinite(r.loss));
    const s = d.takeStats();
    assert.ok(s.kd > 0 && s.features[0]! > 0);
  });
});
