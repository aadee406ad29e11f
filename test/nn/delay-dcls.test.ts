import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { DELAY_INTERP } from '../../src/backend/kernels/delay.js';
import { backward } from '../../src/autograd/tape.js';
import { delayConv, delayKernel } from '../../src/ops/delay.js';
import { mul, sum } from '../../src/ops/elementwise.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { DelayedLinear } from '../../src/nn/delay.js';
import { assertClose, repoRoot } from '../helpers.js';

/*
 * Held to the DCLS library itself: test/fixtures/make_dcls_fixture.py ran
 * DCLS's Dcls1d (version 'gauss' while training; 'max' with σ = 0 and rounded
 * positions, the reference's evaluation kernel) on torch 1.13, the way
 * SNN-delays pads and convolves a time-major sequence.
 */

interface Case {
  seed: number;
  T: number;
  B: number;
  I: number;
  O: number;
  K: number;
  sigma: number;
  spikes: boolean;
  dtype: 'float32' | 'float64';
  version: 'gauss' | 'max';
  weight: number[];
  P: number[];
  x: number[];
  r: number[];
  out: number[];
  dx: number[];
  dweight: number[];
  dP: number[];
}

const cases = (JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', 'dcls', 'dcls1d.json'), 'utf8')) as { cases: Case[] }).cases;

/** Tolerances: float64 agrees to rounding; float32 sums in another order than torch's conv1d. */
function tol(c: Case): [number, number] {
  return c.dtype === 'float64' ? [1e-11, 1e-9] : [2e-5, 2e-5];
}

test('the fixture covers gauss and rounded (max, σ = 0) cases in both precisions', () => {
  assert.equal(cases.length, 16);
  assert.deepEqual(new Set(cases.map((c) => `${c.version}/${c.dtype}`)).size, 4);
});

for (const c of cases.filter((k) => k.version === 'gauss')) {
  test(`Gaussian delay layer equals DCLS Dcls1d forward and gradients (${c.dtype}, K=${c.K}, σ=${c.sigma}, ${c.spikes ? 'spikes' : 'real'} input)`, () => {
    const be = getBackendByName(c.dtype === 'float64' ? 'ts64' : 'ts');
    const [atol, rtol] = tol(c);
    const w = tensor(c.weight, [c.O, c.I], { backend: be, requiresGrad: true });
    const p = tensor(c.P, [c.O, c.I], { backend: be, requiresGrad: true });
    const x = tensor(c.x, [c.T, c.B, c.I], { backend: be, requiresGrad: true });
    const kern = delayKernel(w, p, { K: c.K, interp: DELAY_INTERP.gauss, sigma: c.sigma });
    const out = delayConv(x, kern, (c.K - 1) >> 1);
    assert.deepEqual(out.shape, [c.T + ((c.K - 1) >> 1), c.B, c.O]);
    assertClose(out.data, c.out, atol, rtol, 'out');
    backward(sum(mul(out, tensor(c.r, out.shape, { backend: be }))));
    assertClose(x.grad!.data, c.dx, atol, rtol, 'dx');
    assertClose(w.grad!.data, c.dweight, atol, rtol, 'dweight');
    assertClose(p.grad!.data, c.dP, atol * 10, rtol * 10, 'dP');
  });
}

for (const c of cases.filter((k) => k.version === 'max')) {
  test(`rounded delays: the integer-delay path equals DCLS's evaluation kernel (${c.dtype}, K=${c.K}, ${c.spikes ? 'spikes' : 'real'} input)`, () => {
    withBackend(c.dtype === 'float64' ? 'ts64' : 'ts', () => {
      const layer = new DelayedLinear(c.I, c.O, new Rng(0), { maxDelay: c.K - 1, tail: (c.K - 1) >> 1 });
      layer.weight.data.set(c.weight);
      layer.positions.data.set(c.P);
      layer.round();
      layer.eval();
      const out = layer.forward(tensor(c.x, [c.T, c.B, c.I], { binary: c.spikes }));
      // DCLS's 'max' kernel is w/(1 + 1e-7) at the rounded tap: 1.2e-7 relative below ours.
      const [atol, rtol] = tol(c);
      assertClose(out.data, c.out, atol, Math.max(rtol, 3e-7), 'out');
      // The training path of the rounded layer (one-hot taps) gives the same gradients up to that factor.
      layer.train();
      layer.resetState();
      const x = tensor(c.x, [c.T, c.B, c.I], { requiresGrad: true });
      const y = layer.forward(x);
      backward(sum(mul(y, tensor(c.r, y.shape))));
      assertClose(x.grad!.data, c.dx, atol, Math.max(rtol, 3e-7), 'dx');
      assertClose(layer.weight.grad!.data, c.dweight, atol, Math.max(rtol, 3e-7), 'dweight');
    });
  });
}
