import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { backward, dropLiveNodes, nodeBytes, startTapeMemory, stopTapeMemory, tapeMemory } from '../../src/autograd/tape.js';
import { LIF } from '../../src/neurons/lif/model.js';
import { Linear } from '../../src/nn/linear.js';
import { scale, sum } from '../../src/ops/elementwise.js';
import { maxPool2d } from '../../src/ops/pool.js';
import { tensor, zeros } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';

/*
 * The tape's memory accounting: the distinct buffers the live graph holds at
 * the start of each backward (inputs, outputs, declared saved buffers), the
 * excluded ones (parameters) left out, the peak over the backwards.
 */

const ts = getBackendByName('ts');

test('tape memory: counts each distinct buffer once (inputs, outputs, saved), leaves the excluded out, forgets what backward ran', () => {
  withBackend(ts, () => {
    const w = tensor([1, 2, 3, 4], [4], { requiresGrad: true });
    startTapeMemory({ exclude: [w] });
    const a = scale(w, 2); // node: w (excluded) → a: 16 bytes
    const b = scale(a, 3); // a (seen) → b: 16 more
    const s = sum(b); // b (seen) → s: 4 more
    assert.equal(tapeMemory().liveNodes, 3);
    backward(s);
    let m = tapeMemory();
    assert.equal(m.backwardCalls, 1);
    assert.equal(m.peakBytes, 16 + 16 + 4);
    assert.equal(m.liveNodes, 0);
    // Max pooling declares its indices: 4 outputs → 4 indices of 4 bytes besides input (64) and output (16).
    const x = tensor(Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4], { requiresGrad: true });
    startTapeMemory({ exclude: [x] });
    const p = maxPool2d(x, { kernel: 2 });
    backward(sum(p));
    m = stopTapeMemory();
    assert.equal(m.peakBytes, 16 + 16 + 4);
    assert.equal(tapeMemory().backwardCalls, 0, 'off after stop');
    // A graph abandoned without backward stays live until dropped.
    startTapeMemory();
    scale(w, 2);
    assert.equal(tapeMemory().liveNodes, 1);
    dropLiveNodes();
    assert.equal(tapeMemory().liveNodes, 0);
    stopTapeMemory();
  });
});

test('tape memory: a LIF scan over T steps holds its traces (grows with T); T one-step graphs cut between steps hold one', () => {
  withBackend(ts, () => {
    const rng = new Rng(1);
    const B = 4, F = 32;
    const bytesOf = (T: number, stepwise: boolean): number => {
      const lin = new Linear(16, F, rng);
      const lif = new LIF(F, { beta: 0.9 });
      const x = zeros([T, B, 16]);
      x.data.set(Array.from({ length: x.size }, () => rng.uniform(0, 1)));
      startTapeMemory({ exclude: lin.parameters() });
      if (stepwise) {
        for (let t = 0; t < T; t++) {
          const xt = tensor(Array.from(x.data.subarray(t * B * 16, (t + 1) * B * 16)), [1, B, 16]);
          backward(sum(lif.forward(lin.forward(xt))));
          lif.detachState();
        }
      } else backward(sum(lif.forward(lin.forward(x))));
      const m = stopTapeMemory();
      // The node list is exactly what the graph references: the last backward's figure is its own.
      assert.equal(m.liveNodes, 0);
      return stepwise ? m.lastBytes : m.peakBytes;
    };
    const whole4 = bytesOf(4, false), whole16 = bytesOf(16, false);
    const step4 = bytesOf(4, true), step16 = bytesOf(16, true);
    assert.ok(whole16 > 3.5 * whole4, `BPTT graph grows with T: ${whole4} → ${whole16}`);
    assert.equal(step16, step4, 'one step\'s graph is the same at any T');
    // A LIF step holds its input current, spikes, membrane, the spike mask and the pre-reset trace.
    assert.ok(step4 > 0 && step4 < whole4 / 2);
  });
});
