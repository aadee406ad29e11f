import test from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/nn/containers.js';
import { Linear } from '../../src/nn/linear.js';
import { LIF } from '../../src/neurons/lif/model.js';
import { Rng } from '../../src/tensor/rng.js';
import { uniform } from '../../src/tensor/create.js';
import { noGrad } from '../../src/autograd/tape.js';
import { record, Recorder } from '../../src/analysis/recorder.js';
import { SpikeMonitor } from '../../src/analysis/monitor.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { scale } from '../../src/ops/elementwise.js';
import { tensor } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** Step t of a [T, B, F] sequence as [B, F]. */
const sliceStep = (h: Tensor, t: number): Tensor => {
  const n = h.size / h.shape[0]!;
  return tensor(h.data.subarray(t * n, (t + 1) * n), h.shape.slice(1));
};

function model(): Sequential {
  const l0 = new Linear(6, 5, new Rng(1));
  l0.setTensor('weight', scale(l0.weight, 4));
  return new Sequential([l0, new LIF(5, { beta: 0.9 }), new Linear(5, 3, new Rng(2)), new LIF(3, { beta: 0.9 })]);
}
const x = uniform([7, 2, 6], new Rng(3), 0, 1);

test('record: chosen layers, spikes and membranes over time, detached copies equal to a step-by-step loop', () => {
  const m = model();
  const r = noGrad(() => record(m, x, { layers: ['1', 3], what: ['spikes', 'membrane'] }));
  assert.deepEqual([...r.layers.keys()], ['1', '3']);
  const l1 = r.layers.get('1')!;
  assert.equal(l1.kind, 'LIF');
  assert.deepEqual(l1.spikes!.shape, [7, 2, 5]);
  assert.deepEqual(l1.membrane!.shape, [7, 2, 5]);
  assert.equal(l1.output, undefined, 'only what was asked is kept');
  assert.equal(l1.spikes!.node, null);
  assert.ok(l1.spikes!.toArray().some((v) => v === 1), 'layer 1 spikes');
  assert.equal(r.layers.get('3')!.spikes!.toArray().join(), r.output.toArray().join());
  // The same numbers as a loop of step() calls over time (the loop record() saves writing).
  const m2 = model();
  const lif = m2.layers[1] as LIF;
  lif.recordMembrane = true;
  const spk: number[] = [], mem: number[] = [];
  noGrad(() => {
    const h = m2.layers[0]!.forward(x); // [7, 2, 5]
    for (let t = 0; t < 7; t++) {
      spk.push(...lif.step(sliceStep(h, t)).toArray());
      mem.push(...lif.lastMembrane!.toArray());
    }
  });
  assert.deepEqual(l1.spikes!.toArray(), spk);
  assert.deepEqual(l1.membrane!.toArray(), mem);
  // The layers' own recording switches are left as they were.
  assert.equal((m.layers[1] as LIF).recordMembrane, false);
  assert.equal((m.layers[1] as LIF).lastMembrane, null);
});

test('Recorder: default is every neuron layer\'s spikes; successive forwards append along time; clear()', () => {
  const m = model();
  const rec = new Recorder(m);
  noGrad(() => {
    m.resetState();
    rec.forward(x);
    rec.forward(x); // continues the sequence (state kept)
  });
  const all = rec.all();
  assert.deepEqual([...all.keys()], ['1', '3']);
  assert.deepEqual(all.get('1')!.spikes!.shape, [14, 2, 5]);
  assert.equal(all.get('1')!.membrane, undefined);
  rec.clear();
  assert.equal(rec.get('1'), undefined);
  const out = new Recorder(m, { layers: ['0'], what: ['output'] });
  noGrad(() => out.forward(x));
  assert.deepEqual(out.get(0)!.output!.shape, [7, 2, 5]);
});

test('Recorder: unknown layers, membranes of stateless layers and bad inputs are ConfigError / ShapeError naming them', () => {
  const m = model();
  assert.throws(() => new Recorder(m, { layers: ['9'] }), (e: Error) => e instanceof ConfigError && /no layer '9'.*0 Linear, 1 LIF/.test(e.message));
  assert.throws(() => new Recorder(m, { layers: ['0'], what: ['membrane'] }), (e: Error) => e instanceof ConfigError && /layer '0' \(Linear\) is not a spiking layer.*'output'/.test(e.message));
  assert.throws(() => new Recorder(m).forward(uniform([2, 6], new Rng(0), 0, 1)), ShapeError);
});

test('forwardWithMembrane returns (spikes, membrane) like snnTorch output=True; membrane differentiable', () => {
  const lif = new LIF(4, { beta: 0.8 });
  const inp = uniform([5, 3, 4], new Rng(5), 0, 1.5);
  inp.requiresGrad = true;
  const { spikes, membrane } = lif.forwardWithMembrane(inp);
  assert.deepEqual(spikes.shape, [5, 3, 4]);
  assert.deepEqual(membrane.shape, [5, 3, 4]);
  assert.notEqual(membrane.node, null, 'on the tape');
  assert.equal(lif.recordMembrane, false);
  lif.resetState();
  lif.recordMembrane = true;
  const s2 = lif.forward(inp);
  assert.deepEqual(s2.toArray(), spikes.toArray());
  assert.deepEqual(lif.lastMembrane!.toArray(), membrane.toArray());
});

test('the spike monitor still walks the same layers (shared walk)', () => {
  const m = model();
  const mon = new SpikeMonitor(m);
  noGrad(() => mon.forward(x));
  assert.deepEqual(mon.summary().layers.map((l) => l.name), ['0:Linear', '1:LIF', '2:Linear', '3:LIF']);
});
