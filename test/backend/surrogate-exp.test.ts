import test from 'node:test';
import assert from 'node:assert/strict';
import { SURROGATE_COUNT, sgExp, sgGrad } from '../../src/backend/kernels/surrogates.generated.js';
import { instantiateKernels, type KernelExports } from '../../src/backend/wasm/module.js';
import { Rng } from '../../src/tensor/rng.js';
import { addon, forEachIsa, skipReason } from './native/setup.js';

/*
 * sgExp, the exponential of the surrogate formulas (kernels/exp.mjs), and the
 * surrogate gradients built on it, on every backend: the TypeScript reference,
 * the wasm kernels' scalar and f64x2 code and the native lanes on every
 * instruction set the CPU has must give the same bits. Its accuracy is checked
 * against Math.exp on a dense sweep of the whole range it does not
 * over/underflow on.
 */

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
function bits(x: number): bigint {
  f64[0] = x;
  return u64[0]!;
}

/** The next double above (dir = 1) or below (dir = -1) a finite non-zero x. */
function next(x: number, dir: 1 | -1): number {
  f64[0] = x;
  u64[0] = u64[0]! + BigInt(x > 0 === (dir > 0) ? 1 : -1);
  return f64[0];
}

/** Distance in units in the last place between two finite doubles of the same sign (0 when equal). */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const d = bits(a) - bits(b);
  return Number(d < 0n ? -d : d);
}

/** Arguments: a dense sweep of [-746, 711], dense near 0, the edges of the range and the special values. */
function sweep(): Float64Array {
  const xs: number[] = [];
  const n = 1 << 18;
  for (let i = 0; i <= n; i++) xs.push(-746 + (1457 * i) / n);
  for (let i = -4096; i <= 4096; i++) xs.push(i / 4096, i * 1e-9, i * 2 ** -40);
  const rng = new Rng(7);
  for (let i = 0; i < 20000; i++) xs.push(rng.uniform(-12, 12));
  // k·ln2/2 boundaries (where x·log2 e rounds either way) and the clamps.
  for (let k = -1080; k <= 1030; k += 7) xs.push((k + 0.5) * Math.LN2, next((k + 0.5) * Math.LN2, 1), next((k + 0.5) * Math.LN2, -1));
  xs.push(
    0, -0, 1, -1, 709.782712893384, 709.7827128933841, 709.79, 710, 710.0000001, 800, 1e300, Number.MAX_VALUE, Infinity,
    -708.3964185322641, -708.4, -709, -744, -745.1332191019411, -745.1332191019412, -745.2, -750, -750.1, -1e300, -Number.MAX_VALUE, -Infinity,
    Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** -1022, 1e-300, NaN,
  );
  return Float64Array.from(xs);
}

const XS = sweep();

function tsExp(xs: Float64Array): Float64Array {
  return xs.map((x) => sgExp(x));
}

/** Same bits, NaN for NaN (the payload of a NaN is not specified across engines). */
function assertSameBits(actual: Float64Array, expected: Float64Array, xs: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(e) ? !Number.isNaN(a) : bits(a) !== bits(e)) assert.fail(`${what}: x = ${xs[i]}: got ${a}, TypeScript ${e}`);
  }
}

test('sgExp: within 1 ulp of Math.exp over the whole range, exact special values', (t) => {
  let worst = 0, at = 0, equal = 0, finite = 0;
  for (const x of XS) {
    const y = sgExp(x), m = Math.exp(x);
    if (Number.isNaN(x)) {
      assert.ok(Number.isNaN(y), 'sgExp(NaN)');
      continue;
    }
    if (!Number.isFinite(m) || m === 0) {
      assert.equal(y, m, `sgExp(${x}) should be ${m}`);
      continue;
    }
    finite++;
    const d = ulps(y, m);
    if (d === 0) equal++;
    if (d > worst) [worst, at] = [d, x];
  }
  t.diagnostic(`${finite} finite results: ${equal} equal to Math.exp, the others 1 ulp apart (largest ${worst} ulp, at x = ${at})`);
  assert.ok(worst <= 1, `largest difference from Math.exp: ${worst} ulp at x = ${at}`);
  // Both are below 1 ulp from e^x and round differently now and then (V8's is fdlibm's).
  assert.ok(equal / finite > 0.9, `only ${equal} of ${finite} equal to Math.exp`);
  for (const [x, want] of [[0, 1], [-0, 1], [Infinity, Infinity], [-Infinity, 0], [1e300, Infinity], [-1e300, 0], [709.79, Infinity], [-745.2, 0]] as const) {
    assert.equal(sgExp(x), want, `sgExp(${x})`);
  }
  assert.equal(sgExp(709.782712893384), 1.7976931348622732e308, 'the largest finite result');
  assert.equal(sgExp(-745.1332191019411), Number.MIN_VALUE, 'the smallest denormal');
  // Gradual underflow: every denormal result within one denormal step of Math.exp.
  for (let x = -745; x < -708.4; x += 0.01) assert.ok(Math.abs(sgExp(x) - Math.exp(x)) <= Number.MIN_VALUE, `sgExp(${x}) in the denormals`);
});

