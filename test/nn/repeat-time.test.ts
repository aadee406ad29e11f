import test from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { RepeatTime } from '../../src/nn/repeat-time.js';
import { tensor } from '../../src/tensor/create.js';

test('RepeatTime: repeats a time-constant input to its T; setSteps changes T (timestep schedules) and checks it', () => {
  const r = new RepeatTime(3);
  const x = tensor([1, 2], [1, 1, 2]);
  assert.deepEqual(r.forward(x).shape, [3, 1, 2]);
  r.setSteps(1);
  assert.equal(r.steps, 1);
  assert.equal(r.forward(x), x);
  r.setSteps(5);
  assert.deepEqual(r.forward(x).toArray(), [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
  assert.deepEqual(r.describe(), { steps: 5 });
  assert.throws(() => r.setSteps(0), ConfigError);
  assert.throws(() => new RepeatTime(2.5), ConfigError);
});
