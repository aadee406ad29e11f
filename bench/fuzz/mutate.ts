import type { Prng } from './prng.js';
import type { FuzzTarget, HeaderField } from './target.js';

/*
 * Seeded mutators. A case is a seed with 1 to 4 stacked edits: bit flips,
 * bytes and words overwritten with boundary values (0, 0x7f, 0x80, 0xff,
 * INT_MAX, 2^32 − 1, NaN/Inf bit patterns ...), truncation, extension, chunk
 * duplication / deletion / overwrite, splices of two seeds, edits of known
 * header fields, and text edits (numbers swapped for hostile ones, lines
 * duplicated or dropped, YAML/JSON tokens such as aliases and __proto__
 * keys inserted) in the text part of a file. Everything depends only on the
 * generator, so (seed, parser, index) names one input for ever.
 */

/** Cases never grow past this (a parser's cost on a large input is not what the suite looks for). */
const MAX_CASE_BYTES = 4 << 20;

const U8 = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x40, 0xfe];
const U16 = [0, 1, 0x7fff, 0x8000, 0xffff, 0x100, 0xff, 0xfffe];
const U32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0x1000000, 0xfffffffe, 0x40000000];
const U64 = [0n, 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 31n];
const FLOATS = [NaN, Infinity, -Infinity, -0, 3.4028235e38, 1e308, 5e-324, 1.17549435e-38, 2 ** 53, -1, 1e-45];

const NUMBERS = [
  '0', '-1', '1', '-0', '2147483647', '2147483648', '4294967295', '4294967296', '9007199254740993',
  '1e309', '-1e309', '1e-400', 'NaN', 'nan', '.nan', '.inf', '-.inf', 'Infinity', '99999999999999999999',
  '0x7fffffff', '1.5', '-2147483649', '65535', '65536', '11999', '',
];

const TOKENS = [
  '__proto__: {polluted: 1}\n', '"__proto__": {"polluted": 1}, ', "'__proto__': {'descr': []}, ", 'constructor: {prototype: {polluted: 1}}\n',
  '&a [1, 2, 3]', '*a', '<<: *a\n', '!!binary AAAA', '? [a, b]\n: c\n', '~', 'null', '{', '}', '[', ']', '"', "'", ',', ':',
  '\u0000', '\t', '- ', '---\n', '...\n', '%YAML 1.2\n', '!!python/object:os.system', '\\u0000', '"\\ud800"',
];

/** Nine levels of ten aliases each: a billion-laughs expansion if a parser follows aliases blindly. */
function aliasBomb(): string {
  const lines = ['lol0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) lines.push(`lol${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
  return '\n' + lines.join('\n') + '\n';
}

/** A long run of one pattern: long lines, deep flow or block nesting, many anchors or aliases. */
function long(rng: Prng): string {
  const c = rng.pick(['x', '[', '{', '9', ' ', '- [', '"', '- ', '? ', '{x: ', '&a ', '*a ', '\n ']);
  return c.repeat(Math.ceil(rng.pick([1000, 5000, 70000]) / c.length));
}

export function latin1(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i += 8192) s += String.fromCharCode(...b.subarray(i, Math.min(end, i + 8192)));
  return s;
}

export function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Write an integer or float of `size` bytes at `o` (clipped to the buffer). */
function writeValue(b: Uint8Array, o: number, size: 1 | 2 | 4 | 8, little: boolean, rng: Prng, near?: number): void {
  if (o < 0 || o + size > b.length) return;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const float = size >= 4 && rng.chance(0.2);
  if (float) {
    const f = rng.pick(FLOATS);
    if (size === 4) dv.setFloat32(o, f, little);
    else dv.setFloat64(o, f, little);
    return;
  }
  // Values tied to the file (its length, an offset ± 1) reach deeper than random ones.
  const related = near !== undefined && rng.chance(0.3) ? [near, near - 1, near + 1, b.length, b.length - 1, b.length + 1, 2 * b.length] : null;
  switch (size) {
    case 1:
      dv.setUint8(o, rng.chance(0.8) ? rng.pick(U8) : rng.int(256));
      return;
    case 2:
      dv.setUint16(o, (related ? rng.pick(related) : rng.chance(0.8) ? rng.pick(U16) : rng.int(65536)) & 0xffff, little);
      return;
    case 4:
      dv.setUint32(o, (related ? rng.pick(related) : rng.chance(0.8) ? rng.pick(U32) : rng.u32()) >>> 0, little);
      return;
    case 8: {
      const v = related ? BigInt(Math.max(0, rng.pick(related))) : rng.pick(U64);
      dv.setBigUint64(o, BigInt.asUintN(64, v), little);
    }
  }
}

