import test from 'node:test';
import assert from 'node:assert/strict';
import { instantiateKernels, type KernelExports } from '../../../src/backend/wasm/module.js';
import { Rng } from '../../../src/tensor/rng.js';

/*
 * The SIMD LIF backward (lifBackwardLeaky) against the scalar kernel
 * (lifBackwardPlain with per-layer strides) called directly on one kernel
 * instance, comparing the f64 scratch results — the v carry dL/dv0 and the
 * dβ/dθ sums — before the wrappers round them to float32. Rounding to f32
 * hides almost every difference in the order of double operations, so this is
 * where "same operations, same order, same summation order" is actually
 * checked, for every reset mode, surrogate (exp-based ones included: both
 * kernels use the same Math.exp), detach, input leak, vReset, both firing
 * rules (h > θ and h ≥ θ) with inputs on a lattice of eighths, where the
 * membrane lands exactly on θ, and B·F odd (scalar tail) and even.
 */

class Arena {
  private top: number;
  constructor(private readonly k: KernelExports) {
    this.top = (k.heapBase() + 15) & ~15;
  }

  /** A 16-byte-aligned block of `bytes`, growing memory as needed. */
  take(bytes: number): number {
    const p = this.top;
    this.top = (p + bytes + 15) & ~15;
    const have = this.k.memory.buffer.byteLength;
    if (this.top > have) this.k.memory.grow(Math.ceil((this.top - have) / 65536));
    return p;
  }

  f32(values: number[]): number {
    const p = this.take(values.length * 4);
    new Float32Array(this.k.memory.buffer, p, values.length).set(values);
    return p;
  }

  f64(p: number, n: number): number[] {
    return Array.from(new Float64Array(this.k.memory.buffer, p, n));
  }

  f32At(p: number, n: number): number[] {
    return Array.from(new Float32Array(this.k.memory.buffer, p, n));
  }
}

interface KernelCase {
  T: number; N: number; mode: number; detach: number; leak: number; vr: number; sid: number; p0: number; p1: number; gM: boolean;
  /** 1: spike at h ≥ θ. */
  fire: number;
  /** Inputs and state in eighths, β = ½ and θ = ½ or 1: ties h = θ (and v = θ for R) are common. */
  lattice: boolean;
}

function kernelCases(): KernelCase[] {
  const out: KernelCase[] = [];
  let i = 0;
  for (const [T, N] of [[6, 9], [4, 16], [1, 1], [3, 2], [5, 7]] as const) {
    for (let sid = 0; sid <= 10; sid++) {
      for (let mode = 0; mode <= 3; mode++) {
        i++;
        out.push({
          T, N, mode, detach: i % 2, leak: i % 3 === 0 ? 1 : 0, vr: i % 5 === 1 ? -0.2 : 0,
          sid, p0: sid === 8 ? 1.5 : 2.5, p1: 0.7, gM: i % 4 < 2, fire: (i >> 1) % 2, lattice: i % 4 !== 1,
        });
      }
    }
  }
  return out;
}

test('lifBackwardLeaky (SIMD) equals lifBackwardPlain in its f64 carries and parameter sums, bit for bit', () => {
  const k = instantiateKernels();
  const a = new Arena(k);
  const rng = new Rng(42);
  for (const c of kernelCases()) {
    const { T, N } = c;
    const TN = T * N;
    const what = JSON.stringify(c);
    const u = (n: number, lo: number, hi: number) =>
      Array.from({ length: n }, () => (c.lattice ? Math.round(rng.uniform(lo, hi) * 8) / 8 : rng.uniform(lo, hi)));
    const be = c.lattice ? 0.5 : Math.fround(rng.uniform(0.5, 0.95));
    const th = c.lattice ? (c.T % 2 === 0 ? 0.5 : 1) : Math.fround(rng.uniform(0.6, 1.2));
    const x = a.f32(u(TN, -0.5, 1.5)), v0 = a.f32(u(N, -0.5, 1.5));
    const beta = a.f32([be]), thr = a.f32([th]);
    const h = a.take(TN * 4), spk = a.take(TN * 4), mask = a.take(TN);
    k.lifForwardPlain(T, 1, N, c.mode, 1, c.leak, c.vr, 0, 0, c.fire, x, v0, beta, thr, h, 0, spk, mask);
    const gS = a.f32(u(TN, -1, 1)), gM = c.gM ? a.f32(u(TN, -1, 1)) : 0;
    const run = (simd: boolean) => {
      const dx = a.take(TN * 4), dvC = a.take(N * 8), dB = a.take(8), dT = a.take(8);
      if (simd) k.lifBackwardLeaky(T, N, c.mode, c.detach, c.leak, c.vr, be, th, c.fire, c.sid, c.p0, c.p1, x, v0, h, h, gS, gM, dx, dvC, dB, dT);
      else k.lifBackwardPlain(T, 1, N, c.mode, 1, c.detach, c.leak, c.vr, 0, 0, c.fire, c.sid, c.p0, c.p1, x, v0, beta, thr, h, 0, gS, gM, dx, dvC, dB, dT);
      return { dx: a.f32At(dx, TN), dv: a.f64(dvC, N), dB: a.f64(dB, 1), dT: a.f64(dT, 1) };
    };
    const s = run(true), r = run(false);
    assert.deepEqual(s.dx, r.dx, `dx ${what}`);
    assert.deepEqual(s.dv, r.dv, `dv0 ${what}`);
    assert.deepEqual(s.dB, r.dB, `dBeta ${what}`);
    assert.deepEqual(s.dT, r.dT, `dThreshold ${what}`);
  }
});

test('lifBackwardLeaky without parameter sums gives the same carries and dx', () => {
  const k = instantiateKernels();
  const a = new Arena(k);
  const rng = new Rng(7);
  const T = 5, N = 13, TN = T * N;
  const u = (n: number) => Array.from({ length: n }, () => rng.uniform(-0.5, 1.5));
  const x = a.f32(u(TN)), v0 = a.f32(u(N)), beta = a.f32([0.9]), thr = a.f32([1]);
  const h = a.take(TN * 4), spk = a.take(TN * 4), mask = a.take(TN);
  k.lifForwardPlain(T, 1, N, 1, 1, 0, 0, 0, 0, 0, x, v0, beta, thr, h, 0, spk, mask);
  const gS = a.f32(u(TN));
  const run = (sums: boolean) => {
    const dx = a.take(TN * 4), dvC = a.take(N * 8);
    // The benchmark's configuration: subtract, detached, fast sigmoid (the specialized loop when sums are off).
    k.lifBackwardLeaky(T, N, 1, 1, 0, 0, Math.fround(0.9), 1, 0, 0, 25, 0, x, v0, h, h, gS, 0, dx, dvC, sums ? a.take(8) : 0, sums ? a.take(8) : 0);
    return [a.f32At(dx, TN), a.f64(dvC, N)];
  };
  assert.deepEqual(run(false), run(true));
});
