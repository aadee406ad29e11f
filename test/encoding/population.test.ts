import test from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { populationCentres, populationEncode } from '../../src/encoding/population.js';
import { directEncode } from '../../src/encoding/direct.js';
import { assertClose } from '../helpers.js';
import { ConfigError } from '../../src/errors.js';

test('population centres tile [min, max]; default sigma is half the spacing', () => {
  const c = populationCentres(5, 0, 1);
  assertClose(c.centres, [0, 0.25, 0.5, 0.75, 1], 1e-15);
  assert.equal(c.sigma, 0.125);
  assertClose(populationCentres(3, -2, 2, 0.7).centres, [-2, 0, 2], 1e-15);
  assertClose(populationCentres(1, 0, 1).centres, [0.5], 1e-15);
  assert.throws(() => populationCentres(0, 0, 1), ConfigError);
  assert.throws(() => populationCentres(3, 1, 1), ConfigError);
});

test('population current: Gaussian responses, unit axis last, one time step', () => {
  const x = tensor([0.5, 0, 0.3], [1, 3]);
  const y = populationEncode(x, 10, null, { neurons: 5 });
  assert.deepEqual([...y.shape], [1, 1, 3, 5]);
  assert.equal(y.binary, false);
  const g = (v: number, c: number) => Math.exp(-((v - c) ** 2) / (2 * 0.125 ** 2));
  const want: number[] = [];
  for (const v of [0.5, 0, 0.3]) for (const c of [0, 0.25, 0.5, 0.75, 1]) want.push(g(v, c));
  assertClose(y.data, want, 1e-6);
  // the unit at the input's own value responds fully; neighbours e^{-2}
  assertClose([y.data[2]!, y.data[1]!, y.data[3]!], [1, Math.exp(-2), Math.exp(-2)], 1e-6);
});

test('population spikes: Bernoulli with the response as probability, seeded', () => {
  const x = tensor([0.5], [1, 1]);
  const T = 3000;
  const s = populationEncode(x, T, new Rng(8), { neurons: 3, output: 'spikes' });
  assert.deepEqual([...s.shape], [T, 1, 1, 3]);
  assert.equal(s.binary, true);
  const r = [0, 0, 0];
  for (let t = 0; t < T; t++) for (let j = 0; j < 3; j++) r[j]! += s.data[t * 3 + j]!;
  const p = Math.exp(-0.25 / (2 * 0.25 ** 2)); // centres 0, .5, 1; sigma .25
  assert.equal(r[1], T, 'centre unit always fires');
  for (const j of [0, 2]) assert.ok(Math.abs(r[j]! / T - p) < 0.04, `${r[j]! / T} vs ${p}`);
  const again = populationEncode(x, T, new Rng(8), { neurons: 3, output: 'spikes' });
  assert.deepEqual([...again.data], [...s.data]);
  assert.throws(() => populationEncode(x, 5, null, { output: 'spikes' }), ConfigError);
});

test('direct: [B, ...] → [1, B, ...] sharing storage, not repeated', () => {
  const x = tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [2, 3]);
  const y = directEncode(x);
  assert.deepEqual([...y.shape], [1, 2, 3]);
  assert.equal(y.storage, x.storage);
  assert.equal(y.binary, false);
});