function currentValue(b: Uint8Array, f: HeaderField): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (f.offset + f.size > b.length) return 0;
  return f.size === 1 ? dv.getUint8(f.offset) : f.size === 2 ? dv.getUint16(f.offset, f.little) : f.size === 4 ? dv.getUint32(f.offset, f.little) : Number(dv.getBigUint64(f.offset, f.little));
}

type Mutator = (b: Uint8Array, rng: Prng, ctx: MutationContext) => Uint8Array;

interface MutationContext {
  readonly seeds: readonly Uint8Array[];
  readonly fields: readonly HeaderField[];
  readonly text: [number, number] | null;
  readonly textLength: HeaderField | null;
}

const bitFlip: Mutator = (b, rng) => {
  if (b.length === 0) return b;
  for (let k = rng.range(1, 8); k > 0; k--) b[rng.int(b.length)]! ^= 1 << rng.int(8);
  return b;
};

const byteValue: Mutator = (b, rng) => {
  if (b.length === 0) return b;
  for (let k = rng.range(1, 4); k > 0; k--) writeValue(b, rng.int(b.length), 1, true, rng);
  return b;
};

const wordValue: Mutator = (b, rng) => {
  const size = rng.pick([2, 4, 4, 8] as const);
  if (b.length < size) return b;
  writeValue(b, rng.int(b.length - size + 1), size, rng.chance(0.5), rng);
  return b;
};

const truncate: Mutator = (b, rng) => b.slice(0, rng.chance(0.3) ? rng.int(Math.min(b.length, 64) + 1) : rng.int(b.length + 1));

const extend: Mutator = (b, rng) => {
  const n = rng.pick([1, 3, 7, 8, 64, 1000, Math.max(1, b.length)]);
  const tail = new Uint8Array(n);
  const how = rng.int(4);
  if (how === 1) tail.fill(0xff);
  else if (how === 2) for (let i = 0; i < n; i++) tail[i] = rng.int(256);
  else if (how === 3 && b.length > 0) for (let i = 0; i < n; i++) tail[i] = b[i % b.length]!;
  return concat(b, tail);
};

function span(b: Uint8Array, rng: Prng): [number, number] {
  const a = rng.int(b.length + 1);
  const len = rng.chance(0.7) ? rng.range(1, 32) : rng.int(b.length - a + 1);
  return [a, Math.min(b.length, a + len)];
}

const duplicateChunk: Mutator = (b, rng) => {
  const [a, e] = span(b, rng);
  const at = rng.int(b.length + 1);
  const chunk = b.slice(a, e);
  const times = rng.chance(0.1) ? rng.range(2, 50) : 1;
  const parts: Uint8Array[] = [b.subarray(0, at)];
  for (let i = 0; i < times; i++) parts.push(chunk);
  parts.push(b.subarray(at));
  return concat(...parts);
};

const deleteChunk: Mutator = (b, rng) => {
  const [a, e] = span(b, rng);
  return concat(b.subarray(0, a), b.subarray(e));
};

const overwriteChunk: Mutator = (b, rng) => {
  const [a, e] = span(b, rng);
  const at = rng.int(Math.max(1, b.length - (e - a)));
  b.copyWithin(at, a, e);
  return b;
};

const splice: Mutator = (b, rng, ctx) => {
  const other = rng.pick(ctx.seeds);
  const cut = rng.int(b.length + 1);
  return concat(b.subarray(0, cut), other.subarray(Math.min(other.length, rng.int(other.length + 1))));
};

const field: Mutator = (b, rng, ctx) => {
  const f = rng.pick(ctx.fields);
  if (rng.chance(0.25)) {
    // A small step from the current value: off-by-one sizes and counts.
    const v = currentValue(b, f) + rng.pick([-2, -1, 1, 2, 8]);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (f.offset + f.size <= b.length) {
      if (f.size === 1) dv.setUint8(f.offset, v & 0xff);
      else if (f.size === 2) dv.setUint16(f.offset, v & 0xffff, f.little);
      else if (f.size === 4) dv.setUint32(f.offset, v >>> 0, f.little);
      else dv.setBigUint64(f.offset, BigInt.asUintN(64, BigInt(Math.trunc(v))), f.little);
    }
    return b;
  }
  writeValue(b, f.offset, f.size, f.little, rng, currentValue(b, f));
  return b;
};