/** Runs the wasm test hook over xs (scalar or f64x2 code) on one kernel instance. */
function wasmEval(k: KernelExports, sid: number, p0: number, p1: number, xs: Float64Array, simd: boolean): Float64Array {
  const base = (k.heapBase() + 15) & ~15;
  const need = base + 16 * xs.length;
  const have = k.memory.buffer.byteLength;
  if (need > have) k.memory.grow(Math.ceil((need - have) / 65536));
  new Float64Array(k.memory.buffer, base, xs.length).set(xs);
  const out = base + 8 * xs.length;
  k.surrogateEval(sid, p0, p1, base, out, xs.length, simd ? 1 : 0);
  return new Float64Array(k.memory.buffer, out, xs.length).slice();
}

test('sgExp: wasm scalar and f64x2 code equal the TypeScript reference bit for bit', () => {
  const k = instantiateKernels();
  const want = tsExp(XS);
  for (const simd of [false, true]) assertSameBits(wasmEval(k, -1, 0, 0, XS, simd), want, XS, `wasm sgExp (${simd ? 'f64x2' : 'scalar'})`);
  // An odd count: the last one goes through the scalar code after the pairs.
  const odd = XS.subarray(0, 1001);
  assertSameBits(wasmEval(k, -1, 0, 0, odd, true), tsExp(odd), odd, 'wasm sgExp (odd count)');
});

test('sgExp: native lanes equal the TypeScript reference bit for bit on every instruction set', { skip: skipReason }, () => {
  const want = tsExp(XS);
  forEachIsa((isa) => {
    for (const n of [XS.length, 13, 1]) {
      const xs = XS.subarray(XS.length - n), out = new Float64Array(n);
      addon().surrogateEval(-1, 0, 0, xs, out);
      assertSameBits(out, want.subarray(XS.length - n), xs, `native sgExp (${isa}, n = ${n})`);
    }
  });
});

/** Surrogate arguments x = v − θ: a dense sweep of [-6, 6], the kinks of the piecewise ones, and the special values. */
function gradArgs(): Float64Array {
  const xs: number[] = [];
  for (let i = -6000; i <= 6000; i++) xs.push(i / 1000);
  for (const c of [0.5, 0.75, 1, 1.25, 1.5, 2 / 3, 0.4, 1 / 2.5]) xs.push(c, -c, next(c, 1), next(c, -1), -next(c, 1));
  xs.push(-0, 1e-300, -1e-300, 30, -30, 400, -400, 1e10, -1e10, Infinity, -Infinity, NaN);
  return Float64Array.from(xs);
}

// [id, p0, p1]: every surrogate, exp-based ones with SpikingJelly's and the table's defaults.
const GRADS: [number, number, number][] = [
  [0, 25, 0], [1, 2, 0], [2, 4, 0], [2, 25, 0], [3, 1, 0], [4, 1, 0], [4, 3.5, 0], [5, 2, 0], [6, 2, 0], [6, 0.7, 0], [7, 1, 0], [8, 1, 0.8], [9, 0, 0], [10, 1, 0],
];

test('surrogate gradients: wasm lanes and native lanes equal sgGrad bit for bit, every surrogate', () => {
  assert.deepEqual([...new Set(GRADS.map((g) => g[0]))], Array.from({ length: SURROGATE_COUNT }, (_, i) => i), 'GRADS covers every surrogate');
  const xs = gradArgs();
  const k = instantiateKernels();
  for (const [id, p0, p1] of GRADS) {
    const want = xs.map((x) => sgGrad(id, p0, p1, x));
    for (const simd of [false, true]) assertSameBits(wasmEval(k, id, p0, p1, xs, simd), want, xs, `wasm surrogate ${id} (${simd ? 'f64x2' : 'scalar'})`);
    if (skipReason) continue;
    forEachIsa((isa) => {
      const out = new Float64Array(xs.length);
      addon().surrogateEval(id, p0, p1, xs, out);
      assertSameBits(out, want, xs, `native surrogate ${id} (${isa})`);
    });
  }
});

test('native surrogateEval rejects a bad id and a wrong array type, naming them', { skip: skipReason }, () => {
  const x = new Float64Array(4), out = new Float64Array(4);
  assert.throws(() => addon().surrogateEval(SURROGATE_COUNT, 0, 0, x, out), /surrogateEval: sid must be -1 \(exp\) or a surrogate id below 11/);
  assert.throws(() => addon().surrogateEval(0.5, 0, 0, x, out), /sid must be/);
  assert.throws(() => addon().surrogateEval(0, 0, 0, new Float32Array(4) as unknown as Float64Array, out), /surrogateEval: x has the wrong element type/);
  assert.throws(() => addon().surrogateEval(0, 0, 0, x, new Float64Array(3)), /out holds 3 elements, needs 4/);
});
