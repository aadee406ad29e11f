import test from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { latencyEncode } from '../../src/encoding/latency.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { ConfigError } from '../../src/errors.js';

/** Spike step of each input (-1 = none); fails when an input spikes twice. */
function spikeSteps(s: Tensor): number[] {
  const T = s.shape[0]!, n = s.size / T;
  const steps = new Array<number>(n).fill(-1);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < n; i++) {
      const v = s.data[t * n + i]!;
      assert.ok(v === 0 || v === 1);
      if (v === 1) {
        assert.equal(steps[i], -1, `input ${i} spikes twice`);
        steps[i] = t;
      }
    }
  return steps;
}

test('latency linear + normalize: snnTorch example [0.02, 0.5, 1], T=5 → steps 4, 2, 0', () => {
  const s = latencyEncode(tensor([0.02, 0.5, 1], [1, 3]), 5, { linear: true, normalize: true });
  assert.deepEqual([...s.shape], [5, 1, 3]);
  assert.equal(s.binary, true);
  assert.deepEqual(spikeSteps(s), [4, 2, 0]);
});

test('latency log code: hand-computed steps t = tau·ln(x/(x−θ))', () => {
  // tau 5, θ 0.01: 0.1 → 0.527 → 1; 0.02 → 5 ln 2 = 3.47 → 3; 0.011 → 5 ln 11 = 11.99 → past T−1, none;
  // 0 → clamped to θ+ε, 57.6 → none; 1 → 0.050 → 0
  const x = tensor([0.1, 0.02, 0.011, 0, 1], [1, 5]);
  assert.deepEqual(spikeSteps(latencyEncode(x, 10, { tau: 5 })), [1, 3, -1, -1, 0]);
  // normalize: the slowest time tau·ln((θ+ε)/ε) lands on T−1 = 9; 0.02 → 3.47·9/57.56 = 0.54 → 1
  const norm = spikeSteps(latencyEncode(x, 10, { tau: 5, normalize: true }));
  assert.deepEqual(norm, [0, 1, 2, 9, 0]);
  // clip removes the below-threshold input's spike
  assert.deepEqual(spikeSteps(latencyEncode(x, 10, { tau: 5, normalize: true, clip: true })), [0, 1, 2, -1, 0]);
});

test('latency linear rounding is half-to-even, like torch.round', () => {
  // tau 1: x 0.5 → 0.5 → 0; tau 3: x 0.5 → 1.5 → 2; tau 5: x 0.5 → 2.5 → 2
  assert.deepEqual(spikeSteps(latencyEncode(tensor([0.5], [1, 1]), 4, { linear: true, tau: 1 })), [0]);
  assert.deepEqual(spikeSteps(latencyEncode(tensor([0.5], [1, 1]), 4, { linear: true, tau: 3 })), [2]);
  assert.deepEqual(spikeSteps(latencyEncode(tensor([0.5], [1, 1]), 4, { linear: true, tau: 5 })), [2]);
});

test('latency: brighter inputs spike no later; at most one spike each', () => {
  const rng = new Rng(2);
  const xs = Array.from({ length: 200 }, () => rng.random()).sort((a, b) => a - b);
  for (const opts of [{ normalize: true }, { linear: true, normalize: true }, { tau: 3, normalize: true, clip: true }]) {
    const steps = spikeSteps(latencyEncode(tensor(xs, [2, 100]), 25, opts));
    for (let i = 1; i < xs.length; i++) {
      if (steps[i - 1] === -1) continue;
      assert.ok(steps[i]! <= steps[i - 1]!, `${JSON.stringify(opts)}: x ${xs[i]} at ${steps[i]} after x ${xs[i - 1]} at ${steps[i - 1]}`);
    }
  }
  assert.throws(() => latencyEncode(tensor([1], [1, 1]), 5, { threshold: 1 }), ConfigError);
});
