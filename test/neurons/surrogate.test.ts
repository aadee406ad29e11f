import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import {
  arctan, erf, fastSigmoid, piecewiseExponential, piecewiseQuadratic, rectangle, sigmoid, snntorchTriangle, softSign, straightThrough,
  surrogateFromConfig, surrogateGrad, surrogateNames, surrogatePrimitive, triangle, type Surrogate,
} from '../../src/neurons/surrogate.js';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { tensor } from '../../src/tensor/create.js';
import { sum } from '../../src/ops/elementwise.js';
import { backward } from '../../src/autograd/tape.js';
import { LIF } from '../../src/neurons/lif/index.js';
import { fixturesDir } from '../helpers.js';

const dir = fixturesDir('snntorch');

function closeRel(a: number, e: number, rel: number, what: string, abs = 0): void {
  if (!(Math.abs(a - e) <= rel * Math.abs(e) + abs)) assert.fail(`${what}: got ${a}, expected ${e}`);
}

test('surrogates match the snnTorch fixture within 1e-6 relative', { skip: dir ? false : 'fixtures not found' }, () => {
  const fx = JSON.parse(readFileSync(join(dir!, 'surrogate_grads.json'), 'utf8')) as Record<string, { forward: number[]; grad: number[] }> & { x: number[] };
  const cases: [string, Surrogate][] = [
    ['fast_sigmoid_slope25', fastSigmoid({ slope: 25 })],
    ['atan_alpha2', arctan({ alpha: 2 })],
    ['sigmoid_slope25', sigmoid({ slope: 25 })],
    ['straight_through', straightThrough()],
    ['triangular', snntorchTriangle({ threshold: 1 })],
  ];
  for (const [key, s] of cases) {
    for (const dt of ['float64', 'float32']) {
      const c = fx[`${key}_${dt}`]!;
      // The float32 fixture's sigmoid overflows to 0 far from threshold (exp(50)² > float32 max): allow 1e-12 absolute there.
      fx.x.forEach((x, i) => {
        closeRel(surrogateGrad(s, x), c.grad[i]!, 1e-6, `${key} ${dt} g(${x})`, dt === 'float32' ? 1e-12 : 0);
        assert.equal(x > 0 ? 1 : 0, c.forward[i], `${key} forward at ${x}`);
      });
    }
  }
});

test('a Leaky step reproduces dspk/dI of the fixture through the fused op', { skip: dir ? false : 'fixtures not found' }, () => {
  const fx = JSON.parse(readFileSync(join(dir!, 'surrogate_grads.json'), 'utf8')) as Record<string, { I: number[]; forward: number[]; grad: number[] }>;
  const c = fx['leaky_fast_sigmoid25_dspk_dI_float64']!;
  withBackend(getBackendByName('ts64'), () => {
    const I = tensor(c.I, [1, 1, c.I.length], { requiresGrad: true });
    const spk = new LIF(c.I.length, { surrogate: fastSigmoid({ slope: 25 }) }).forward(I);
    assert.deepEqual(Array.from(spk.data), c.forward);
    backward(sum(spk));
    Array.from(I.grad!.data).forEach((g, i) => closeRel(g, c.grad[i]!, 1e-6, `dspk/dI[${i}]`));
  });
});

test('every surrogate follows its formula (semantics.md §2)', () => {
  const xs = [-2, -1, -0.6, -0.5, -0.25, -0.01, 0, 0.01, 0.3, 0.5, 0.7, 1, 1.5, 3];
  const formulas: [Surrogate, (x: number) => number][] = [
    [fastSigmoid({ slope: 10 }), (x) => 1 / (1 + 10 * Math.abs(x)) ** 2],
    [arctan({ alpha: 3 }), (x) => 1.5 / (1 + ((Math.PI * 3 * x) / 2) ** 2)],
    [sigmoid({ slope: 4 }), (x) => { const s = 1 / (1 + Math.exp(-4 * x)); return 4 * s * (1 - s); }],
    [piecewiseQuadratic({ alpha: 2 }), (x) => (Math.abs(x) <= 0.5 ? -4 * Math.abs(x) + 2 : 0)],
    [piecewiseExponential({ alpha: 1.5 }), (x) => 0.75 * Math.exp(-1.5 * Math.abs(x))],
    [softSign({ alpha: 2 }), (x) => 2 / (2 * (1 + 2 * Math.abs(x)) ** 2)],
    [erf({ alpha: 2 }), (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-4 * x * x)],
    [rectangle({ width: 1 }), (x) => (Math.abs(x) < 0.5 ? 1 : 0)],
    [triangle({ height: 2, width: 0.5 }), (x) => 2 * Math.max(0, 1 - Math.abs(x) / 0.5)],
    [straightThrough(), () => 1],
  ];
  assert.equal(formulas.length + 1, surrogateNames().length, 'every surrogate is covered');
  for (const [s, f] of formulas) for (const x of xs) closeRel(surrogateGrad(s, x), f(x), 1e-9, `${s.name}(${x})`, 1e-15);
});

test('each primitive differentiates to its surrogate (the smooth test forward relies on it)', () => {
  const xs = [-1.7, -0.8, -0.3, -0.07, 0.05, 0.2, 0.45, 0.9, 2.2];
  for (const name of surrogateNames()) {
    const s = surrogateFromConfig(name, name === 'straightThrough' ? {} : undefined);
    for (const x of xs) {
      const h = 1e-6;
      const fd = (surrogatePrimitive(s, x + h) - surrogatePrimitive(s, x - h)) / (2 * h);
      assert.ok(Math.abs(fd - surrogateGrad(s, x)) < 1e-6, `${name} at ${x}: P' ${fd} vs g ${surrogateGrad(s, x)}`);
    }
  }
});

test('surrogateFromConfig: aliases, parameters, and ConfigError naming the problem', () => {
  assert.equal(surrogateFromConfig('fast_sigmoid', { slope: 5 }).params.slope, 5);
  assert.equal(surrogateFromConfig('atan').name, 'arctan');
  assert.equal(fastSigmoid().params.slope, 25);
  assert.throws(() => surrogateFromConfig('bogus'), (e: unknown) => e instanceof ConfigError && /bogus/.test(e.message));
  assert.throws(() => surrogateFromConfig('arctan', { slope: 2 }), (e: unknown) => e instanceof ConfigError && /'slope'/.test(e.message) && /alpha/.test(e.message));
  assert.throws(() => fastSigmoid({ slope: -1 }), ConfigError);
});
