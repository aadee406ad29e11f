import { ConfigError } from '../errors.js';
import { softmaxRows } from '../ops/readout.js';

/*
 * Confidence rules: how sure the network is of its current decision, read
 * from the class scores of the output accumulated so far (the loss's own
 * scores: spike counts, the mean membrane, the mean readout, ...). Each rule
 * works on p = softmax(scores), and a larger value always means more sure,
 * so one comparison `confidence >= threshold` serves every rule.
 */

/** The rules: max softmax probability (Dynamic Confidence), top-1 − top-2 probability, negative entropy (nats). */
export const CONFIDENCE_RULES = ['maxprob', 'margin', 'entropy'] as const;
export type ConfidenceRule = (typeof CONFIDENCE_RULES)[number];

/** What each rule computes, for error messages and docs. */
export const RULE_DOCS: Readonly<Record<ConfidenceRule, string>> = Object.freeze({
  maxprob: 'max_c p_c, the largest softmax probability',
  margin: 'p_(1) − p_(2), the largest probability minus the second largest',
  entropy: 'Σ_c p_c ln p_c, the negative entropy in nats',
});

/** The rule named `name`, or a ConfigError naming `where` and the rules. */
export function parseRule(name: string, where = 'rule'): ConfidenceRule {
  if ((CONFIDENCE_RULES as readonly string[]).includes(name)) return name as ConfidenceRule;
  throw new ConfigError(`${where}: unknown confidence rule '${name}' (known: ${CONFIDENCE_RULES.join(', ')})`);
}

/** The values a rule can take for C classes: maxprob [1/C, 1], margin [0, 1], entropy [−ln C, 0]. */
export function confidenceRange(rule: ConfidenceRule, classes: number): [number, number] {
  if (rule === 'maxprob') return [1 / classes, 1];
  if (rule === 'margin') return [0, 1];
  return [-Math.log(classes), 0];
}

/**
 * A threshold checked against the rule's range for `classes` classes: a
 * threshold outside it would either stop every sample at the first step or
 * never stop one, which is never what was meant.
 */
export function checkThreshold(rule: ConfidenceRule, threshold: number, classes: number, where = 'threshold'): number {
  const [lo, hi] = confidenceRange(rule, classes);
  if (!Number.isFinite(threshold) || threshold < lo || threshold > hi) {
    throw new ConfigError(`${where}: ${threshold} is outside the range of the ${rule} confidence (${RULE_DOCS[rule]}), [${fmt(lo)}, ${fmt(hi)}] for ${classes} classes`);
  }
  return threshold;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(4);
}

/**
 * The confidence of each row of `scores` ([R, C], row-major) under `rule`,
 * in float64. The softmax subtracts each row's maximum first, so large spike
 * counts do not overflow.
 */
export function confidences(rule: ConfidenceRule, scores: ArrayLike<number>, R: number, C: number): Float64Array {
  const p = new Float64Array(R * C);
  softmaxRows(R, C, scores, p);
  const out = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    const o = r * C;
    if (rule === 'maxprob') {
      let m = 0;
      for (let c = 0; c < C; c++) m = Math.max(m, p[o + c]!);
      out[r] = m;
    } else if (rule === 'margin') {
      let a = -Infinity, b = -Infinity;
      for (let c = 0; c < C; c++) {
        const v = p[o + c]!;
        if (v > a) {
          b = a;
          a = v;
        } else if (v > b) b = v;
      }
      out[r] = C === 1 ? 1 : a - b;
    } else {
      let s = 0;
      for (let c = 0; c < C; c++) {
        const v = p[o + c]!;
        if (v > 0) s += v * Math.log(v);
      }
      out[r] = s;
    }
  }
  return out;
}
