import { ConfigError, FormatError, ShapeError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';

/*
 * Character-level text for language models (docs/spikegpt.md): a tokenizer
 * built from the corpus (one token per Unicode code point, sorted by code
 * point so the same corpus always gives the same ids), contiguous
 * train / validation / test splits, and context windows, time-major as every
 * sequence in spikeflow: `[T, B]` with T the tokens of a window.
 * Browser-safe; reading files is text-node.ts.
 */

/** What a tokenizer file (tokenizer.json in a run folder) holds. */
export interface CharTokenizerJson {
  type: 'char';
  /** The vocabulary in id order, one code point per entry. */
  chars: string[];
}

/** A character-level tokenizer: the sorted set of the corpus's code points. */
export class CharTokenizer {
  private readonly index: Map<string, number>;
  private constructor(readonly chars: readonly string[]) {
    this.index = new Map(chars.map((c, i) => [c, i]));
  }

  /** Every code point of `text`, sorted by code point. An empty text has no vocabulary: an error naming `where`. */
  static fromText(text: string, where = 'corpus'): CharTokenizer {
    const set = new Set<string>();
    for (const ch of text) set.add(ch);
    if (set.size === 0) throw new ConfigError(`${where}: the text is empty, so there is no vocabulary to build`);
    return new CharTokenizer([...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  /** The tokenizer of a tokenizer file, checked (one code point per entry, no repeats). */
  static fromJson(json: unknown, where = 'tokenizer'): CharTokenizer {
    const j = json as Partial<CharTokenizerJson> | null;
    if (!j || typeof j !== 'object' || j.type !== 'char' || !Array.isArray(j.chars) || j.chars.length === 0) {
      throw new FormatError(`${where}: expected { "type": "char", "chars": [...] } with at least one character`);
    }
    const seen = new Set<string>();
    j.chars.forEach((c, i) => {
      if (typeof c !== 'string' || [...c].length !== 1) throw new FormatError(`${where}: chars[${i}] must be one character, got ${JSON.stringify(c)}`);
      if (seen.has(c)) throw new FormatError(`${where}: chars[${i}] ${JSON.stringify(c)} appears twice`);
      seen.add(c);
    });
    return new CharTokenizer(j.chars);
  }

  toJson(): CharTokenizerJson {
    return { type: 'char', chars: [...this.chars] };
  }

  get size(): number {
    return this.chars.length;
  }

  /** Ids of `text`; a character outside the vocabulary is a ConfigError naming it, its position and `where`. */
  encode(text: string, where = 'text'): Int32Array {
    const out: number[] = [];
    let pos = 0;
    for (const ch of text) {
      const id = this.index.get(ch);
      if (id === undefined) {
        const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
        throw new ConfigError(`${where}: character ${JSON.stringify(ch)} (U+${code}) at position ${pos} is not in the model's vocabulary of ${this.size} characters`);
      }
      out.push(id);
      pos++;
    }
    return Int32Array.from(out);
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]!];
      if (c === undefined) throw new ShapeError(`decode: id ${ids[i]} is outside the vocabulary [0, ${this.size})`);
      s += c;
    }
    return s;
  }
}

export interface TextSplits {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/**
 * Contiguous splits of a token stream: the first `train` fraction, then
 * `validation`, then the rest as test (so the test text is a passage the
 * model never saw, not a scatter of windows from inside the training text).
 * Each split must hold at least `minTokens` tokens.
 */
export function splitTokens(ids: Int32Array, fractions: readonly [number, number, number], minTokens: number, where = 'data.splits'): TextSplits {
  const [a, b, c] = fractions;
  const total = a + b + c;
  if (!(a > 0 && b > 0 && c > 0) || Math.abs(total - 1) > 1e-9) throw new ConfigError(`${where}: expected three positive fractions summing to 1 (train, validation, test), got ${JSON.stringify(fractions)}`);
  const n = ids.length;
  const nTrain = Math.floor(n * a);
  const nVal = Math.floor(n * b);
  const s = { train: ids.subarray(0, nTrain), validation: ids.subarray(nTrain, nTrain + nVal), test: ids.subarray(nTrain + nVal) };
  for (const [name, part] of Object.entries(s)) {
    if (part.length < minTokens) throw new ConfigError(`${where}: the ${name} split has ${part.length} tokens of ${n}; it needs at least ${minTokens} (context + 1): a longer text or a shorter context`);
  }
  return s;
}

/** A batch of windows, time-major: inputs x[t·B + b] and their next tokens y[t·B + b]. */
export interface TokenBatch {
  T: number;
  B: number;
  x: Int32Array;
  y: Int32Array;
}

function windowBatch(tokens: Int32Array, starts: readonly number[], T: number): TokenBatch {
  const B = starts.length;
  const x = new Int32Array(T * B), y = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    const s = starts[b]!;
    for (let t = 0; t < T; t++) {
      x[t * B + b] = tokens[s + t]!;
      y[t * B + b] = tokens[s + t + 1]!;
    }
  }
  return { T, B, x, y };
}

/** B windows of T tokens at uniformly random starts (training batches). */
export function randomWindows(tokens: Int32Array, T: number, B: number, rng: Rng): TokenBatch {
  const span = tokens.length - T - 1;
  if (span < 0) throw new ShapeError(`randomWindows: ${tokens.length} tokens cannot hold a window of ${T} + 1`);
  return windowBatch(tokens, Array.from({ length: B }, () => rng.int(span + 1)), T);
}

/**
 * Every prediction of a split exactly once: B streams over consecutive
 * stretches of the text, cut into windows of T tokens; the model's state
 * continues from one window of a stream to the next (so each character is
 * predicted with the whole stretch before it as context, as in generation),
 * and the last windows may be shorter. Yields the windows in order with
 * `first` set on each stream's first one.
 */
export function* streamWindows(tokens: Int32Array, T: number, B: number, maxTokens = Infinity): Generator<TokenBatch & { first: boolean }> {
  const usable = Math.min(tokens.length - 1, maxTokens);
  const per = Math.floor(usable / B);
  if (per < 1) throw new ShapeError(`streamWindows: ${tokens.length} tokens cannot feed ${B} streams`);
  for (let t0 = 0; t0 < per; t0 += T) {
    const len = Math.min(T, per - t0);
    const starts = Array.from({ length: B }, (_, b) => b * per + t0);
    yield { ...windowBatch(tokens, starts, len), first: t0 === 0 };
  }
}
