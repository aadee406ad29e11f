import test from 'node:test';
import assert from 'node:assert/strict';
import { checkThreshold, confidenceRange, confidences, parseRule } from '../../src/early-exit/confidence.js';
import { ConfigError } from '../../src/errors.js';
import { assertClose } from '../helpers.js';

test('confidences: maxprob, margin and negative entropy of softmax(scores), by hand', () => {
  // Row 0: scores (2, 0, 0) → p = (e², 1, 1)/(e² + 2). Row 1: all equal → p = 1/3 each.
  const scores = [2, 0, 0, 5, 5, 5];
  const z = Math.exp(2) + 2;
  const p0 = [Math.exp(2) / z, 1 / z, 1 / z];
  assertClose(confidences('maxprob', scores, 2, 3), [p0[0]!, 1 / 3], 1e-15);
  assertClose(confidences('margin', scores, 2, 3), [p0[0]! - p0[1]!, 0], 1e-15);
  const negH = p0.reduce((a, p) => a + p * Math.log(p), 0);
  assertClose(confidences('entropy', scores, 2, 3), [negH, -Math.log(3)], 1e-15);
  // Large spike counts do not overflow the softmax.
  assertClose(confidences('maxprob', [1000, 0], 1, 2), [1], 0);
  assertClose(confidences('entropy', [1000, 0], 1, 2), [0], 1e-300);
});

test('confidenceRange and checkThreshold: each rule has its own range; outside it is an error naming the flag and range', () => {
  assert.deepEqual(confidenceRange('maxprob', 10), [0.1, 1]);
  assert.deepEqual(confidenceRange('margin', 10), [0, 1]);
  assert.deepEqual(confidenceRange('entropy', 10), [-Math.log(10), 0]);
  assert.equal(checkThreshold('maxprob', 0.9, 10), 0.9);
  assert.equal(checkThreshold('entropy', -0.2, 10), -0.2);
  assert.throws(() => checkThreshold('maxprob', 2, 10, '--confidence'), (e: unknown) => e instanceof ConfigError && /^--confidence: 2 is outside the range of the maxprob confidence .*\[0\.1000, 1\] for 10 classes/.test((e as Error).message));
  assert.throws(() => checkThreshold('entropy', 0.5, 10, '--confidence'), (e: unknown) => e instanceof ConfigError && /\[-2\.3026, 0\]/.test((e as Error).message));
  assert.throws(() => checkThreshold('margin', NaN, 10), ConfigError);
  assert.equal(parseRule('margin'), 'margin');
  assert.throws(() => parseRule('softmax', '--rule'), (e: unknown) => e instanceof ConfigError && /--rule: unknown confidence rule 'softmax' \(known: maxprob, margin, entropy\)/.test((e as Error).message));
});
