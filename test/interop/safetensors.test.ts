import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, NotFoundError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsEntry } from '../../src/interop/safetensors.js';
import { loadSafetensors, saveSafetensorsAtomic } from '../../src/interop/safetensors-node.js';

function sample(): Record<string, SafetensorsEntry> {
  return {
    'w.f32': { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2.5, 3e-8, 4, 5, 6]) },
    'w.f64': { dtype: 'F64', shape: [3], data: Float64Array.from([Math.PI, -0, 1e300]) },
    'idx.i32': { dtype: 'I32', shape: [2], data: Int32Array.from([-7, 2147483647]) },
    'big.i64': { dtype: 'I64', shape: [2], data: BigInt64Array.from([-1n, 9007199254740993n]) },
    'mask.u8': { dtype: 'U8', shape: [3], data: Uint8Array.from([0, 255, 7]) },
    scalar: { dtype: 'F32', shape: [], data: Float32Array.from([42]) },
    empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
  };
}

/** A file from a raw header string and data bytes (for malformed-file tests). */
function build(header: string, data: Uint8Array = new Uint8Array(0), lengthOverride?: number): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lengthOverride ?? h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('exact byte layout: u64 LE header length, JSON header padded with spaces to 8 bytes, little-endian data', () => {
  const bytes = encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) } });
  const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 54 bytes → padded to 56
  const padded = json + '  ';
  const expected = [56, 0, 0, 0, 0, 0, 0, 0, ...Array.from(padded, (c) => c.charCodeAt(0)), 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40];
  assert.deepEqual(Array.from(bytes), expected);
});

