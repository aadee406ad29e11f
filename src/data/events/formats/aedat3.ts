import { FormatError } from '../../../errors.js';
import { makeDvsEvents, type DvsEvents } from '../stream.js';
import { asciiBytes, checkInside, checkIntTime, concatBytes, fail, readHeaderLines, sensorSide, viewOf, type DecodeOptions } from './common.js';

/**
 * AEDAT 3.1 (cAER/libcaer): '#' header lines ending with '#!END-HEADER', then
 * packets, each a 28-byte little-endian header
 *   int16 eventType, int16 eventSource, int32 eventSize, int32 eventTSOffset,
 *   int32 eventTSOverflow, int32 eventCapacity, int32 eventNumber, int32 eventValid
 * followed by eventCapacity × eventSize bytes. Polarity packets (type 1) hold
 * 8-byte events: uint32 data (bit 0 valid, bit 1 polarity with 1 = ON,
 * bits 2..16 y, bits 17..31 x) and int32 time stamp in µs; the full stamp is
 * eventTSOverflow · 2^31 + timestamp. Other packet types are skipped.
 */
export const AEDAT3_PACKET_HEADER = 28;
export const AEDAT3_POLARITY_TYPE = 1;
const OVERFLOW = 2 ** 31;

/** Sensor sizes of the usual sources, matched against the '#Source' header line. */
const KNOWN_SOURCES: readonly [RegExp, number, number][] = [
  [/DVS128/i, 128, 128],
  [/DAVIS240/i, 240, 180],
  [/DAVIS346/i, 346, 260],
  [/DAVIS640/i, 640, 480],
];

export interface Aedat3DecodeOptions extends DecodeOptions {
  width?: number;
  height?: number;
}

