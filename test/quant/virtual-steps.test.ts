// Issue 13's acceptance line: the integer-spike neuron's training-time output
// equals its D-virtual-timestep binary expansion at inference, exactly.
import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import type { Backend } from '../../src/backend/backend.js';
import { ShapeError } from '../../src/errors.js';
import { MultiLevel } from '../../src/neurons/multilevel/index.js';
import { LIF } from '../../src/neurons/lif/model.js';
import { Linear } from '../../src/nn/linear.js';
import { Conv2d } from '../../src/nn/conv.js';
import type { WeightedLayer } from '../../src/nn/weighted.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { countCodingOf, expandCounts, virtualStepForward } from '../../src/quant/virtual-steps.js';
import { float32Backends } from '../neurons/backends.js';

test('expandCounts: a thermometer code over D virtual steps, binary, as many spikes as counts', () => {
  const x = tensor([0, 0.5, 1, 0.25, 0.75, 0], [2, 1, 3]); // normalized counts, D = 4
  const e = expandCounts(x, { levels: 4, normalized: true });
  assert.deepEqual(e.shape, [8, 1, 3]);
  assert.equal(e.binary, true);
  // step 0: counts 0, 2, 4; step 1: 1, 3, 0
  assert.deepEqual([...e.data], [0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, /* step 1 */ 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0]);
  assert.deepEqual([...expandCounts(tensor([2, 0, 3], [1, 1, 3]), { levels: 3, normalized: false }).data], [1, 0, 1, 1, 0, 1, 0, 0, 1]);
  assert.throws(() => expandCounts(tensor([0.3], [1, 1, 1]), { levels: 4, normalized: true }), (e: Error) => e instanceof ShapeError && /element 0 is 0\.3\d*, not a count 0\.\.4 divided by 4/.test(e.message));
  assert.throws(() => expandCounts(tensor([5], [1, 1, 1]), { levels: 4, normalized: false }), (e: Error) => e instanceof ShapeError && /not a count 0\.\.4/.test(e.message));
});

/**
 * The downstream weights on a 4-bit grid whose steps are powers of two
 * (2^-3 .. 2^-5 per channel): every product w·c/D and every partial sum is a
 * multiple of 2^-(5 + log2 D) far below 2^24 in magnitude, so float32 (and
 * float64) hold them exactly and any summation order — the dense GEMM over
 * the counts, the event-driven row sums over the virtual steps — gives the
 * same numbers. (With D not a power of two the counts are used unnormalized:
 * c/3 is not a binary fraction.)
 */
function gridQuantize(layer: WeightedLayer): void {
  const C = layer.weight.shape[0]!;
  layer.setWeightQuantizer({ bits: 4, perChannel: true, learnStep: false }, Array.from({ length: C }, (_, c) => 2 ** -(3 + (c % 3))));
  // The bias on the grid too (a multiple of 2^-8), so adding it is exact as well.
  if (layer.bias) for (let i = 0; i < C; i++) layer.bias.data[i] = Math.round(layer.bias.data[i]! * 256) / 256;
}

function checkNetwork(be: Backend, D: number, output: 'normalized' | 'count', conv: boolean): void {
  withBackend(be, () => {
    const rng = new Rng(7 + D);
    const T = 5, B = 3;
    const first = conv ? new Conv2d(1, 4, 3, rng, { padding: 1 }) : new Linear(12, 16, rng);
    const feat = conv ? [4, 5, 5] : [16];
    const ml = new MultiLevel(feat, { levels: D, output, threshold: 0.15, beta: 0.5 });
    const down: WeightedLayer = conv ? new Conv2d(4, 6, 3, rng) : new Linear(16, 6, rng);
    gridQuantize(down);
    const outFeat = conv ? [6, 3, 3] : [6];
    const lif = new LIF(outFeat, { beta: 0.75, threshold: 0.3 });
    const xShape = conv ? [T, B, 1, 5, 5] : [T, B, 12];
    const x = tensor(Array.from({ length: xShape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 2)), xShape);
    // Training-time path: counts straight into the quantized layer (train mode, the graph recorded).
    const counts = ml.forward(first.forward(x));
    const viaCounts = lif.forward(down.forward(counts));
    const outCounts = [...viaCounts.data];
    lif.resetState();
    // Inference path: the same counts as D binary virtual steps, summed per real step before the neuron.
    const current = virtualStepForward(down, counts, countCodingOf(ml));
    const direct = down.forward(counts);
    assert.deepEqual([...current.data], [...direct.data], `${be.name} D=${D} ${output}${conv ? ' conv' : ''}: the synaptic current is identical`);
    const viaSpikes = lif.forward(current);
    assert.deepEqual([...viaSpikes.data], outCounts, `${be.name} D=${D} ${output}${conv ? ' conv' : ''}: the output spikes are identical`);
    const nCounts = [...counts.data].reduce((a, v) => a + (output === 'normalized' ? v * D : v), 0);
    assert.ok(nCounts > 10, `the multi-level layer fires (${nCounts} counts)`);
    assert.ok([...counts.data].some((v) => (output === 'normalized' ? v * D : v) >= 2), 'some counts above 1');
    assert.ok(outCounts.some((v) => v > 0), 'the network produces output spikes');
  });
}

test('multi-level counts and their binary virtual-step expansion give the same network output, exactly (ts64 and the float32 backends)', (t) => {
  const { backends, skipped } = float32Backends();
  if (skipped) t.diagnostic(skipped);
  for (const be of [getBackendByName('ts64'), ...backends.map(([, b]) => b)]) {
    checkNetwork(be, 4, 'normalized', false);
    checkNetwork(be, 2, 'normalized', true);
    checkNetwork(be, 3, 'count', false);
    checkNetwork(be, 3, 'count', true);
  }
});

test('virtual steps on spikes take the event-driven path (additions only)', () => {
  const be = getBackendByName('ts');
  withBackend(be, () => {
    const lin = new Linear(64, 4, new Rng(1));
    gridQuantize(lin);
    const counts = tensor(Array.from({ length: 4 * 2 * 64 }, (_, i) => (i % 13 === 0 ? 0.5 : i % 29 === 0 ? 1 : 0)), [4, 2, 64]);
    virtualStepForward(lin, counts, { levels: 2, normalized: true });
    assert.equal(lin.lastStats.eventDriven, true);
  });
});
