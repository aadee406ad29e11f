import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { backward, noGrad } from '../../src/autograd/tape.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { Conv2d } from '../../src/nn/conv.js';
import { Linear } from '../../src/nn/linear.js';
import { sliceLeading } from '../../src/ops/shape.js';
import { sum } from '../../src/ops/elementwise.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { WeightedLayer } from '../../src/nn/weighted.js';
import { assertClose } from '../helpers.js';

/*
 * A weighted layer's input trace (OTTT): â_t = λ·â_{t−1} + x_t over the calls
 * of one sequence, and the weight gradient of step t is δ_t·â_tᵀ.
 */

const ts64 = getBackendByName('ts64');

test('Linear input trace: the weight gradient of each step is δ_t·â_tᵀ with â written out by hand; one T-step call equals T one-step calls', () => {
  withBackend(ts64, () => {
    const rng = new Rng(1);
    const T = 4, B = 3, K = 5, N = 2, lam = 0.7;
    const xs = Array.from({ length: T * B * K }, () => (rng.random() < 0.4 ? 1 : 0));
    const x = tensor(xs, [T, B, K], { binary: true });
    const lin = new Linear(K, N, rng);
    lin.setInputTrace(lam);
    assert.equal(lin.inputTraceDecay, lam);
    // The traces by hand.
    const trace: number[] = new Array(T * B * K).fill(0);
    for (let t = 0; t < T; t++) for (let i = 0; i < B * K; i++) trace[t * B * K + i] = xs[t * B * K + i]! + (t > 0 ? lam * trace[(t - 1) * B * K + i]! : 0);
    // Step by step: the loss Σ y_t, so δ_t = 1 and dW[n, k] = Σ_t Σ_b â_t[b, k].
    lin.resetState();
    lin.weight.grad = null;
    for (let t = 0; t < T; t++) backward(sum(lin.forward(sliceLeading(x, t, t + 1))));
    const want = new Array(N * K).fill(0);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) want[n * K + k] += trace[(t * B + b) * K + k]!;
    assertClose(Array.from(lin.weight.grad!.data), want, 1e-12, 0, 'dW step by step');
    const stepwise = Array.from(lin.weight.grad!.data);
    // One call over the whole sequence forms the same traces.
    lin.resetState();
    lin.weight.grad = null;
    backward(sum(lin.forward(x)));
    assertClose(Array.from(lin.weight.grad!.data), stepwise, 1e-12, 0, 'dW whole sequence');
    // Without the trace it is the plain gradient Σ x.
    lin.setInputTrace(null);
    lin.weight.grad = null;
    backward(sum(lin.forward(x)));
    const plain = new Array(N * K).fill(0);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) for (let m = 0; m < T * B; m++) plain[n * K + k] += xs[m * K + k]!;
    assertClose(Array.from(lin.weight.grad!.data), plain, 1e-12, 0, 'dW without trace');
  });
});

test('input trace: advanced under noGrad, restarted by resetState, off in eval mode, a new batch size needs resetState', () => {
  withBackend(ts64, () => {
    const rng = new Rng(2);
    const conv = new Conv2d(2, 3, 3, rng, { padding: 1 }) as WeightedLayer;
    conv.setInputTrace(0.5);
    const step = () => tensor(Array.from({ length: 2 * 2 * 5 * 5 }, () => (rng.random() < 0.3 ? 1 : 0)), [1, 2, 2, 5, 5], { binary: true });
    const a = step(), b = step();
    // Step a under noGrad, then b with a graph: b's weight gradient uses 0.5·a + b.
    noGrad(() => conv.forward(a));
    conv.weight.grad = null;
    backward(sum(conv.forward(b)));
    const traced = Array.from(conv.weight.grad!.data);
    const ab = tensor(Array.from(a.data, (v, i) => 0.5 * v + b.data[i]!), b.shape);
    const plain = new Conv2d(2, 3, 3, new Rng(0), { padding: 1 });
    plain.weight.data.set(conv.weight.data);
    backward(sum(plain.forward(ab)));
    assertClose(traced, Array.from(plain.weight.grad!.data), 1e-12, 0, 'trace carried across a noGrad step');
    // After resetState the trace starts again from the input itself.
    conv.resetState();
    conv.weight.grad = null;
    backward(sum(conv.forward(b)));
    plain.weight.grad = null;
    backward(sum(plain.forward(b)));
    assertClose(Array.from(conv.weight.grad!.data), Array.from(plain.weight.grad!.data), 1e-12, 0, 'after resetState');
    // Eval mode: no trace is kept (inference pays nothing).
    conv.eval();
    conv.resetState();
    conv.forward(b);
    assert.equal(conv.persistentTensors().length, conv.parameters().length);
    conv.train();
    conv.forward(b);
    assert.throws(() => conv.forward(tensor(new Array(3 * 2 * 5 * 5).fill(0), [1, 3, 2, 5, 5])), ShapeError);
    assert.throws(() => conv.setInputTrace(1.5), ConfigError);
  });
});
