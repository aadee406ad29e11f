import { ConfigError, ShapeError } from '../errors.js';
import type { SizeLimits } from '../io/limits.js';
import { buildModel, type BuiltModel, type LayerConfig } from '../nn/builder.js';
import { Transformer } from '../nn/transformer.js';
import { fmtShape } from '../tensor/shape.js';
import type { Rng } from '../tensor/rng.js';

/**
 * Build a language model from its layer list for a vocabulary of `vocab`
 * tokens: an `embedding` without `vocab` gets it (with one, it must match),
 * and `out: vocab` (the head) becomes the number. The model reads token ids
 * `[T, B, 1]` and must output `[T, B, vocab]` logits.
 */
export function buildLanguageModel(layers: readonly LayerConfig[], vocab: number, context: number, rng: Rng, limits?: Partial<SizeLimits>, where = 'model.layers'): BuiltModel {
  const filled = layers.map((l, i): LayerConfig => {
    const c: LayerConfig = { ...l };
    if (c.type === 'embedding') {
      if (c.vocab === undefined) c.vocab = vocab;
      else if (c.vocab !== vocab) throw new ConfigError(`${where}[${i}] (embedding): vocab ${String(c.vocab)} differs from the tokenizer's ${vocab} characters (leave it out to take the tokenizer's)`);
    }
    for (const [k, v] of Object.entries(c)) if (v === 'vocab') c[k] = vocab;
    return c;
  });
  const built = buildModel(filled, { inputShape: [1], steps: context, timeConstantInput: false, rng, readout: true, where, ...(limits ? { limits } : {}) });
  if (built.outputShape.length !== 1 || built.outputShape[0] !== vocab) {
    throw new ShapeError(`${where}: the model outputs ${fmtShape(built.outputShape)} per token, but a language model over ${vocab} characters must output [${vocab}] logits (end with { type: linear, out: vocab })`);
  }
  // A transformer's learned positions must cover the training windows; said here, before a run folder is made, rather than at the first step.
  for (const [, m] of built.model.namedModules()) {
    if (m instanceof Transformer && m.maxContext < context) {
      const i = layers.findIndex((l) => (l.type === 'transformer' || l.type === 'gpt') && l.max_context === m.maxContext);
      throw new ConfigError(`${where}[${i}] (${String(layers[i]?.type)}): max_context ${m.maxContext} is shorter than the training context ${context} (data.context); raise max_context to at least ${context}`);
    }
  }
  return built;
}
