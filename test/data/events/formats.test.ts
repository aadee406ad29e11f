import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../../../src/errors.js';
import { Rng } from '../../../src/tensor/rng.js';
import { decodeAedat2, encodeAedat2 } from '../../../src/data/events/formats/aedat2.js';
import { decodeAedat3, encodeAedat3 } from '../../../src/data/events/formats/aedat3.js';
import { decodeEvt2, encodeEvt2 } from '../../../src/data/events/formats/evt2.js';
import { decodeNmnist, encodeNmnist } from '../../../src/data/events/formats/nmnist.js';
import { decodeNpy, encodeNpy } from '../../../src/data/events/formats/npy.js';
import { decodeEvents, detectEventFormat, EVENT_FORMATS } from '../../../src/data/events/formats/registry.js';
import { assertSameStream, randomChannel, randomDvs } from './util.js';

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const u32be = (v: number): number[] => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const u32le = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const i16le = (v: number): number[] => [v & 255, (v >> 8) & 255];

test('round trips of random streams are exact', () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 3; trial++) {
    const small = randomDvs(rng, 500, 34, 34, 300_000);
    assertSameStream(decodeNmnist(encodeNmnist(small), { width: 34, height: 34 }), small, 'nmnist');
    const big = randomDvs(rng, 200, 34, 34, 3e7); // beyond 2^23 µs: overflow markers
    assertSameStream(decodeNmnist(encodeNmnist(big), { width: 34, height: 34 }), big, 'nmnist overflow');
    const d128 = randomDvs(rng, 500, 128, 128, 2 ** 32 - 1);
    assertSameStream(decodeAedat2(encodeAedat2(d128)), d128, 'aedat2');
    const d346 = randomDvs(rng, 500, 346, 260, 2 ** 33);
    assertSameStream(decodeAedat3(encodeAedat3(d346, 100)), d346, 'aedat3');
    assertSameStream(decodeAedat3(encodeAedat3(d128)), d128, 'aedat3 dvs128');
    const d1280 = randomDvs(rng, 500, 1280, 720, 2 ** 34 - 1);
    assertSameStream(decodeEvt2(encodeEvt2(d1280)), d1280, 'evt2');
    assertSameStream(decodeNpy(encodeNpy(d346), { width: 346, height: 260 }), d346, 'npy dvs');
    const ch = randomChannel(rng, 300, 700);
    assertSameStream(decodeNpy(encodeNpy(ch), { channels: 700 }), ch, 'npy channel');
  }
});

test('N-MNIST bytes from the specification, with an overflow marker', () => {
  // x=3, y=5, ON, t=0x012345 ; overflow marker (y=240) ; x=1, y=2, OFF, t=10 → 10 + 8192
  const bytes = Uint8Array.from([3, 5, 0x80 | 0x01, 0x23, 0x45, 0, 240, 0, 0, 0, 1, 2, 0x00, 0x00, 10]);
  const s = decodeNmnist(bytes, { width: 34, height: 34 });
  assert.deepEqual(Array.from(s.y), [2, 5]);
  assert.deepEqual(Array.from(s.p), [0, 1]);
  // Stamps are sorted on read: 8202 µs (after the marker) comes before 0x012345 = 74565 µs.
  assert.deepEqual(Array.from(s.t), [8202, 0x012345]);
  assert.deepEqual(Array.from(s.x), [1, 3]);
});

test('AEDAT 2.0 bytes from the specification (DVS128 address, big-endian)', () => {
  const addr = (x: number, y: number, off: number): number => (y << 8) | (x << 1) | off;
  const bytes = Uint8Array.from([
    ...ascii('#!AER-DAT2.0\r\n# comment\r\n'),
    ...u32be(addr(5, 7, 0)), ...u32be(100),
    ...u32be(0x8000), ...u32be(150), // external event: skipped
    ...u32be(addr(127, 1, 1)), ...u32be(200),
  ]);
  const s = decodeAedat2(bytes);
  assert.deepEqual([Array.from(s.x), Array.from(s.y), Array.from(s.p), Array.from(s.t)], [[5, 127], [7, 1], [1, 0], [100, 200]]);
  assert.equal(s.width, 128);
});

