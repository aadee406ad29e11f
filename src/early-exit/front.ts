import { ConfigError, ShapeError } from '../errors.js';

/*
 * Offline analysis of early exit from full-T runs. The network is causal
 * (its output up to step t does not depend on later inputs) and a sample's
 * rows never mix with other samples', so the class and confidence a sample
 * has after step t are the same whether it runs alone, in a batch, or is
 * stopped there: one run of every sample over all T steps (its
 * trajectories) tells what any threshold would do. That is how a threshold
 * is chosen on the validation split and how the accuracy–latency fronts
 * are drawn; the reported early-exit figures still come from a real run
 * that stops samples (runEarlyExit), and tests hold the two equal.
 */

/** Every sample's confidence and class after every step of a full-T run. */
export interface Trajectories {
  samples: number;
  /** T. */
  steps: number;
  /** [samples · steps], sample-major: sample i after step t + 1 at i·steps + t. */
  confidence: Float64Array;
  prediction: Int32Array;
  labels: Int32Array;
}

/** One operating point: accuracy and mean time steps per sample. */
export interface FrontPoint {
  /** The threshold (stop when confidence ≥ it); Infinity = never early (full T); null for the oracle. */
  threshold: number | null;
  meanSteps: number;
  accuracy: number;
}

/** What a threshold does to every sample of a full-T run. */
export interface SimulatedExit {
  /** Steps each sample runs, 1..T. */
  steps: Int32Array;
  predictions: Int32Array;
  accuracy: number;
  meanSteps: number;
}

function check(tr: Trajectories): void {
  const n = tr.samples * tr.steps;
  if (tr.confidence.length !== n || tr.prediction.length !== n || tr.labels.length !== tr.samples || tr.steps < 1) {
    throw new ShapeError(`Trajectories: ${tr.samples} samples × ${tr.steps} steps need ${n} confidences and classes and ${tr.samples} labels, got ${tr.confidence.length}, ${tr.prediction.length} and ${tr.labels.length}`);
  }
}

/** Each sample stops after the first step whose confidence is ≥ threshold, else after T. */
export function simulateExit(tr: Trajectories, threshold: number): SimulatedExit {
  check(tr);
  const { samples: N, steps: T } = tr;
  const steps = new Int32Array(N), predictions = new Int32Array(N);
  let correct = 0, total = 0;
  for (let i = 0; i < N; i++) {
    let t = 0;
    while (t < T - 1 && !(tr.confidence[i * T + t]! >= threshold)) t++;
    steps[i] = t + 1;
    predictions[i] = tr.prediction[i * T + t]!;
    if (predictions[i] === tr.labels[i]) correct++;
    total += t + 1;
  }
  return { steps, predictions, accuracy: N ? correct / N : NaN, meanSteps: N ? total / N : NaN };
}

/**
 * Accuracy and mean steps at every threshold that changes anything, from
 * Infinity (full T) down to the lowest confidence seen (most samples stop at
 * step 1). A sample's stop step only moves when the threshold passes one of
 * its record confidences (a value above every earlier one), so sorting those
 * events gives the whole curve in O(N·T log(N·T)) instead of one pass per
 * threshold.
 */
export function thresholdSweep(tr: Trajectories): FrontPoint[] {
  check(tr);
  const { samples: N, steps: T } = tr;
  const ok = (i: number, t: number): number => (tr.prediction[i * T + t] === tr.labels[i] ? 1 : 0);
  const evValue: number[] = [], evSample: number[] = [], evStep: number[] = [];
  for (let i = 0; i < N; i++) {
    let best = -Infinity;
    for (let t = 0; t < T - 1; t++) {
      const c = tr.confidence[i * T + t]!;
      if (c > best) {
        best = c;
        evValue.push(c);
        evSample.push(i);
        evStep.push(t);
      }
    }
  }
  const order = Array.from(evValue.keys()).sort((a, b) => evValue[b]! - evValue[a]! || evStep[b]! - evStep[a]!);
  const at = new Int32Array(N).fill(T - 1);
  let correct = 0;
  for (let i = 0; i < N; i++) correct += ok(i, T - 1);
  let total = N * T;
  const points: FrontPoint[] = [{ threshold: Infinity, meanSteps: T, accuracy: correct / N }];
  for (let k = 0; k < order.length; ) {
    const v = evValue[order[k]!]!;
    // Lowering the threshold to v moves every sample with a record ≥ v to its earliest such step; records come in descending order, so each event only moves a sample earlier.
    for (; k < order.length && evValue[order[k]!] === v; k++) {
      const e = order[k]!;
      const i = evSample[e]!, t = evStep[e]!;
      if (t >= at[i]!) continue;
      correct += ok(i, t) - ok(i, at[i]!);
      total += t - at[i]!;
      at[i] = t;
    }
    points.push({ threshold: v, meanSteps: total / N, accuracy: correct / N });
  }
  return points;
}

