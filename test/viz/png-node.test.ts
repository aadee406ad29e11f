import test from 'node:test';
import assert from 'node:assert/strict';
import { svgToPng } from '../../src/viz/png-node.js';
import { trainingCurves } from '../../src/viz/curves.js';
import { pngSize } from './svg-test-utils.js';

test('svgToPng: a valid PNG of the SVG size times the scale', () => {
  const svg = trainingCurves([{ epoch: 1, train_loss: 1, test_loss: 1, train_accuracy: 0.5, test_accuracy: 0.5 }]);
  assert.deepEqual(pngSize(svgToPng(svg, { scale: 1 })), { width: 860, height: 380 });
  const png = svgToPng(svg);
  assert.deepEqual(pngSize(png), { width: 1720, height: 760 });
  assert.throws(() => svgToPng(svg, { scale: 0 }), /scale/);
});
