import test from 'node:test';
import assert from 'node:assert/strict';
import { integerStep, linearScale, niceDomain, niceStep, tickLabel, ticks } from '../../src/viz/scale.js';
import { sequential } from '../../src/viz/style.js';
import { esc, num } from '../../src/viz/svg.js';

test('viz scale: nice steps, domains, ticks and labels', () => {
  assert.equal(niceStep(0, 1, 5), 0.2);
  assert.equal(niceStep(0, 10, 4), 2.5);
  assert.equal(niceStep(0, 2304, 5), 500);
  assert.deepEqual(niceDomain(0.3, 9.7, 5), { domain: [0, 10], step: 2 });
  assert.deepEqual(ticks(0, 1, 0.25), [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(tickLabel(0.25, 0.25), '0.25');
  assert.equal(tickLabel(5, 2.5), '5.0');
  assert.equal(tickLabel(1000, 500), '1000');
  assert.equal(integerStep(0, 3, 5), 1);
  const s = linearScale([0, 10], [100, 200]);
  assert.equal(s(0), 100);
  assert.equal(s(5), 150);
  assert.equal(s(10), 200);
});

test('viz style and svg: viridis ends, escaping, rounding', () => {
  assert.equal(sequential(0), '#440154');
  assert.equal(sequential(1), '#fde725');
  assert.equal(sequential(2), '#fde725', 'clamped above');
  assert.equal(sequential(Number.NaN), '#440154');
  assert.equal(esc('a<b & "c"'), 'a&lt;b &amp; &quot;c&quot;');
  assert.equal(num(1.23456), '1.23');
  assert.equal(num(-0.001), '0');
});
