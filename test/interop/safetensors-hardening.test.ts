import test from 'node:test';
import assert from 'node:assert/strict';
import { FormatError, NumericError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/interop/safetensors.js';

/*
 * safetensors headers that JSON.parse accepts but that would load the wrong
 * thing or allocate more than the file holds, and tensors holding NaN or
 * infinities, which load and then evaluate to chance.
 */

/** A file from a raw header string and data bytes. */
function build(header: string, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('safetensors: a tensor named twice in the header is refused, naming the file and the key', () => {
  const data = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
  const header = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}, "b":{"dtype":"F32","shape":[],"data_offsets":[8,12]}, "w":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}';
  // JSON.parse alone keeps the last 'w' (shape [1]): the file would load without a word.
  assert.deepEqual((JSON.parse(header) as Record<string, { shape: number[] }>)['w']!.shape, [1]);
  assert.throws(() => decodeSafetensors(build(header, data), 'dup.safetensors'), (e: unknown) => e instanceof FormatError && e.message === "dup.safetensors: header names tensor 'w' twice");
  // Keys that differ only by an escape are different keys, and a key inside a nested object is not a tensor name.
  const ok = '{"__metadata__":{"w":"x","w2":"y"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w\\"":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}';
  const f = decodeSafetensors(build(ok, data), 'ok.safetensors');
  assert.deepEqual([...f.tensors.keys()].sort(), ['w', 'w"']);
  const twoMeta = '{"__metadata__":{"a":"1"},"__metadata__":{"a":"2"}}';
  assert.throws(() => decodeSafetensors(build(twoMeta, new Uint8Array(0)), 'meta.safetensors'), /meta\.safetensors: header has two __metadata__ entries/);
});

test('safetensors: overlapping tensors are refused before any tensor is copied', () => {
  // 4,000 entries that each claim the whole 1 MB data section would copy 4 GB; the header check refuses it first.
  const n = 4000;
  const mb = 1 << 20;
  const entries = Array.from({ length: n }, (_, i) => `"t${i}":{"dtype":"U8","shape":[${mb}],"data_offsets":[0,${mb}]}`);
  const bytes = build(`{${entries.join(',')}}`, new Uint8Array(mb));
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  assert.throws(() => decodeSafetensors(bytes, 'overlap.safetensors'), (e: unknown) => e instanceof FormatError && /overlap\.safetensors: tensor 't\d+': field data_offsets overlaps tensor 't\d+'/.test(e.message));
  assert.ok(performance.now() - t0 < 2000, 'refused from the header');
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * mb, 'no tensor copies were made');
});

test('safetensors: NaN or infinite floats are a NumericError naming the file, the tensor and the first bad index; allowNonFinite loads them', () => {
  const w = new Float32Array(12).fill(0.5);
  w[7] = NaN;
  w[9] = -Infinity;
  const bytes = encodeSafetensors({ '3.weight': { dtype: 'F32', shape: [3, 4], data: w }, ok: { dtype: 'F64', shape: [1], data: Float64Array.from([1]) } });
  assert.throws(
    () => decodeSafetensors(bytes, 'model.safetensors'),
    (e: unknown) => e instanceof NumericError && e.message.startsWith("model.safetensors: tensor '3.weight' holds NaN at index 7 ([1, 3]) (2 of 12 values are not finite)") && e.message.includes('--allow-non-finite'),
  );
  const f64 = encodeSafetensors({ b: { dtype: 'F64', shape: [2], data: Float64Array.from([1, Infinity]) } });
  assert.throws(() => decodeSafetensors(f64, 'x.safetensors'), /x\.safetensors: tensor 'b' holds Infinity at index 1;/);
  const loaded = decodeSafetensors(bytes, 'model.safetensors', { allowNonFinite: true });
  assert.ok(Number.isNaN(loaded.tensors.get('3.weight')!.data[7] as number));
  // Integer tensors have no non-finite values to check.
  assert.ok(decodeSafetensors(encodeSafetensors({ q: { dtype: 'I8', shape: [2], data: Int8Array.from([-128, 127]) } })).tensors.has('q'));
});