/**
 * The points no other point beats: fewer (or equal) mean steps with higher
 * accuracy. Sorted by mean steps.
 */
export function paretoFront(points: readonly FrontPoint[]): FrontPoint[] {
  const sorted = [...points].sort((a, b) => a.meanSteps - b.meanSteps || b.accuracy - a.accuracy);
  const out: FrontPoint[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    if (p.accuracy > best) {
      out.push(p);
      best = p.accuracy;
    }
  }
  return out;
}

/**
 * The oracle front: what per-sample stopping could achieve with knowledge
 * of the label. The oracle stops each sample at the earliest step after
 * which its class stays correct to the end (its "settling step"); a sample
 * wrong at T has none and is stopped at step 1 and counted wrong. Keeping
 * the k samples that settle earliest (the others stopped at step 1, wrong)
 * gives accuracy k/N at the least mean latency any stopping rule can have
 * for it under this definition; k = all settled samples is the oracle's
 * full point (full-T accuracy). Points where the curve bends are returned
 * (one per settling step; it is straight in between), sorted by mean steps.
 */
export function oracleFront(tr: Trajectories): FrontPoint[] {
  check(tr);
  const { samples: N, steps: T } = tr;
  const settle = new Int32Array(T + 1); // settle[s]: samples that settle at step s (1..T)
  for (let i = 0; i < N; i++) {
    const y = tr.labels[i]!;
    if (tr.prediction[i * T + T - 1] !== y) continue;
    let t = T - 1;
    while (t > 0 && tr.prediction[i * T + t - 1] === y) t--;
    settle[t + 1]!++;
  }
  const points: FrontPoint[] = [{ threshold: null, meanSteps: 1, accuracy: 0 }];
  let kept = 0, total = N;
  for (let s = 1; s <= T; s++) {
    if (settle[s] === 0) continue;
    kept += settle[s]!;
    total += settle[s]! * (s - 1);
    points.push({ threshold: null, meanSteps: total / N, accuracy: kept / N });
  }
  return points;
}

/** A threshold chosen for a largest accuracy loss, with what it does on the data it was chosen on. */
export interface ThresholdChoice {
  /** Stop when confidence ≥ threshold; null when no threshold meets the target with fewer steps than T (run full T). */
  threshold: number | null;
  /** On the selection data: accuracy and mean steps at that threshold, and at full T. */
  accuracy: number;
  meanSteps: number;
  fullAccuracy: number;
  samples: number;
}

/**
 * The threshold with the fewest mean steps whose accuracy on `tr` is at
 * most `maxLossPoints` percentage points below full-T inference on the same
 * samples (ties: the higher accuracy, then the higher threshold). Counted
 * in samples, so 0.5 points on 5,000 samples allows 25 more errors.
 */
export function chooseThreshold(tr: Trajectories, maxLossPoints: number): ThresholdChoice {
  if (!(Number.isFinite(maxLossPoints) && maxLossPoints >= 0 && maxLossPoints <= 100)) {
    throw new ConfigError(`max accuracy loss: expected percentage points in [0, 100], got ${maxLossPoints}`);
  }
  if (tr.samples === 0) throw new ConfigError('choosing an early-exit threshold: the selection split has no samples');
  const points = thresholdSweep(tr);
  const full = points[0]!;
  const N = tr.samples;
  // Whole samples, with a little slack so that 0.5 % of 5,000 is 25, not 24.999...
  const allowed = Math.floor((maxLossPoints / 100) * N + 1e-9);
  const fullCorrect = Math.round(full.accuracy * N);
  let best = full;
  for (const p of points) {
    if (Math.round(p.accuracy * N) < fullCorrect - allowed) continue;
    if (p.meanSteps < best.meanSteps || (p.meanSteps === best.meanSteps && p.accuracy > best.accuracy)) best = p;
  }
  return {
    threshold: best.threshold === Infinity ? null : best.threshold,
    accuracy: best.accuracy,
    meanSteps: best.meanSteps,
    fullAccuracy: full.accuracy,
    samples: N,
  };
}