/** Text edits inside the text region; the bytes around it are kept. */
const textEdit: Mutator = (b, rng, ctx) => {
  const [s, e] = ctx.text!;
  if (e > b.length || s > e) return b;
  let t = latin1(b, s, e);
  const lines = t.split('\n');
  switch (rng.int(7)) {
    case 0: {
      const nums = [...t.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi)];
      if (nums.length === 0) break;
      const m = rng.pick(nums);
      t = t.slice(0, m.index) + rng.pick(NUMBERS) + t.slice(m.index! + m[0].length);
      break;
    }
    case 1: {
      const i = rng.int(lines.length);
      lines.splice(i, 0, ...Array(rng.chance(0.1) ? 200 : 1).fill(lines[i]!));
      t = lines.join('\n');
      break;
    }
    case 2:
      lines.splice(rng.int(lines.length), 1);
      t = lines.join('\n');
      break;
    case 3: {
      const at = rng.int(t.length + 1);
      t = t.slice(0, at) + rng.pick(TOKENS) + t.slice(at);
      break;
    }
    case 4: {
      const i = rng.int(lines.length);
      lines[i] = rng.chance(0.5) ? '  ' + lines[i] : lines[i]!.replace(/^ {1,2}/, '');
      t = lines.join('\n');
      break;
    }
    case 5: {
      // Swap two words: keys land where values were and the reverse.
      const words = [...t.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)];
      if (words.length < 2) break;
      const a = rng.pick(words), w = rng.pick(words)[0];
      t = t.slice(0, a.index) + w + t.slice(a.index! + a[0].length);
      break;
    }
    default: {
      const at = rng.int(t.length + 1);
      t = t.slice(0, at) + (rng.chance(0.5) ? aliasBomb() : long(rng)) + t.slice(at);
    }
  }
  const out = concat(b.subarray(0, s), fromLatin1(t), b.subarray(e));
  const len = ctx.textLength;
  if (len && len.offset + len.size <= s && rng.chance(0.8)) {
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    if (len.size === 1) dv.setUint8(len.offset, t.length & 0xff);
    else if (len.size === 2) dv.setUint16(len.offset, t.length & 0xffff, len.little);
    else if (len.size === 4) dv.setUint32(len.offset, t.length, len.little);
    else dv.setBigUint64(len.offset, BigInt(t.length), len.little);
  }
  return out;
};

interface Weighted {
  readonly fn: Mutator;
  readonly weight: number;
  readonly needs?: 'fields' | 'text' | 'seeds';
}

const MUTATORS: readonly Weighted[] = [
  { fn: bitFlip, weight: 20 },
  { fn: byteValue, weight: 12 },
  { fn: wordValue, weight: 10 },
  { fn: truncate, weight: 6 },
  { fn: extend, weight: 5 },
  { fn: duplicateChunk, weight: 5 },
  { fn: deleteChunk, weight: 5 },
  { fn: overwriteChunk, weight: 5 },
  { fn: splice, weight: 4, needs: 'seeds' },
  { fn: field, weight: 25, needs: 'fields' },
  { fn: textEdit, weight: 30, needs: 'text' },
];

/** One fuzz case: a seed picked by the generator with 1–4 edits, then the target's finishing step. */
export function makeCase(target: FuzzTarget, seeds: readonly Uint8Array[], rng: Prng): Uint8Array {
  const seed = rng.pick(seeds);
  let b: Uint8Array = seed.slice();
  // Fields come from the intact seed (walking a damaged file's structure is the parser's job, not ours).
  const fields = target.fields?.(seed) ?? [];
  // Fewer edits are likelier: one edit keeps most of the file valid, so the parser goes deep.
  const edits = rng.chance(0.5) ? 1 : rng.chance(0.5) ? 2 : rng.range(3, 4);
  for (let k = 0; k < edits; k++) {
    const ctx: MutationContext = { seeds, fields, text: target.textRegion?.(b) ?? null, textLength: target.textLength?.(b) ?? null };
    const usable = MUTATORS.filter((m) => (m.needs === 'fields' ? ctx.fields.length > 0 : m.needs === 'text' ? ctx.text !== null : m.needs === 'seeds' ? seeds.length > 1 : true));
    let r = rng.int(usable.reduce((n, m) => n + m.weight, 0));
    const pick = usable.find((m) => (r -= m.weight) < 0)!;
    b = pick.fn(b, rng, ctx);
    if (b.length > MAX_CASE_BYTES) b = b.slice(0, MAX_CASE_BYTES);
  }
  return target.finish ? target.finish(b, rng) : b;
}
