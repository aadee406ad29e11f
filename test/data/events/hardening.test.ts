import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../../../src/errors.js';
import { makeDvsEvents } from '../../../src/data/events/stream.js';
import { MAX_INFERRED_SENSOR } from '../../../src/data/events/formats/common.js';
import { decodeNpy, encodeNpy } from '../../../src/data/events/formats/npy.js';
import { decodeEvt2, encodeEvt2 } from '../../../src/data/events/formats/evt2.js';
import { decodeAedat3, encodeAedat3 } from '../../../src/data/events/formats/aedat3.js';
import { decodeNmnist, encodeNmnist } from '../../../src/data/events/formats/nmnist.js';
import { decodeEvents } from '../../../src/data/events/formats/registry.js';

/*
 * Event files from untrusted sources: a sensor size read from the file is
 * bounded, an EVT 2.0 body needs its header, stamps must be finite, and NPY
 * header dicts cannot swap their prototype. Each refusal is a FormatError
 * naming the file.
 */

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
};

/** Two events at (c, c): the coordinates alone decide the inferred sensor. */
function corner(c: number): Uint8Array {
  return encodeNpy(makeDvsEvents({ x: [0, c], y: [0, c], t: [1, 2], p: [1, 0], width: c + 1, height: c + 1 }));
}

