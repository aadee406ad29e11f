import test from 'node:test';
import assert from 'node:assert/strict';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { backward } from '../../src/autograd/tape.js';
import { registerNativeBackend } from '../../src/backend/native/load-node.js';
import { backendNames, getBackendByName } from '../../src/backend/registry.js';
import { delayConv, delayConvExact } from '../../src/ops/delay.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { assertClose } from '../helpers.js';
import { checkEventConv, ref } from './delay-cases.js';

registerNativeBackend();

test('reference event-driven delay convolution matches the definition', () => {
  checkEventConv(ref, 'ts');
});

function spikes(rng: Rng, n: number, density: number): number[] {
  return Array.from({ length: n }, () => (rng.random() < density ? 1 : 0));
}

test('delayConv on spikes (event-driven path) equals the dense GEMM path, values and both gradients, on every backend', () => {
  const rng = new Rng(41);
  const T = 12, B = 4, I = 9, O = 11, K = 7, tail = 3;
  const xv = spikes(rng, T * B * I, 0.1);
  const kv = Array.from({ length: K * O * I }, () => rng.uniform(-1, 1));
  const gv = Array.from({ length: (T + tail) * B * O }, () => rng.uniform(-1, 1));
  for (const name of backendNames()) {
    const be = getBackendByName(name);
    assert.ok(be.delayEventDensityThreshold > 0.1, `${name}: 10 % spikes take the event path`);
    const tol = be.dtype === 'float64' ? 1e-12 : 2e-5;
    const run = (xs: number[]): { y: Float32Array | Float64Array; dX: Float32Array | Float64Array; dK: Float32Array | Float64Array } => {
      const x = tensor(xs, [T, B, I], { backend: be, requiresGrad: true });
      const k = tensor(kv, [K, O, I], { backend: be, requiresGrad: true });
      const y = delayConv(x, k, tail);
      backward(y, tensor(gv, [T + tail, B, O], { backend: be }));
      return { y: y.data.slice(), dX: x.grad!.data.slice(), dK: k.grad!.data.slice() };
    };
    const ev = run(xv);
    // The same input with every zero replaced by a tiny value is dense (GEMM path); its extra terms are ~1e-30.
    const dense = run(xv.map((v) => (v === 0 ? 1e-30 : v)));
    assertClose(ev.y, dense.y, tol, 0, `${name} y`);
    assertClose(ev.dX, dense.dX, tol, 0, `${name} dX`);
    assertClose(ev.dK, dense.dK, tol, 0, `${name} dK`);
    const x = tensor(xv, [T, B, I], { backend: be });
    assertClose(ev.y, delayConvExact(x, tensor(kv, [K, O, I], { backend: be }), tail).data, tol, 0, `${name} y vs definition`);
  }
});

test('delayConv gradients on sparse input (event path, non-binary values) match finite differences', () => {
  const ts64 = getBackendByName('ts64');
  const rng = new Rng(42);
  const T = 6, B = 2, I = 4, O = 3, K = 3;
  const xv = spikes(rng, T * B * I, 0.15).map((v) => v * rng.uniform(0.5, 1.5));
  const x = tensor(xv, [T, B, I], { backend: ts64, requiresGrad: true });
  const kern = tensor(Array.from({ length: K * O * I }, () => rng.uniform(-1, 1)), [K, O, I], { backend: ts64, requiresGrad: true });
  const r = gradcheck(([a, b]) => delayConv(a!, b!, 1), [x, kern]);
  assert.ok(r.ok, r.worst);
});
