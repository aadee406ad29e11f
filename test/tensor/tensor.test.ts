import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { tensor, zeros } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { linear } from '../../src/ops/linear.js';
import { add, mul, scale, sum, sumLeading, mean } from '../../src/ops/elementwise.js';
import { reshape, repeatTime, stack, sliceLeading } from '../../src/ops/shape.js';
import { backward } from '../../src/autograd/tape.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { assertClose } from '../helpers.js';

const ts = getBackendByName('ts');
const ts64 = getBackendByName('ts64');

function naiveGemm(tA: boolean, tB: boolean, M: number, N: number, K: number, A: ArrayLike<number>, B: ArrayLike<number>): number[] {
  const C = new Array<number>(M * N).fill(0);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (tA ? A[k * M + i]! : A[i * K + k]!) * (tB ? B[j * K + k]! : B[k * N + j]!);
      C[i * N + j] = s;
    }
  return C;
}

test('gemm matches a naive product in every transpose form, odd sizes, alpha and beta', () => {
  const rng = new Rng(1);
  for (const [M, N, K] of [[1, 1, 1], [5, 7, 3], [9, 530, 131], [4, 4, 0], [13, 1, 600]] as const) {
    for (const tA of [false, true])
      for (const tB of [false, true]) {
        const A = Array.from({ length: M * K }, () => rng.uniform(-1, 1));
        const B = Array.from({ length: K * N }, () => rng.uniform(-1, 1));
        const C0 = Array.from({ length: M * N }, () => rng.uniform(-1, 1));
        const C = ts64.fromArray(C0);
        ts64.gemm(tA, tB, M, N, K, 0.5, ts64.fromArray(A), 0, ts64.fromArray(B), 0, 2, C, 0);
        const ref = naiveGemm(tA, tB, M, N, K, A, B).map((v, i) => 0.5 * v + 2 * C0[i]!);
        assertClose(C.data, ref, 1e-10, 1e-10, `gemm ${tA}${tB} ${M}x${N}x${K}`);
      }
  }
});

test('event-driven kernels equal dense GEMM on sparse binary input, including empty input', () => {
  const rng = new Rng(2);
  for (const density of [0, 0.02, 0.3]) {
    const M = 17, N = 23, K = 31;
    const X = Array.from({ length: M * K }, () => (rng.random() < density ? 1 : 0));
    const W = Array.from({ length: N * K }, () => rng.uniform(-1, 1));
    const dY = Array.from({ length: M * N }, () => rng.uniform(-1, 1));
    const Wt = ts64.alloc(K * N);
    ts64.transpose(N, K, ts64.fromArray(W), Wt);
    const Y = ts64.alloc(M * N);
    ts64.eventGemm(M, N, K, ts64.fromArray(X), Wt, 0, Y);
    assertClose(Y.data, naiveGemm(false, true, M, N, K, X, W), 1e-12, 0, 'eventGemm');
    const dW = ts64.alloc(N * K);
    ts64.eventGemmGradW(M, N, K, ts64.fromArray(dY), ts64.fromArray(X), dW);
    assertClose(dW.data, naiveGemm(true, false, N, K, M, dY, X), 1e-12, 0, 'eventGemmGradW');
  }
});

test('linear takes the event path for sparse binary input and agrees with the dense path', () => {
  withBackend(ts, () => {
    const rng = new Rng(3);
    const X = Array.from({ length: 12 * 40 }, () => (rng.random() < 0.05 ? 1 : 0));
    const W = tensor(Array.from({ length: 8 * 40 }, () => rng.uniform(-1, 1)), [8, 40]);
    const b = tensor(Array.from({ length: 8 }, () => rng.uniform(-1, 1)), [8]);
    const stats = { eventDriven: false, density: 1 };
    const ySparse = linear(tensor(X, [4, 3, 40], { binary: true }), W, b, stats);
    assert.equal(stats.eventDriven, true);
    const yDense = linear(tensor(X, [4, 3, 40]), W, b, stats);
    assert.equal(stats.eventDriven, false);
    assert.deepEqual(ySparse.shape, [4, 3, 8]);
    // A single row (streaming) stays dense: the transpose of W would cost more than it saves.
    linear(tensor(X.slice(0, 40), [1, 40], { binary: true }), W, b, stats);
    assert.equal(stats.eventDriven, false);
    assertClose(ySparse.data, yDense.data, 1e-5);
  });
});

test('gradcheck: linear (dense and event-driven), elementwise, reductions, shape ops', () => {
  withBackend(ts64, () => {
    const rng = new Rng(4);
    const x = tensor(Array.from({ length: 3 * 2 * 5 }, () => rng.uniform(-1, 1)), [3, 2, 5], { requiresGrad: true });
    const W = tensor(Array.from({ length: 4 * 5 }, () => rng.uniform(-1, 1)), [4, 5], { requiresGrad: true });
    const b = tensor(Array.from({ length: 4 }, () => rng.uniform(-1, 1)), [4], { requiresGrad: true });
    let r = gradcheck(([x, W, b]) => linear(x!, W!, b!), [x, W, b]);
    assert.ok(r.ok, r.worst);
    const s = tensor(Array.from({ length: 60 }, () => (rng.random() < 0.1 ? 1 : 0)), [6, 2, 5], { binary: true });
    const st = { eventDriven: false, density: 1 };
    r = gradcheck(([W, b]) => linear(s, W!, b!, st), [W, b]);
    assert.ok(st.eventDriven, 'the event-driven path was checked');
    assert.ok(r.ok, r.worst);
    const y = tensor(Array.from({ length: 30 }, () => rng.uniform(-1, 1)), [3, 2, 5], { requiresGrad: true });
    r = gradcheck(([a, c]) => mul(add(a!, scale(c!, 2, 1)), c!), [x, y]);
    assert.ok(r.ok, r.worst);
    r = gradcheck(([a]) => sumLeading(reshape(a!, [3, 10])), [x]);
    assert.ok(r.ok, r.worst);
    r = gradcheck(([a]) => mean(sliceLeading(a!, 1, 3)), [x]);
    assert.ok(r.ok, r.worst);
    const one = tensor([0.5, -1, 2], [1, 3], { requiresGrad: true });
    r = gradcheck(([a]) => mul(repeatTime(a!, 4), repeatTime(a!, 4)), [one]);
    assert.ok(r.ok, r.worst);
    r = gradcheck(([a, c]) => stack([a!, c!, a!]), [one, tensor([1, 2, 3], [1, 3], { requiresGrad: true })]);
    assert.ok(r.ok, r.worst);
  });
});

test('gradcheck detects a wrong gradient', () => {
  withBackend(ts64, () => {
    const x = tensor([0.3, -0.7], [2], { requiresGrad: true });
    // sum(x·x) with x detached on one side has gradient x, not 2x: the check must fail.
    const r = gradcheck(([a]) => mul(a!, a!.detach()), [x]);
    assert.equal(r.ok, false);
  });
});

test('backward accumulates into leaves and shared gradients do not alias', () => {
  withBackend(ts, () => {
    const a = tensor([1, 2], [2], { requiresGrad: true });
    const b = tensor([3, 4], [2], { requiresGrad: true });
    backward(sum(add(a, b)));
    backward(sum(add(a, b)));
    assert.deepEqual(a.grad!.toArray(), [2, 2]);
    assert.notEqual(a.grad!.storage, b.grad!.storage);
    const z = zeros([2]);
    assert.throws(() => backward(sum(z)), /does not require grad/);
  });
});