test('AEDAT 3.1 bytes from the specification (28-byte packet header, polarity events)', () => {
  const header = (type: number, size: number, overflow: number, cap: number): number[] => [
    ...i16le(type), ...i16le(1), ...u32le(size), ...u32le(4), ...u32le(overflow), ...u32le(cap), ...u32le(cap), ...u32le(cap),
  ];
  const pol = (x: number, y: number, p: number, valid = 1): number => ((x << 17) | (y << 2) | (p << 1) | valid) >>> 0;
  const bytes = Uint8Array.from([
    ...ascii('#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DAVIS240C\r\n#!END-HEADER\r\n'),
    ...header(2, 12, 0, 1), ...u32le(0), ...u32le(5), ...u32le(0), // a special-event packet (type 2, 12-byte events): skipped
    ...header(1, 8, 1, 3),
    ...u32le(pol(200, 150, 1)), ...u32le(7),
    ...u32le(pol(1, 2, 0, 0)), ...u32le(8), // invalid: skipped
    ...u32le(pol(3, 4, 0)), ...u32le(9),
  ]);
  const s = decodeAedat3(bytes);
  assert.equal(s.width, 240);
  assert.equal(s.height, 180);
  assert.deepEqual([Array.from(s.x), Array.from(s.y), Array.from(s.p), Array.from(s.t)], [[200, 3], [150, 4], [1, 0], [2 ** 31 + 7, 2 ** 31 + 9]]);
});

test('EVT 2.0 bytes from the specification (CD_OFF/CD_ON/EVT_TIME_HIGH words)', () => {
  const cd = (type: number, tLow: number, x: number, y: number): number => ((type << 28) | (tLow << 22) | (x << 11) | y) >>> 0;
  const bytes = Uint8Array.from([
    ...ascii('% evt 2.0\n% geometry 640x480\n% end\n'),
    ...u32le((0x8 << 28) | 3), // time high = 3 → base 192 µs
    ...u32le(cd(1, 5, 639, 479)),
    ...u32le((0xa << 28) >>> 0), // trigger: skipped
    ...u32le(cd(0, 63, 0, 1)),
  ]);
  const s = decodeEvt2(bytes);
  assert.deepEqual([s.width, s.height], [640, 480]);
  assert.deepEqual([Array.from(s.x), Array.from(s.y), Array.from(s.p), Array.from(s.t)], [[639, 0], [479, 1], [1, 0], [197, 255]]);
});

test('npy structured arrays of various dtypes (v1 and v2 headers, big-endian field)', () => {
  const build = (major: number, dict: string, body: number[]): Uint8Array => {
    const h = ascii(dict + '\n');
    const len = major === 1 ? [h.length & 255, h.length >> 8] : u32le(h.length);
    return Uint8Array.from([0x93, ...ascii('NUMPY'), major, 0, ...len, ...h, ...body]);
  };
  const rec = (t: number, x: number, y: number, p: number): number[] => [...u32le(t), x, 0, y >> 8, y & 255, p];
  const bytes = build(2, "{'descr': [('t', '<u4'), ('x', '<u2'), ('y', '>u2'), ('p', '|b1')], 'fortran_order': False, 'shape': (2,), }", [
    ...rec(5, 3, 300, 1),
    ...rec(9, 4, 2, 0),
  ]);
  const s = decodeNpy(bytes);
  assert.equal(s.kind, 'dvs');
  if (s.kind !== 'dvs') return;
  assert.deepEqual([Array.from(s.t), Array.from(s.x), Array.from(s.y), Array.from(s.p)], [[5, 9], [3, 4], [300, 2], [1, 0]]);
  const f = new Float32Array([0.5, 0.25]);
  const fb = new Uint8Array(f.buffer);
  const audio = build(1, "{'descr': [('t', '<f4'), ('x', '<i2')], 'fortran_order': False, 'shape': (2,)}", [...fb.subarray(0, 4), 7, 0, ...fb.subarray(4), 2, 0]);
  const a = decodeNpy(audio);
  assert.equal(a.kind, 'channel');
  if (a.kind === 'channel') assert.deepEqual([Array.from(a.t), Array.from(a.channel)], [[0.25, 0.5], [2, 7]]);
});

test('format detection from magic bytes and names', () => {
  assert.equal(detectEventFormat(Uint8Array.from(ascii('#!AER-DAT2.0')), 'a.aedat'), 'aedat2');
  assert.equal(detectEventFormat(Uint8Array.from(ascii('#!AER-DAT3.1')), 'a.aedat'), 'aedat3');
  assert.equal(detectEventFormat(Uint8Array.from(ascii('% evt 2.0')), 'a.raw'), 'evt2');
  assert.equal(detectEventFormat(Uint8Array.from([0x93, ...ascii('NUMPY')]), 'x'), 'npy');
  assert.equal(detectEventFormat(Uint8Array.from([0x89, ...ascii('HDF\r\n'), 0x1a, 0x0a]), 'x'), 'hdf5');
  assert.equal(detectEventFormat(Uint8Array.from([1, 2, 3]), '00002.bin'), 'nmnist');
  assert.equal(detectEventFormat(Uint8Array.from([1, 2, 3]), 'x.dat'), null);
});

