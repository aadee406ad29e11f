import { ConfigError } from '../errors.js';
import { Rng } from '../tensor/rng.js';
import { makeDataset, type SplitDataset } from './dataset.js';

/*
 * A task only delays can solve: every class fires the same channels the same
 * number of times; a class is defined only by the relative timing between
 * the channels (each class has its own firing order, with the same spacing).
 * A network whose neurons forget within a step or two and that has no delays
 * sees, at each step, one channel's spike (plus noise) — the same multiset of
 * events for every class — so it cannot beat chance by much; a delay per
 * synapse can line a class's spikes up on one neuron (a coincidence detector).
 */

export interface DelayPatternsSpec {
  classes: number;
  channels: number;
  /** Steps per sample (the dataset's frames). */
  steps: number;
  /** Steps between consecutive channels of a pattern; a pattern spans (channels − 1)·spacing steps. */
  spacing: number;
  /** Each spike moves by a uniform integer in [−jitter, jitter] steps. */
  jitter: number;
  /** Probability of a noise spike per channel and step. */
  noise: number;
  trainSize: number;
  testSize: number;
  /** Fixes the class patterns and every sample. */
  seed: number;
}

export const DELAY_PATTERNS_DEFAULTS: Omit<DelayPatternsSpec, 'steps'> = Object.freeze({
  classes: 4,
  channels: 8,
  spacing: 2,
  jitter: 0,
  noise: 0.01,
  trainSize: 2000,
  testSize: 1000,
  seed: 0,
});

/** The firing order of each class: order[c][ch] is the slot (0..channels−1) at which channel ch fires. Distinct per class. */
export function delayPatternOrders(spec: Pick<DelayPatternsSpec, 'classes' | 'channels' | 'seed'>): number[][] {
  const rng = new Rng(spec.seed * 7919 + 17);
  const seen = new Set<string>();
  const orders: number[][] = [];
  let factorial = 1;
  for (let k = 2; k <= spec.channels; k++) factorial *= k;
  if (spec.classes > factorial) throw new ConfigError(`delay-patterns: ${spec.classes} classes need distinct orders of ${spec.channels} channels (only ${factorial} exist)`);
  while (orders.length < spec.classes) {
    const slots = Array.from({ length: spec.channels }, (_, i) => i);
    rng.shuffle(slots);
    const key = slots.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    orders.push(slots);
  }
  return orders;
}

/** Generate both splits: samples [steps, channels] of 0/1 spikes, classes balanced (sample i has class i mod classes). */
export function makeDelayPatterns(spec: DelayPatternsSpec): SplitDataset {
  const { classes, channels, steps, spacing, jitter, noise } = spec;
  const span = (channels - 1) * spacing;
  if (span + 2 * jitter >= steps) throw new ConfigError(`delay-patterns: a pattern spans ${span} steps (± ${jitter} jitter), which does not fit in ${steps} frames; raise data.frames or lower spacing/channels`);
  if (!(noise >= 0 && noise < 1)) throw new ConfigError(`delay-patterns: noise must be in [0, 1), got ${noise}`);
  const orders = delayPatternOrders(spec);
  const split = (name: 'train' | 'test', n: number, seed: number) => {
    const rng = new Rng(seed);
    const F = steps * channels;
    const images = new Float32Array(n * F);
    const labels = new Uint8Array(n);
    for (let s = 0; s < n; s++) {
      const c = s % classes;
      labels[s] = c;
      const x = images.subarray(s * F, (s + 1) * F);
      if (noise > 0) for (let k = 0; k < F; k++) if (rng.random() < noise) x[k] = 1;
      // The pattern starts anywhere it fits with its jitter.
      const start = jitter + rng.int(steps - span - 2 * jitter);
      for (let ch = 0; ch < channels; ch++) {
        const t = start + orders[c]![ch]! * spacing + (jitter > 0 ? rng.int(2 * jitter + 1) - jitter : 0);
        x[t * channels + ch] = 1;
      }
    }
    return makeDataset({ name: `delay-patterns-${name}`, images, labels, shape: [steps, channels], numClasses: classes });
  };
  return { train: split('train', spec.trainSize, spec.seed * 2 + 1), test: split('test', spec.testSize, spec.seed * 2 + 2) };
}
