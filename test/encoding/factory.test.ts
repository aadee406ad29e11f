import test from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { createEncoder, ENCODER_TYPES } from '../../src/encoding/factory.js';
import { ConfigError, ShapeError } from '../../src/errors.js';

const img = tensor(Array.from({ length: 8 }, (_, i) => i / 8), [2, 4]);

function configError(fn: () => unknown, ...words: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    for (const w of words) assert.ok(e.message.includes(w), `'${w}' in: ${e.message}`);
    return true;
  });
}

test('createEncoder builds every type with the right output shape and flags', () => {
  const T = 6;
  const shapes: Record<string, number[]> = {
    rate: [T, 2, 4], poisson: [T, 2, 4], latency: [T, 2, 4], direct: [1, 2, 4], population: [1, 2, 4, 8],
  };
  for (const type of ENCODER_TYPES) {
    if (type === 'delta' || type === 'frames') continue; // sequence inputs [T,B,...] / [B,T,...]: own tests
    const enc = createEncoder({ type }, T);
    const y = enc.encode(img, new Rng(1));
    assert.deepEqual([...y.shape], shapes[type], type);
    assert.equal(enc.outputSteps, y.shape[0], type);
    assert.equal(y.binary, enc.binary, type);
  }
  const delta = createEncoder({ type: 'delta', threshold: 0.2, off: 'channels' }, 3);
  assert.deepEqual([...delta.encode(tensor(new Array(12).fill(0.5), [3, 2, 2]), new Rng(1)).shape], [3, 2, 4]);
  assert.throws(() => delta.encode(img, new Rng(1)), ShapeError);
  const pop = createEncoder({ type: 'population', neurons: 4, output: 'spikes' }, T);
  assert.equal(pop.outputSteps, T);
  assert.equal(pop.stochastic, true);
  assert.deepEqual([...pop.encode(img, new Rng(1)).shape], [T, 2, 4, 4]);
});

test('createEncoder: stochastic encoders reproduce with the same Rng seed', () => {
  const enc = createEncoder({ type: 'rate', gain: 0.8 }, 10);
  assert.deepEqual([...enc.encode(img, new Rng(5)).data], [...enc.encode(img, new Rng(5)).data]);
  assert.equal(createEncoder({ type: 'latency', normalize: true }, 10).stochastic, false);
});

test('createEncoder: unknown type, unknown option, wrong value type and bad range name the culprit', () => {
  configError(() => createEncoder({ type: 'burst' }, 5), 'burst', 'rate');
  configError(() => createEncoder({ type: 'rate', gian: 2 }, 5), 'gian', 'rate', 'gain');
  configError(() => createEncoder({ type: 'direct', gain: 2 }, 5), 'gain', 'direct');
  configError(() => createEncoder({ type: 'latency', normalize: 'yes' }, 5), 'normalize', 'boolean');
  configError(() => createEncoder({ type: 'delta', off: 'both' }, 5), 'off', 'channels');
  configError(() => createEncoder({ type: 'latency', threshold: 2 }, 5), 'threshold');
  configError(() => createEncoder({ type: 'population', neurons: 0 }, 5), 'neurons');
  configError(() => createEncoder({ type: 'poisson', dt: -1 }, 5), 'dt');
  configError(() => createEncoder({ type: 'rate' }, 0), 'T');
  configError(() => createEncoder({ type: 'rate', steps: 10 }, 5), 'steps');
  configError(() => createEncoder({ type: 'poisson', maxRate: 10 }, 5), 'maxRate', 'max_rate');
  assert.equal(createEncoder({ type: 'poisson', steps: 5, max_rate: 50, dt: 0.002 }, 5).T, 5);
});