function assertFormatError(fn: () => unknown, file: string, offset?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.match(e.message, new RegExp(file.replace('.', '\\.')));
    if (offset !== undefined) assert.match(e.message, new RegExp(`byte ${offset}\\b`));
    return true;
  });
}

test('truncated and corrupt files give FormatError naming the file and byte offset', () => {
  const rng = new Rng(3);
  const s = randomDvs(rng, 10, 34, 34, 1000);
  const nm = encodeNmnist(s);
  assertFormatError(() => decodeNmnist(nm.subarray(0, 48), { file: 'a.bin' }), 'a.bin', 45);
  const a2 = encodeAedat2(s);
  assertFormatError(() => decodeAedat2(a2.subarray(0, a2.length - 3), { file: 'b.aedat' }), 'b.aedat');
  assertFormatError(() => decodeAedat2(Uint8Array.from(ascii('hello')), { file: 'b.aedat' }), 'b.aedat', 0);
  const a3 = encodeAedat3(s);
  const headerLen = a3.length - 28 - 80;
  assertFormatError(() => decodeAedat3(a3.subarray(0, a3.length - 5), { file: 'c.aedat' }), 'c.aedat', headerLen);
  assertFormatError(() => decodeAedat3(a3.subarray(0, headerLen + 10), { file: 'c.aedat' }), 'c.aedat', headerLen);
  const e2 = encodeEvt2(s);
  assertFormatError(() => decodeEvt2(e2.subarray(0, e2.length - 1), { file: 'd.raw' }), 'd.raw');
  const np = encodeNpy(s);
  const npData = 10 + new DataView(np.buffer).getUint16(8, true);
  assertFormatError(() => decodeNpy(np.subarray(0, np.length - 13), { file: 'e.npy' }), 'e.npy', npData);
  assertFormatError(() => decodeNpy(np.subarray(0, 40), { file: 'e.npy' }), 'e.npy', 10);
});

test('fuzzed headers and huge declared sizes fail fast without large allocations', () => {
  const rng = new Rng(11);
  const s = randomDvs(rng, 50, 34, 34, 1000);
  const seeds: [string, Uint8Array][] = [
    ['aedat3', encodeAedat3(s)],
    ['npy', encodeNpy(s)],
    ['evt2', encodeEvt2(s)],
    ['aedat2', encodeAedat2(s)],
    ['nmnist', encodeNmnist(s)],
  ];
  const t0 = performance.now();
  for (const [fmt, good] of seeds) {
    for (let trial = 0; trial < 200; trial++) {
      const b = good.slice(0, Math.max(1, rng.int(good.length + 1)));
      const k = 1 + rng.int(8);
      for (let j = 0; j < k; j++) b[rng.int(Math.min(b.length, 96))] = rng.int(256);
      try {
        decodeEvents(b, fmt as (typeof EVENT_FORMATS)[number], { file: 'fuzz' });
      } catch (e) {
        assert.ok(e instanceof FormatError, `${fmt}: unexpected ${String(e)}`);
      }
    }
  }
  // Huge declared sizes are rejected by comparing with the bytes present.
  const a3 = encodeAedat3(s);
  const hdr = a3.length - 28 - 50 * 8;
  const huge = a3.slice();
  new DataView(huge.buffer).setInt32(hdr + 16, 0x7fffffff, true);
  assertFormatError(() => decodeAedat3(huge, { file: 'h.aedat' }), 'h.aedat', hdr);
  const np = encodeNpy(s);
  // Same header length: '(50,), ' becomes '(9999999,)' by eating padding spaces.
  const npData = 10 + new DataView(np.buffer).getUint16(8, true);
  const text = new TextDecoder().decode(np.subarray(10, npData));
  const text2 = text.trimEnd().replace('(50,)', '(9999999,)') + '\n';
  assert.notEqual(text2, text);
  const bigShape = Uint8Array.from([...np.subarray(0, 8), text2.length & 255, text2.length >> 8, ...ascii(text2), ...np.subarray(npData)]);
  assertFormatError(() => decodeNpy(bigShape, { file: 'h.npy' }), 'h.npy', 10 + text2.length);
  const bigHeader = np.slice();
  new DataView(bigHeader.buffer).setUint16(8, 0xffff, true);
  assertFormatError(() => decodeNpy(bigHeader, { file: 'h.npy' }), 'h.npy', 10);
  assert.ok(performance.now() - t0 < 3000, 'fuzzing finished quickly');
});
