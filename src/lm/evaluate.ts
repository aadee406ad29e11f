import { noGrad } from '../autograd/tape.js';
import type { Module } from '../module/module.js';
import { tokenCrossEntropy } from '../ops/lm.js';
import { tensor } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { ShapeError } from '../errors.js';

/*
 * Held-out figures of a language model: bits per character over windows of
 * the trained context, each from a fresh state (the distribution the model
 * was trained on), every character of the evaluated stretch predicted once.
 */

/** Input batches of B windows of T tokens over `tokens` (at most `maxTokens` predictions), with their targets; the last batch may hold fewer windows. */
export function* evalBatches(tokens: Int32Array, T: number, B: number, maxTokens = Infinity): Generator<{ x: Tensor; y: Int32Array; windows: number }> {
  const windows = Math.floor(Math.min(tokens.length - 1, maxTokens) / T);
  if (windows < 1) throw new ShapeError(`evaluation: ${tokens.length} tokens hold no window of ${T} + 1`);
  for (let w0 = 0; w0 < windows; w0 += B) {
    const n = Math.min(B, windows - w0);
    const x = new Int32Array(T * n), y = new Int32Array(T * n);
    for (let b = 0; b < n; b++) {
      const s = (w0 + b) * T;
      for (let t = 0; t < T; t++) {
        x[t * n + b] = tokens[s + t]!;
        y[t * n + b] = tokens[s + t + 1]!;
      }
    }
    yield { x: tensor(x, [T, n, 1]), y, windows: n };
  }
}

/** Mean next-character cross-entropy in bits over the evaluated windows. */
export function evaluateBpc(model: Module, tokens: Int32Array, T: number, B: number, maxTokens = Infinity): number {
  const was = model.training;
  model.eval();
  let nats = 0, n = 0;
  try {
    noGrad(() => {
      for (const b of evalBatches(tokens, T, B, maxTokens)) {
        model.resetState();
        const ce = tokenCrossEntropy(model.forward(b.x), b.y).data[0]!;
        nats += ce * b.y.length;
        n += b.y.length;
      }
    });
  } finally {
    model.resetState();
    model.train(was);
  }
  return nats / n / Math.LN2;
}
