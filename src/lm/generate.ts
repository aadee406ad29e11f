import type { Backend } from '../backend/backend.js';
import { noGrad } from '../autograd/tape.js';
import { ConfigError } from '../errors.js';
import type { Module } from '../module/module.js';
import { tensor } from '../tensor/create.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { runInStepScope } from '../train/trainer.js';

/*
 * Generation, one token per forward: the model's state (token shifts, WKV
 * sums, LIF membranes; a transformer's key/value cache) carries the context.
 * The prompt runs as one parallel forward (equal to feeding it token by
 * token: test/nn/rwkv.test.ts, test/nn/transformer.test.ts), then each
 * sampled token is fed back. An RWKV step costs the same at any position.
 * The RWKV layers have no context limit in the recurrent form: past the
 * trained context length the state simply keeps going (docs/spikegpt.md says
 * what that means for quality). The transformer's state is a key/value cache
 * whose cost grows with the position; past its max_context its window slides
 * (src/nn/transformer.ts).
 */

export interface SampleOptions {
  /** Softmax temperature; 0 picks the most likely token. */
  temperature: number;
  /** Nucleus sampling: keep the most likely tokens until their probability reaches top_p (1: all). */
  topP: number;
}

export function checkSampleOptions(o: SampleOptions): void {
  if (!(o.temperature >= 0 && Number.isFinite(o.temperature))) throw new ConfigError(`--temperature must be a number ≥ 0, got ${o.temperature}`);
  if (!(o.topP > 0 && o.topP <= 1)) throw new ConfigError(`--top-p must be in (0, 1], got ${o.topP}`);
}

/** Draw a token from one row of logits. */
export function sampleToken(logits: ArrayLike<number>, o: SampleOptions, rng: Rng): number {
  const V = logits.length;
  let best = 0;
  for (let j = 1; j < V; j++) if (logits[j]! > logits[best]!) best = j;
  if (o.temperature === 0) return best;
  const p = new Float64Array(V);
  let s = 0;
  for (let j = 0; j < V; j++) s += p[j] = Math.exp((logits[j]! - logits[best]!) / o.temperature);
  for (let j = 0; j < V; j++) p[j]! /= s;
  const order = Array.from({ length: V }, (_, j) => j).sort((a, b) => p[b]! - p[a]! || a - b);
  let keep = 0, mass = 0;
  while (keep < V && (keep === 0 || mass < o.topP)) mass += p[order[keep++]!]!;
  let r = rng.random() * mass;
  for (let i = 0; i < keep; i++) {
    r -= p[order[i]!]!;
    if (r <= 0) return order[i]!;
  }
  return order[keep - 1]!;
}

export interface GenerateOptions extends SampleOptions {
  tokens: number;
  rng: Rng;
  backend: Backend;
  /** Called with each new token as soon as it is drawn. */
  onToken?: (id: number) => void;
}

export interface GenerateResult {
  ids: number[];
  /** Seconds spent on the prompt's forward, and on the generated tokens (forwards and sampling). */
  promptSeconds: number;
  seconds: number;
  tokensPerSecond: number;
}

function lastRow(logits: Tensor): Float32Array | Float64Array {
  const V = logits.shape[2]!;
  return logits.data.subarray(logits.size - V);
}

/** Continue `prompt` (token ids, at least one) by `tokens` tokens. */
export function generate(model: Module, prompt: Int32Array, o: GenerateOptions): GenerateResult {
  if (prompt.length === 0) throw new ConfigError('generate: the prompt is empty; give at least one character');
  checkSampleOptions(o);
  const was = model.training;
  model.eval();
  model.resetState();
  const keep = (): Tensor[] => model.allPersistentTensors();
  const ids: number[] = [];
  try {
    const t0 = performance.now();
    let row = runInStepScope([o.backend], keep, () => noGrad(() => Float64Array.from(lastRow(model.forward(tensor(prompt, [prompt.length, 1, 1]))))));
    const t1 = performance.now();
    for (let i = 0; i < o.tokens; i++) {
      const id = sampleToken(row, o, o.rng);
      ids.push(id);
      o.onToken?.(id);
      if (i + 1 < o.tokens) row = runInStepScope([o.backend], keep, () => noGrad(() => Float64Array.from(lastRow(model.forward(tensor([id], [1, 1, 1]))))));
    }
    const t2 = performance.now();
    const seconds = (t2 - t1) / 1000;
    return { ids, promptSeconds: (t1 - t0) / 1000, seconds, tokensPerSecond: o.tokens / Math.max(seconds, 1e-9) };
  } finally {
    model.resetState();
    model.train(was);
  }
}