test('round trip of every dtype, scalars, empty tensors and metadata; tensors stay 8-byte aligned', () => {
  const bytes = encodeSafetensors(sample(), { note: 'hello', run: '{"a":1}' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const itemSize: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, U8: 1 };
  for (const [k, v] of Object.entries(header)) if (k !== '__metadata__') assert.equal(v.data_offsets[0] % itemSize[v.dtype]!, 0, `${k} aligned`);
  const f = decodeSafetensors(bytes, 'mem');
  assert.deepEqual(f.metadata, { note: 'hello', run: '{"a":1}' });
  for (const [name, e] of Object.entries(sample())) {
    const got = f.tensors.get(name)!;
    assert.equal(got.dtype, e.dtype, name);
    assert.deepEqual(got.shape, e.shape, name);
    assert.deepEqual(Array.from(got.data as ArrayLike<number | bigint>), Array.from(e.data as ArrayLike<number | bigint>), name);
  }
  assert.ok(Object.is(f.tensors.get('w.f64')!.data[1], -0));
});

test('decoder rejects malformed files, naming the file, tensor and field', () => {
  const ok = (name: string, o: object): string => JSON.stringify({ [name]: o });
  const f32 = new Uint8Array(8);
  const cases: [string, Uint8Array, RegExp][] = [
    ['short', new Uint8Array(5), /x\.safetensors: file of 5 bytes is too short/],
    ['header length', build('{}', new Uint8Array(0), 1000), /header length 1000 exceeds the 2 bytes/],
    ['json', build('{"a": '), /header is not valid UTF-8 JSON/],
    ['not object', build('[1,2]'), /header must be a JSON object/],
    ['metadata', build('{"__metadata__":{"k":3}}'), /__metadata__ field 'k' must be a string/],
    ['dtype', build(ok('t', { dtype: 'Q7', shape: [2], data_offsets: [0, 8] }), f32), /tensor 't': field dtype: unknown dtype "Q7"/],
    ['shape', build(ok('t', { dtype: 'F32', shape: [-2], data_offsets: [0, 8] }), f32), /tensor 't': field shape/],
    ['offsets type', build(ok('t', { dtype: 'F32', shape: [2], data_offsets: [0] }), f32), /tensor 't': field data_offsets: expected \[begin, end\]/],
    ['range', build(ok('t', { dtype: 'F32', shape: [4], data_offsets: [0, 16] }), f32), /tensor 't': field data_offsets: \[0, 16\] outside the data section of 8 bytes/],
    ['span', build(ok('t', { dtype: 'F32', shape: [3], data_offsets: [0, 8] }), f32), /tensor 't': field data_offsets: span of 8 bytes does not match shape \[3\]/],
    [
      'overlap',
      build(JSON.stringify({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }), f32),
      /tensor 'b': field data_offsets overlaps tensor 'a'/,
    ],
  ];
  for (const [what, bytes, re] of cases) {
    assert.throws(() => decodeSafetensors(bytes, 'x.safetensors'), (e: Error) => e instanceof FormatError && re.test(e.message), what);
  }
  // The encoder refuses data that does not fit the declared shape or dtype.
  assert.throws(() => encodeSafetensors({ t: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }), /'t': 2 values do not fit shape \[3\]/);
  assert.throws(() => encodeSafetensors({ t: { dtype: 'F64', shape: [2], data: new Float32Array(2) } }), /dtype F64 needs a Float64Array/);
});

test('atomic save: no temporary file left behind, overwrite works, missing file and directory give clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-st-'));
  try {
    const path = join(dir, 'm.safetensors');
    saveSafetensorsAtomic(path, sample(), { v: '1' });
    saveSafetensorsAtomic(path, { only: { dtype: 'F32', shape: [1], data: Float32Array.from([3]) } });
    assert.deepEqual(readdirSync(dir), ['m.safetensors']);
    const f = loadSafetensors(path);
    assert.deepEqual([...f.tensors.keys()], ['only']);
    assert.throws(() => saveSafetensorsAtomic(join(dir, 'nope', 'x.safetensors'), sample()), /ENOENT/);
    assert.deepEqual(readdirSync(dir), ['m.safetensors']);
    assert.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), NotFoundError);
    writeFileSync(join(dir, 'bad.safetensors'), readFileSync(path).subarray(0, 20));
    assert.throws(() => loadSafetensors(join(dir, 'bad.safetensors')), (e: Error) => e instanceof FormatError && e.message.includes('bad.safetensors'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function python(): string | null {
  const r = spawnSync('python3', ['-c', 'print(1)'], { encoding: 'utf8' });
  return r.status === 0 ? 'python3' : null;
}

test('Python (standard library only) parses a written file the same way', (t) => {
  const py = python();
  if (!py) return t.skip('python3 not found');
  const dir = mkdtempSync(join(tmpdir(), 'sf-py-'));
  try {
    const path = join(dir, 'p.safetensors');
    saveSafetensorsAtomic(path, sample(), { who: 'spikeflow' });
    const script = `
import json, struct, sys, array
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8+n])
assert (8 + n) % 8 == 0
base = 8 + n
codes = {'F32': 'f', 'F64': 'd', 'I32': 'i', 'I64': 'q', 'U8': 'B'}
out = {'meta': h.pop('__metadata__')}
for k, v in h.items():
    s, e = v['data_offsets']
    a = array.array(codes[v['dtype']]); a.frombytes(b[base+s:base+e])
    out[k] = [v['dtype'], v['shape'], [str(x) for x in a]]
print(json.dumps(out))
`;
    const got = JSON.parse(execFileSync(py, ['-c', script, path], { encoding: 'utf8' })) as Record<string, unknown>;
    assert.deepEqual(got.meta, { who: 'spikeflow' });
    assert.deepEqual(got['big.i64'], ['I64', [2], ['-1', '9007199254740993']]);
    assert.deepEqual(got['idx.i32'], ['I32', [2], ['-7', '2147483647']]);
    assert.deepEqual((got['w.f64'] as unknown[])[2], ['3.141592653589793', '-0.0', '1e+300']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Python safetensors package reads a written file and writes one we read', (t) => {
  const py = python();
  if (!py) return t.skip('python3 not found');
  if (spawnSync(py, ['-c', 'import safetensors.numpy, numpy'], { encoding: 'utf8' }).status !== 0) {
    return t.skip('python3 has no `safetensors` + `numpy` packages; install them to run this interoperability check');
  }
  const dir = mkdtempSync(join(tmpdir(), 'sf-pyst-'));
  try {
    const path = join(dir, 'p.safetensors');
    saveSafetensorsAtomic(path, sample(), { who: 'spikeflow' });
    const script = `
import json, sys
from safetensors import safe_open
from safetensors.numpy import load_file
d = load_file(sys.argv[1])
with safe_open(sys.argv[1], framework='np') as f: meta = f.metadata()
print(json.dumps({'meta': meta, 'f32': d['w.f32'].astype(float).tolist(), 'shape': list(d['w.f32'].shape), 'i64': [str(x) for x in d['big.i64'].tolist()], 'empty': list(d['empty'].shape)}))
`;
    const got = JSON.parse(execFileSync(py, ['-c', script, path], { encoding: 'utf8' })) as { meta: unknown; f32: number[][]; shape: number[]; i64: string[]; empty: number[] };
    assert.deepEqual(got.meta, { who: 'spikeflow' });
    assert.deepEqual(got.shape, [2, 3]);
    assert.deepEqual(got.f32.flat(), Array.from(sample()['w.f32']!.data as Float32Array));
    assert.deepEqual(got.i64, ['-1', '9007199254740993']);
    assert.deepEqual(got.empty, [0, 4]);
    // And the other way: a file written by the Python package decodes here.
    const back = join(dir, 'from-python.safetensors');
    execFileSync(py, ['-c', `
import sys, numpy as np
from safetensors.numpy import save_file
save_file({'z': np.arange(6, dtype=np.float64).reshape(2, 3), 'b': np.array([1, 2, 3], dtype=np.uint8), 'i': np.array([-5], dtype=np.int64)}, sys.argv[1], metadata={'k': 'v'})
`, back]);
    const f = loadSafetensors(back);
    assert.deepEqual(f.metadata, { k: 'v' });
    assert.deepEqual(f.tensors.get('z')!.shape, [2, 3]);
    assert.deepEqual(Array.from(f.tensors.get('z')!.data as Float64Array), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(Array.from(f.tensors.get('b')!.data as Uint8Array), [1, 2, 3]);
    assert.deepEqual(Array.from(f.tensors.get('i')!.data as BigInt64Array), [-5n]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
