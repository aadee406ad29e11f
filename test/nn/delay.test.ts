import test from 'node:test';
import assert from 'node:assert/strict';
import { backendNames, getBackendByName, withBackend } from '../../src/backend/registry.js';
import { registerNativeBackend } from '../../src/backend/native/load-node.js';
import { DELAY_INTERP } from '../../src/backend/kernels/delay.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { backward } from '../../src/autograd/tape.js';
import { delayConv, delayConvExact, delayKernel } from '../../src/ops/delay.js';
import { sum } from '../../src/ops/elementwise.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { DelayedLinear } from '../../src/nn/delay.js';
import { ConfigError, FormatError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers.js';

registerNativeBackend();
const ts64 = getBackendByName('ts64');

function rand(rng: Rng, n: number, lo = -1, hi = 1): number[] {
  return Array.from({ length: n }, () => rng.uniform(lo, hi));
}

function spikes(rng: Rng, n: number, density: number): number[] {
  return Array.from({ length: n }, () => (rng.random() < density ? 1 : 0));
}

/** Identical numbers (=== per element). */
function assertSame(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fail(`${what}[${i}]: ${a[i]} !== ${b[i]}`);
}

test('Gaussian kernel: taps are w·g/(Σg + 1e-7) around c = p + ⌊K/2⌋ with σ_eff = |σ| + 0.27', () => {
  const w = tensor([2, -1], [1, 2], { backend: ts64 });
  const p = tensor([0.3, -2], [1, 2], { backend: ts64 });
  const K = 5, sigma = 1.5;
  const k = delayKernel(w, p, { K, interp: DELAY_INTERP.gauss, sigma });
  assert.deepEqual(k.shape, [K, 1, 2]);
  for (let s = 0; s < 2; s++) {
    const c = p.data[s]! + 2;
    const g = Array.from({ length: K }, (_, j) => Math.exp(-0.5 * ((j - c) / (sigma + 0.27)) ** 2));
    const S = g.reduce((a, b) => a + b, 0) + 1e-7;
    for (let j = 0; j < K; j++) assertClose([k.data[j * 2 + s]!], [(w.data[s]! * g[j]!) / S], 1e-15, 0, `tap ${j} synapse ${s}`);
  }
  // The taps sum to w (up to the normaliser's ε).
  let total = 0;
  for (let j = 0; j < K; j++) total += k.data[j * 2]!;
  assertClose([total], [2], 1e-6);
});

test('linear kernel: two taps weighted 1 − frac and frac; an integer position is one-hot', () => {
  const w = tensor([3, 5], [2, 1], { backend: ts64 });
  const p = tensor([-0.25, 1], [2, 1], { backend: ts64 });
  const k = delayKernel(w, p, { K: 3, interp: DELAY_INTERP.linear, sigma: 0 });
  // synapse 0: c = 0.75 → tap 0: 3·0.25, tap 1: 3·0.75; synapse 1: c = 2 → tap 2: 5.
  assert.deepEqual([...k.data], [0.75, 0, 2.25, 0, 0, 5]);
});

for (const interp of ['gauss', 'linear'] as const) {
  test(`delayKernel gradients match finite differences (${interp})`, () => {
    const rng = new Rng(3);
    const O = 3, I = 4, K = 7;
    // Linear interpolation has kinks at integer centres: keep positions off them.
    const pos = rand(rng, O * I, -2.9, 2.9).map((v) => (interp === 'linear' ? Math.floor(v) + 0.2 + 0.6 * (v - Math.floor(v)) : v));
    const w = tensor(rand(rng, O * I), [O, I], { backend: ts64, requiresGrad: true });
    const p = tensor(pos, [O, I], { backend: ts64, requiresGrad: true });
    const r = gradcheck(([a, b]) => delayKernel(a!, b!, { K, interp: DELAY_INTERP[interp], sigma: 1.3 }), [w, p], { eps: 1e-6 });
    assert.ok(r.ok, r.worst);
  });
}

test('delayConv: K shifted GEMMs equal the direct causal convolution, with a tail', () => {
  const rng = new Rng(5);
  const T = 9, B = 3, I = 5, O = 4, K = 5;
  for (const name of backendNames()) {
    const be = getBackendByName(name);
    const x = tensor(rand(rng, T * B * I), [T, B, I], { backend: be });
    const kern = tensor(rand(rng, K * O * I), [K, O, I], { backend: be });
    for (const tail of [0, 2]) {
      const y = delayConv(x, kern, tail);
      const ref = delayConvExact(x, kern, tail);
      assert.deepEqual(y.shape, [T + tail, B, O]);
      assertClose(y.data, ref.data, be.dtype === 'float64' ? 1e-12 : 2e-5, 0, `${name} tail ${tail}`);
    }
  }
});

test('delayConv gradients (input and kernel) match finite differences', () => {
  const rng = new Rng(6);
  const T = 6, B = 2, I = 3, O = 2, K = 3;
  const x = tensor(rand(rng, T * B * I), [T, B, I], { backend: ts64, requiresGrad: true });
  const kern = tensor(rand(rng, K * O * I), [K, O, I], { backend: ts64, requiresGrad: true });
  const r = gradcheck(([a, b]) => delayConv(a!, b!, 1), [x, kern]);
  assert.ok(r.ok, r.worst);
});

test('DelayedLinear end to end: weight and position gradients through kernel and convolution', () => {
  const rng = new Rng(8);
  withBackend(ts64, () => {
    const layer = new DelayedLinear(3, 2, new Rng(1), { maxDelay: 4, sigmaInit: 1 });
    const x = tensor(rand(rng, 6 * 2 * 3), [6, 2, 3], { backend: ts64 });
    const r = gradcheck(
      ([w, p]) => {
        layer.resetState();
        layer.weight = w!;
        layer.positions = p!;
        return layer.forward(x);
      },
      [layer.weight, layer.positions],
    );
    assert.ok(r.ok, r.worst);
  });
});

test('a fixed delay shifts its input by exactly that many steps', () => {
  withBackend('ts', () => {
    // One output, three inputs with delays 0, 2, 4; weight 1 each.
    const layer = new DelayedLinear(3, 1, new Rng(1), { maxDelay: 4, mode: 'fixed', delays: [0, 2, 4] });
    layer.weight.data.set([1, 10, 100]);
    const T = 7;
    const x = new Float32Array(T * 3);
    x[0 * 3 + 0] = 1; // input 0 at t=0 → output at t=0
    x[1 * 3 + 1] = 1; // input 1 at t=1 → t=3
    x[2 * 3 + 2] = 1; // input 2 at t=2 → t=6
    const xs = tensor(x, [T, 1, 3]);
    for (const mode of ['train', 'eval'] as const) {
      layer.resetState();
      if (mode === 'train') layer.train();
      else layer.eval();
      assert.deepEqual([...layer.forward(xs).data], [1, 0, 0, 10, 0, 0, 100], mode);
    }
    assert.deepEqual([...layer.delays()], [0, 2, 4]);
  });
});

for (const name of backendNames()) {
  test(`rounded integer-delay path equals the rounded dense kernel exactly, whole and streamed (${name})`, () => {
    withBackend(getBackendByName(name), () => {
      const rng = new Rng(21);
      const T = 12, B = 3, I = 17, O = 9;
      const layer = new DelayedLinear(I, O, new Rng(2), { maxDelay: 6 });
      layer.eval();
      for (const [label, values] of [
        ['spikes', spikes(rng, T * B * I, 0.2)],
        ['real', rand(rng, T * B * I)],
      ] as const) {
        const x = tensor(values, [T, B, I], { binary: label === 'spikes' });
        layer.resetState();
        const whole = layer.forward(x);
        // The dense one-hot kernel of the rounded positions, evaluated by the definition.
        const probe = new DelayedLinear(I, O, new Rng(2), { maxDelay: 6 });
        probe.weight.data.set(layer.weight.data);
        probe.positions.data.set(layer.positions.data);
        probe.round();
        const ref = delayConvExact(x, probe.kernel());
        assertSame(whole.data, ref.data, `${label}: integer path vs dense one-hot kernel`);
        // Streamed one step at a time, and in uneven chunks.
        for (const chunks of [Array(T).fill(1), [5, 1, 6]]) {
          layer.resetState();
          const parts: number[] = [];
          let t0 = 0;
          for (const c of chunks as number[]) {
            const xc = tensor(values.slice(t0 * B * I, (t0 + c) * B * I), [c, B, I], { binary: label === 'spikes' });
            parts.push(...layer.forward(xc).data);
            t0 += c;
          }
          assertSame(parts, whole.data, `${label}: streamed in chunks ${JSON.stringify(chunks)}`);
        }
        // The training path (GEMMs over the same one-hot kernel) agrees to rounding.
        probe.train();
        assertClose(probe.forward(x).data, whole.data, 1e-4, 1e-5, `${label}: GEMM path`);
      }
    });
  });
}

test('positions are clamped after every update and σ follows the closed-form decay', () => {
  withBackend('ts', () => {
    const layer = new DelayedLinear(2, 2, new Rng(1), { maxDelay: 24 });
    assert.equal(layer.K, 25);
    assert.equal(layer.sigmaInit, 12);
    layer.positions.data.set([-40, 40, 3.5, -12]);
    layer.afterUpdate();
    assert.deepEqual([...layer.positions.data], [-12, 12, 3.5, -12]);
    // The reference multiplies σ by α = (0.23/σ0)^(1/E) after each of the first E epochs.
    const epochs = 20, E = 5, alpha = Math.pow(0.23 / 12, 1 / E);
    let sigma = 12;
    for (let e = 0; e < epochs; e++) {
      layer.beginEpoch(e, epochs);
      assertClose([layer.sigma], [sigma], 1e-12, 1e-12, `epoch ${e}`);
      if (e < E) sigma *= alpha;
    }
    assertClose([layer.sigma], [0.23], 1e-12);
  });
});

test('DelayedLinear: round() makes integer delays and further training keeps them', () => {
  withBackend('ts', () => {
    const layer = new DelayedLinear(4, 3, new Rng(5), { maxDelay: 4 });
    layer.round();
    assert.ok([...layer.positions.data].every((v) => Number.isInteger(v) && Math.abs(v) <= 2));
    const x = tensor(rand(new Rng(1), 5 * 2 * 4), [5, 2, 4], { requiresGrad: true });
    backward(sum(layer.forward(x)));
    assert.equal(layer.positions.grad ?? null, null, 'no position gradient once rounded');
    assert.ok(layer.weight.grad, 'weights still train');
  });
});

test('DelayedLinear: bad input and bad options name the problem', () => {
  withBackend('ts', () => {
    const layer = new DelayedLinear(4, 3, new Rng(5), { maxDelay: 4 });
    assert.throws(() => layer.forward(tensor(new Float32Array(8), [2, 4])), (e: unknown) => e instanceof ShapeError && /time-major sequence \[T, B, 4\]/.test((e as Error).message));
    assert.throws(() => new DelayedLinear(4, 3, new Rng(5), { maxDelay: 4, mode: 'fixed', delays: [9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }), ConfigError);
    assert.throws(() => new DelayedLinear(4, 3, new Rng(5), { maxDelay: -1 }), ConfigError);
    // A weights file with a position out of range: the error names the tensor and the value.
    const sd = layer.stateDict();
    const bad = new Float32Array(12).fill(0);
    bad[7] = 3;
    sd.set('positions', new Tensor(getBackendByName('ts').fromArray(bad), [3, 4]));
    assert.throws(() => layer.loadStateDict(sd, { where: 'w.safetensors' }), (e: unknown) => e instanceof FormatError && /^w.safetensors: loadStateDict: tensor 'positions' holds delay position 3 at index 7, outside/.test((e as Error).message));
  });
});
