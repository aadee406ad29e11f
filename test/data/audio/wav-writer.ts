// A tiny WAV writer for the reader's tests, written independently of the
// reader: it lays out the RIFF chunks byte by byte so a test can also build
// damaged files (wrong sizes, extra chunks, odd padding, foreign formats).

export interface TestWavChunk {
  id: string;
  body: Uint8Array;
  /** Size to write in the header instead of body.length (to fake truncation or absurd sizes). */
  declaredSize?: number;
}

export type TestSampleFormat = 'u8' | 's16' | 's24' | 's32' | 'f32' | 'f64';

const BITS: Record<TestSampleFormat, number> = { u8: 8, s16: 16, s24: 24, s32: 32, f32: 32, f64: 64 };

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** The `fmt ` body: plain (16 bytes) or WAVE_FORMAT_EXTENSIBLE (40 bytes) with the code in the GUID. */
export function fmtBody(opts: { code: number; channels: number; rate: number; bits: number; extensible?: boolean; blockAlign?: number }): Uint8Array {
  const ext = opts.extensible === true;
  const b = new Uint8Array(ext ? 40 : 16);
  const v = new DataView(b.buffer);
  const align = opts.blockAlign ?? (opts.channels * opts.bits) / 8;
  v.setUint16(0, ext ? 0xfffe : opts.code, true);
  v.setUint16(2, opts.channels, true);
  v.setUint32(4, opts.rate, true);
  v.setUint32(8, opts.rate * align, true);
  v.setUint16(12, align, true);
  v.setUint16(14, opts.bits, true);
  if (ext) {
    v.setUint16(16, 22, true); // cbSize
    v.setUint16(18, opts.bits, true); // valid bits
    v.setUint32(20, opts.channels === 1 ? 4 : 3, true); // channel mask
    // KSDATAFORMAT_SUBTYPE_*: {0000xxxx-0000-0010-8000-00aa00389b71}
    v.setUint16(24, opts.code, true);
    b.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26);
  }
  return b;
}

/** Interleaved frames [frame][channel] encoded in the given sample format. */
export function encodeSamples(frames: readonly (readonly number[])[], fmt: TestSampleFormat): Uint8Array {
  const bytes = BITS[fmt] / 8;
  const ch = frames[0]?.length ?? 1;
  const out = new Uint8Array(frames.length * ch * bytes);
  const v = new DataView(out.buffer);
  let o = 0;
  for (const f of frames) {
    for (const x of f) {
      switch (fmt) {
        case 'u8':
          v.setUint8(o, Math.max(0, Math.min(255, Math.round(x * 128 + 128))));
          break;
        case 's16':
          v.setInt16(o, Math.max(-32768, Math.min(32767, Math.round(x * 32768))), true);
          break;
        case 's24': {
          const q = Math.max(-8388608, Math.min(8388607, Math.round(x * 8388608)));
          v.setUint8(o, q & 255);
          v.setUint8(o + 1, (q >> 8) & 255);
          v.setUint8(o + 2, (q >> 16) & 255);
          break;
        }
        case 's32':
          v.setInt32(o, Math.max(-2147483648, Math.min(2147483647, Math.round(x * 2147483648))), true);
          break;
        case 'f32':
          v.setFloat32(o, x, true);
          break;
        case 'f64':
          v.setFloat64(o, x, true);
          break;
      }
      o += bytes;
    }
  }
  return out;
}

/** RIFF/WAVE around the given chunks, each padded to an even length. */
export function riff(chunks: readonly TestWavChunk[], riffSize?: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const c of chunks) {
    const head = new Uint8Array(8);
    head.set(ascii(c.id), 0);
    new DataView(head.buffer).setUint32(4, c.declaredSize ?? c.body.length, true);
    parts.push(head, c.body);
    if (c.body.length % 2 === 1) parts.push(new Uint8Array(1));
  }
  const len = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(12 + len);
  out.set(ascii('RIFF'), 0);
  new DataView(out.buffer).setUint32(4, riffSize ?? 4 + len, true);
  out.set(ascii('WAVE'), 8);
  let o = 12;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A complete WAV file of interleaved frames. */
export function writeTestWav(frames: readonly (readonly number[])[], rate: number, fmt: TestSampleFormat, extensible = false): Uint8Array {
  const code = fmt === 'f32' || fmt === 'f64' ? 3 : 1;
  const channels = frames[0]?.length ?? 1;
  return riff([
    { id: 'fmt ', body: fmtBody({ code, channels, rate, bits: BITS[fmt], extensible }) },
    { id: 'data', body: encodeSamples(frames, fmt) },
  ]);
}
