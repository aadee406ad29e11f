import assert from 'node:assert/strict';
import type { Backend } from '../../src/backend/backend.js';
import { noGrad } from '../../src/autograd/tape.js';
import type { Module } from '../../src/module/module.js';
import type { StreamingPlan } from '../../src/stream/plan.js';
import { tensor } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** Identical numbers: === element by element (NaN equals NaN), with the first difference named. */
export function assertIdentical(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (a !== e && !(Number.isNaN(a) && Number.isNaN(e))) assert.fail(`${what}[${i}]: got ${a}, expected ${e} (must be identical)`);
  }
}

/** The model's fused forward over a whole sequence, in eval mode, from and back to the initial state. */
export function fusedForward(model: Module, x: Tensor): number[] {
  return noGrad(() => {
    model.eval();
    model.resetState();
    const y = model.forward(x).toArray();
    model.resetState();
    return y;
  });
}

/**
 * Steps [T, B, ...] values through a plan, one [B, ...] tensor per step
 * (flagged binary when the sequence is), and returns the outputs end to end.
 */
export function streamSequence(plan: StreamingPlan, be: Backend, values: readonly number[], T: number, binary: boolean): number[] {
  const per = values.length / T;
  const out: number[] = [];
  for (let t = 0; t < T; t++) {
    const x = tensor(values.slice(t * per, (t + 1) * per), [plan.batch, ...plan.inputShape], { backend: be, binary });
    out.push(...plan.step(x).toArray());
  }
  return out;
}
