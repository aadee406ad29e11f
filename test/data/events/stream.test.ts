import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError } from '../../../src/errors.js';
import { lowerBound, makeDvsEvents, sliceByCount, sliceByTime, timeSpan } from '../../../src/data/events/stream.js';
import { dvs } from './util.js';

test('makeDvsEvents sorts unsorted input stably and validates ranges', () => {
  const s = dvs([[0, 0, 5, 1], [1, 0, 2, 0], [2, 0, 5, 0], [3, 0, 1, 1]]);
  assert.deepEqual(Array.from(s.t), [1, 2, 5, 5]);
  assert.deepEqual(Array.from(s.x), [3, 1, 0, 2]);
  assert.throws(() => dvs([[4, 0, 0, 1]]), ShapeError);
  assert.throws(() => makeDvsEvents({ x: [0], y: [0], t: [0, 1], p: [0], width: 2, height: 2 }), ShapeError);
});

test('sliceByTime and sliceByCount are zero-copy views', () => {
  const s = dvs([[0, 0, 0, 1], [1, 0, 10, 0], [2, 0, 20, 1], [3, 0, 30, 0]]);
  const w = sliceByTime(s, 10, 30);
  assert.deepEqual(Array.from(w.t), [10, 20]);
  assert.equal(w.t.buffer, s.t.buffer, 'shares the buffer');
  assert.equal(w.x.byteOffset, 2, 'x view starts at event 1');
  const chunks = sliceByCount(s, 3);
  assert.deepEqual(chunks.map((c) => c.t.length), [3, 1]);
  assert.equal(chunks[1]!.x[0], 3);
  assert.equal(lowerBound(s.t, 15), 2);
  assert.deepEqual(timeSpan(s), [0, 30]);
});