export function decodeAedat3(bytes: Uint8Array, opts: Aedat3DecodeOptions = {}): DvsEvents {
  const { lines, end } = readHeaderLines(bytes, '#', (l) => l.startsWith('#!END-HEADER'));
  if (lines.length === 0 || !lines[0]!.startsWith('#!AER-DAT3')) {
    fail(opts.file, 0, `not an AEDAT 3.x file: first line must start with '#!AER-DAT3' (got ${JSON.stringify((lines[0] ?? '').slice(0, 40))})`);
  }
  if (!lines[lines.length - 1]!.startsWith('#!END-HEADER')) fail(opts.file, end, `AEDAT 3.x header has no '#!END-HEADER' line`);
  // The sensor size a '#Source' line declares (a 'WxH' or a known camera); the caller's size wins.
  let headerW: number | undefined, headerH: number | undefined;
  for (const l of lines) {
    if (!/^#Source/i.test(l)) continue;
    const m = /(\d+)x(\d+)/.exec(l);
    if (m) {
      headerW ??= Number(m[1]);
      headerH ??= Number(m[2]);
    }
    for (const [re, w, h] of KNOWN_SOURCES) {
      if (re.test(l)) {
        headerW ??= w;
        headerH ??= h;
      }
    }
  }
  const dv = viewOf(bytes);
  // Pass 1: validate packet framing and count valid polarity events, so the
  // columns are allocated once at their exact size.
  let n = 0;
  for (let o = end; o < bytes.length; ) {
    const pk = readPacketHeader(dv, o, bytes.length, opts.file);
    if (pk.type === AEDAT3_POLARITY_TYPE) {
      for (let i = 0; i < pk.capacity; i++) if (dv.getUint32(pk.data + i * pk.size, true) & 1) n++;
    }
    o = pk.next;
  }
  const x = new Uint16Array(n), y = new Uint16Array(n), t = new Float64Array(n), p = new Uint8Array(n);
  let k = 0;
  for (let o = end; o < bytes.length; ) {
    const pk = readPacketHeader(dv, o, bytes.length, opts.file);
    if (pk.type === AEDAT3_POLARITY_TYPE) {
      for (let i = 0; i < pk.capacity; i++) {
        const e = pk.data + i * pk.size;
        const data = dv.getUint32(e, true);
        if ((data & 1) === 0) continue;
        const ts = dv.getInt32(e + pk.tsOffset, true);
        if (ts < 0) fail(opts.file, e + pk.tsOffset, `negative polarity time stamp ${ts}`);
        p[k] = (data >>> 1) & 1;
        y[k] = (data >>> 2) & 0x7fff;
        x[k] = (data >>> 17) & 0x7fff;
        t[k] = pk.overflow * OVERFLOW + ts;
        k++;
      }
    }
    o = pk.next;
  }
  const width = sensorSide('width', opts.width, headerW, x, 'x', opts);
  const height = sensorSide('height', opts.height, headerH, y, 'y', opts);
  checkInside(x, y, width, height, opts.file, 'polarity event');
  return makeDvsEvents({ x, y, t, p, width, height, timeUnit: 'us' });
}

interface PacketHeader {
  type: number;
  size: number;
  tsOffset: number;
  overflow: number;
  capacity: number;
  data: number;
  next: number;
}

function readPacketHeader(dv: DataView, o: number, length: number, file: string | undefined): PacketHeader {
  if (o + AEDAT3_PACKET_HEADER > length) fail(file, o, `truncated AEDAT 3.x packet header (${length - o} of 28 bytes)`);
  const type = dv.getInt16(o, true);
  const size = dv.getInt32(o + 4, true);
  const tsOffset = dv.getInt32(o + 8, true);
  const overflow = dv.getInt32(o + 12, true);
  const capacity = dv.getInt32(o + 16, true);
  if (size < 1 || capacity < 0) fail(file, o, `invalid AEDAT 3.x packet header (eventSize ${size}, eventCapacity ${capacity})`);
  if (type === AEDAT3_POLARITY_TYPE && (size < 8 || tsOffset < 0 || tsOffset + 4 > size)) {
    fail(file, o, `polarity packet with eventSize ${size} and eventTSOffset ${tsOffset} (expected 8 and 4)`);
  }
  // Beyond 2^22 overflows the stamp would exceed 2^53 and lose integer precision.
  if (overflow < 0 || overflow >= 2 ** 22) fail(file, o + 12, `eventTSOverflow ${overflow} is outside [0, 2^22)`);
  const data = o + AEDAT3_PACKET_HEADER;
  // Compare before multiplying out so a huge declared capacity is rejected, never allocated.
  if (capacity > (length - data) / size) fail(file, o, `packet declares ${capacity} events of ${size} bytes but only ${length - data} bytes remain`);
  return { type, size, tsOffset, overflow, capacity, data, next: data + capacity * size };
}

/** Encode polarity events as AEDAT 3.1 packets of up to `packetSize` events (split where the 2^31 overflow changes). */
export function encodeAedat3(s: DvsEvents, packetSize = 8192): Uint8Array {
  if (s.timeUnit !== 'us') throw new FormatError(`AEDAT 3.1 writer: time unit must be 'us', got '${s.timeUnit}'`);
  const source = s.width === 128 && s.height === 128 ? 'DVS128' : `spikeflow ${s.width}x${s.height}`;
  const parts: Uint8Array[] = [
    asciiBytes(`#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: ${source}\r\n#!END-HEADER\r\n`),
  ];
  const n = s.t.length;
  for (let i = 0; i < n; i++) {
    checkIntTime(s.t[i]!, i, Number.MAX_SAFE_INTEGER, 'AEDAT 3.1');
    if (s.x[i]! > 0x7fff || s.y[i]! > 0x7fff) throw new FormatError(`AEDAT 3.1 writer: event ${i} coordinates exceed 15 bits`);
  }
  for (let a = 0; a < n; ) {
    const ov = Math.floor(s.t[a]! / OVERFLOW);
    let b = a + 1;
    while (b < n && b - a < packetSize && Math.floor(s.t[b]! / OVERFLOW) === ov) b++;
    const m = b - a;
    const pk = new Uint8Array(AEDAT3_PACKET_HEADER + 8 * m);
    const dv = viewOf(pk);
    dv.setInt16(0, AEDAT3_POLARITY_TYPE, true);
    dv.setInt16(2, 1, true);
    dv.setInt32(4, 8, true);
    dv.setInt32(8, 4, true);
    dv.setInt32(12, ov, true);
    dv.setInt32(16, m, true);
    dv.setInt32(20, m, true);
    dv.setInt32(24, m, true);
    for (let i = 0; i < m; i++) {
      const j = a + i;
      const data = ((s.x[j]! << 17) | (s.y[j]! << 2) | (s.p[j]! << 1) | 1) >>> 0;
      dv.setUint32(AEDAT3_PACKET_HEADER + 8 * i, data, true);
      dv.setInt32(AEDAT3_PACKET_HEADER + 8 * i + 4, s.t[j]! - ov * OVERFLOW, true);
    }
    parts.push(pk);
    a = b;
  }
  return concatBytes(parts);
}
