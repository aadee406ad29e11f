import test from 'node:test';
import assert from 'node:assert/strict';
import { exitFront } from '../../src/viz/early-exit.js';
import { ShapeError } from '../../src/errors.js';
import { centre, marks, n } from './svg-test-utils.js';

const close = (a: number, b: number, tol = 0.02): void => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

// Panel of the default 720 × 440 figure: x 80..510 over steps [1, T]; y 64..376 over the accuracy range.
const X0 = 80, W = 430, Y0 = 64, H = 312;

test('exitFront: the rule front as steps, the oracle cut at the axis, full T and the chosen threshold where they belong', () => {
  const svg = exitFront({
    steps: 8,
    thresholds: [
      { meanSteps: 3, accuracy: 0.88 },
      { meanSteps: 1, accuracy: 0.8 },
      { meanSteps: 5, accuracy: 0.9 },
    ],
    oracle: [
      { meanSteps: 1, accuracy: 0 },
      { meanSteps: 1.5, accuracy: 0.9 },
    ],
    full: { meanSteps: 8, accuracy: 0.9 },
    chosen: { meanSteps: 3, accuracy: 0.88, label: 'maxprob ≥ 0.9' },
    rule: 'maxprob',
  });
  // Accuracy axis: lowest shown 80 %, highest 90 %, padded by max(0.5, 4 % of the span) = 0.5.
  const lo = 79.5, hi = 90.5;
  const px = (s: number) => X0 + (W * (s - 1)) / 7;
  const py = (a: number) => Y0 + H - (H * (100 * a - lo)) / (hi - lo);
  const [rule] = marks(svg, 'rule');
  const pts = rule!.attrs.points!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
  // Sorted by steps, a step up at each point, then flat to T.
  const want: [number, number][] = [[px(1), py(0.8)], [px(3), py(0.8)], [px(3), py(0.88)], [px(5), py(0.88)], [px(5), py(0.9)], [px(8), py(0.9)]];
  assert.equal(pts.length, want.length);
  pts.forEach(([x, y], i) => {
    close(x, want[i]![0]);
    close(y, want[i]![1]);
  });
  // The oracle enters at the bottom of the panel, on its segment from (1, 0 %) to (1.5, 90 %).
  const [oracle] = marks(svg, 'oracle');
  const [[ox, oy]] = oracle!.attrs.points!.split(' ').map((p) => p.split(',').map(Number));
  close(oy!, Y0 + H);
  close(ox!, px(1 + (0.5 * 79.5) / 90));
  const [full] = marks(svg, 'full');
  const [fx, fy] = centre(full!);
  close(fx, px(8));
  close(fy, py(0.9));
  const [chosen] = marks(svg, 'chosen');
  close(n(chosen!, 'cx'), px(3));
  close(n(chosen!, 'cy'), py(0.88));
  assert.match(svg, /maxprob ≥ 0\.9: 88\.00% at 3\.00 steps/);
  assert.match(svg, /maxprob front/);
});

test('exitFront: no points or a bad T is an error', () => {
  const full = { meanSteps: 4, accuracy: 0.5 };
  assert.throws(() => exitFront({ steps: 4, thresholds: [], oracle: [], full }), ShapeError);
  assert.throws(() => exitFront({ steps: 0, thresholds: [full], oracle: [], full }), ShapeError);
});