/** NPY bytes from a header dict text and a body. */
function npy(dict: string, body: Uint8Array): Uint8Array {
  const h = dict.padEnd(Math.ceil((dict.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const head = new Uint8Array(10);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(head.buffer).setUint16(8, h.length, true);
  return concat(concat(head, ascii(h)), body);
}

test('a sensor inferred from coordinates is bounded; a given one is not', () => {
  for (const c of [11999, 65534, 65535]) {
    assert.throws(
      () => decodeNpy(corner(c), { file: 'big.npy' }),
      (e: unknown) => e instanceof FormatError && new RegExp(`^big\\.npy: field 'x': coordinate ${c} implies a sensor width of ${c + 1}, above the ceiling of ${MAX_INFERRED_SENSOR}.*--sensor`).test(e.message),
    );
  }
  // At the ceiling it is read; the caller may give any size up to the coordinate range, or raise the ceiling.
  const edge = decodeNpy(corner(MAX_INFERRED_SENSOR - 1), { file: 'edge.npy' });
  assert.deepEqual([edge.kind, edge.kind === 'dvs' && edge.width], ['dvs', MAX_INFERRED_SENSOR]);
  const given = decodeNpy(corner(11999), { file: 'big.npy', width: 12000, height: 12001 });
  assert.ok(given.kind === 'dvs' && given.width === 12000 && given.height === 12001);
  const raised = decodeEvents(corner(11999), 'npy', { file: 'big.npy', maxSensor: 20000 });
  assert.ok(raised.kind === 'dvs' && raised.width === 12000);
  // A given size smaller than the coordinates names the file and the record.
  assert.throws(() => decodeNpy(corner(50), { file: 'small.npy', width: 40, height: 40 }), /^FormatError: small\.npy: .*\.npy record 1 at \(50, 50\) is outside the 40×40 sensor/);
});

test('sensor sizes declared by a header are bounded too (EVT 2.0 geometry, AEDAT 3 #Source)', () => {
  const s = makeDvsEvents({ x: [1, 2], y: [3, 4], t: [5, 6], p: [1, 0], width: 34, height: 34 });
  const evt = encodeEvt2(s);
  const text = String.fromCharCode(...evt);
  const huge = ascii(text.replace('% geometry 34x34', '% geometry 99999x99999').replace(';height=34;width=34', ''));
  assert.throws(() => decodeEvt2(huge, { file: 'huge.raw' }), /^FormatError: huge\.raw: header declares sensor width 99999, outside \[1, 4096\]/);
  assert.equal(decodeEvt2(huge, { file: 'huge.raw', width: 640, height: 480 }).width, 640);
  const a3 = String.fromCharCode(...encodeAedat3(s)).replace('#Source 1: spikeflow 34x34', '#Source 1: spikeflow 60000x60000');
  assert.throws(() => decodeAedat3(ascii(a3), { file: 'huge.aedat3' }), /^FormatError: huge\.aedat3: header declares sensor width 60000/);
  assert.equal(decodeAedat3(ascii(a3), { file: 'huge.aedat3', width: 60000, height: 60000 }).height, 60000);
  // N-MNIST coordinates are bytes: always under the ceiling, inferred as before.
  assert.equal(decodeNmnist(encodeNmnist(s), { file: 'a.bin' }).width, 3);
});

test('an EVT 2.0 body without its header is refused', () => {
  const s = makeDvsEvents({ x: [1, 2], y: [3, 4], t: [5, 6], p: [1, 0], width: 34, height: 34 });
  const whole = encodeEvt2(s);
  const bodyStart = String.fromCharCode(...whole).indexOf('% end\n') + '% end\n'.length;
  assert.equal(decodeEvt2(whole, { file: 'ok.raw' }).t.length, 2);
  assert.throws(() => decodeEvt2(whole.subarray(bodyStart), { file: 'body.raw' }), (e: unknown) => e instanceof FormatError && /^body\.raw: byte 0: no '%' header/.test(e.message));
  // A header that never says which format follows is not enough either.
  const vague = concat(ascii('% date 2024-01-01\n% end\n'), whole.subarray(bodyStart));
  assert.throws(() => decodeEvt2(vague, { file: 'vague.raw' }), /^FormatError: vague\.raw: byte 0: the '%' header does not declare the event format/);
  // Either declaration suffices.
  assert.equal(decodeEvt2(concat(ascii('% evt 2.0\n% end\n'), whole.subarray(bodyStart)), { file: 'a.raw' }).t.length, 2);
  assert.equal(decodeEvt2(concat(ascii('% format EVT2\n'), whole.subarray(bodyStart)), { file: 'b.raw' }).t.length, 2);
});

test('NPY time stamps must be finite', () => {
  const withSecond = (t1: number): Uint8Array => {
    const body = new Uint8Array(2 * 13);
    const dv = new DataView(body.buffer);
    dv.setFloat64(0, 1.5, true);
    dv.setFloat64(13, t1, true);
    return npy("{'descr': [('t', '<f8'), ('x', '<u2'), ('y', '<u2'), ('p', '|u1')], 'fortran_order': False, 'shape': (2,), }", body);
  };
  assert.throws(() => decodeNpy(withSecond(NaN), { file: 'nan.npy' }), (e: unknown) => e instanceof FormatError && /^nan\.npy: byte \d+: \.npy record 1: field 't' = NaN is not a finite time stamp/.test(e.message));
  assert.throws(() => decodeNpy(withSecond(-Infinity), { file: 'inf.npy' }), /field 't' = -Infinity/);
  assert.deepEqual(Array.from(decodeNpy(withSecond(2.5), { file: 'ok.npy' }).t), [1.5, 2.5]);
});

test("an NPY header's '__proto__' key is an ordinary key, not the dict's prototype", () => {
  const body = new Uint8Array(13);
  // Everything the reader needs hides behind '__proto__': a dict with that prototype would read as valid.
  const file = npy("{'__proto__': {'descr': [('t', '<i8'), ('x', '<u2'), ('y', '<u2'), ('p', '|u1')], 'fortran_order': False, 'shape': (1,)}}", body);
  assert.throws(() => decodeNpy(file, { file: 'proto.npy' }), (e: unknown) => e instanceof FormatError && /^proto\.npy: byte 10: \.npy fortran_order must be False \(got nothing\)/.test(e.message));
  // A dict value where a bool belongs is shown, not turned into '[object Object]' (or a TypeError).
  const odd = npy("{'descr': [('t', '<i8')], 'fortran_order': {'a': 1}, 'shape': (1,)}", new Uint8Array(8));
  assert.throws(() => decodeNpy(odd, { file: 'odd.npy' }), /fortran_order must be False \(got \{"a":1\}\)/);
});
