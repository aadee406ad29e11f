import { FormatError } from '../../errors.js';

/*
 * RIFF/WAVE reader (browser-safe: bytes in, samples out). Reads the `fmt `
 * and `data` chunks and skips every other chunk (LIST, fact, cue, ...), with
 * the RIFF rule that an odd-sized chunk is followed by one pad byte.
 * Supported sample formats: integer PCM of 8 (unsigned), 16, 24 and 32 bits,
 * IEEE float of 32 and 64 bits, directly (format codes 1 and 3) or inside
 * WAVE_FORMAT_EXTENSIBLE (0xFFFE, whose sub-format GUID carries the code).
 * Compressed formats (μ-law, A-law, ADPCM, MP3, ...) are refused by code.
 *
 * Every size read from the file is checked against the file's length before
 * anything is allocated from it, so a damaged or hostile header cannot ask
 * for gigabytes.
 */

export interface WavAudio {
  readonly sampleRate: number;
  /** Mono samples, full scale ±1 (the mix-down, or the chosen channel); float files are passed through unclipped. */
  readonly samples: Float32Array;
  /** Channels in the file (before the mix-down). */
  readonly channels: number;
}

export interface WavDecodeOptions {
  /** Named in error messages. */
  file?: string;
  /** Keep only this channel (0-based); default: the mean of all channels. */
  channel?: number;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Names of the common format codes a reader meets, for the refusal message. */
const FORMAT_NAMES: Readonly<Record<number, string>> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'μ-law',
  0x11: 'IMA ADPCM',
  0x31: 'GSM 6.10',
  0x50: 'MPEG',
  0x55: 'MP3',
};

/** The layout a `fmt ` chunk declares, after EXTENSIBLE is resolved to its sub-format. */
interface Format {
  readonly code: typeof FORMAT_PCM | typeof FORMAT_FLOAT;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bits: number;
  readonly blockAlign: number;
}

function fail(file: string | undefined, offset: number, msg: string): never {
  throw new FormatError(`${file ?? 'WAV data'}: byte ${offset}: ${msg}`);
}

function fourcc(b: Uint8Array, o: number): string {
  return String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);
}

function formatName(code: number): string {
  const name = FORMAT_NAMES[code];
  return `format code ${code} (0x${code.toString(16).padStart(4, '0')}${name ? `, ${name}` : ''})`;
}

function readFormat(v: DataView, o: number, size: number, file: string | undefined): Format {
  if (size < 16) fail(file, o, `'fmt ' chunk is ${size} bytes, needs at least 16`);
  let code = v.getUint16(o, true);
  const channels = v.getUint16(o + 2, true);
  const sampleRate = v.getUint32(o + 4, true);
  const blockAlign = v.getUint16(o + 12, true);
  const bits = v.getUint16(o + 14, true);
  if (code === FORMAT_EXTENSIBLE) {
    // cbSize (2), valid bits (2), channel mask (4), sub-format GUID (16): the GUID's first two bytes are the code.
    if (size < 40) fail(file, o, `'fmt ' chunk of WAVE_FORMAT_EXTENSIBLE is ${size} bytes, needs 40`);
    code = v.getUint16(o + 24, true);
  }
  if (code !== FORMAT_PCM && code !== FORMAT_FLOAT) {
    fail(file, o, `'fmt ' format: ${formatName(code)} is not supported (only PCM, code 1, and IEEE float, code 3)`);
  }
  if (channels === 0) fail(file, o + 2, "'fmt ' channels is 0");
  if (sampleRate === 0) fail(file, o + 4, "'fmt ' sample rate is 0");
  const okBits = code === FORMAT_PCM ? [8, 16, 24, 32] : [32, 64];
  if (!okBits.includes(bits)) {
    fail(file, o + 14, `'fmt ' bits per sample ${bits} is not supported for ${code === FORMAT_PCM ? 'PCM (8, 16, 24, 32)' : 'float (32, 64)'}`);
  }
  if (blockAlign !== channels * (bits / 8)) {
    fail(file, o + 12, `'fmt ' block align ${blockAlign} does not match ${channels} channels × ${bits / 8} bytes`);
  }
  return { code, channels, sampleRate, bits, blockAlign };
}

/** Sample `i` (byte offset `o`) as a number in [-1, 1]. */
function sampleReader(f: Format, v: DataView): (o: number) => number {
  if (f.code === FORMAT_FLOAT) return f.bits === 32 ? (o) => v.getFloat32(o, true) : (o) => v.getFloat64(o, true);
  switch (f.bits) {
    case 8:
      return (o) => (v.getUint8(o) - 128) / 128; // 8-bit PCM is unsigned, centred on 128
    case 16:
      return (o) => v.getInt16(o, true) / 32768;
    case 24:
      return (o) => ((v.getUint8(o) | (v.getUint8(o + 1) << 8) | (v.getInt8(o + 2) << 16)) / 8388608);
    default:
      return (o) => v.getInt32(o, true) / 2147483648;
  }
}

/** Decode a WAV file's bytes (see the module comment for what is accepted). */
export function decodeWav(bytes: Uint8Array, opts: WavDecodeOptions = {}): WavAudio {
  const file = opts.file;
  if (bytes.length < 12 || fourcc(bytes, 0) !== 'RIFF' || fourcc(bytes, 8) !== 'WAVE') {
    fail(file, 0, `not a RIFF/WAVE file (${bytes.length < 12 ? `${bytes.length} bytes` : `starts with '${fourcc(bytes, 0)}', form '${fourcc(bytes, 8)}'`})`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riffEnd = 8 + v.getUint32(4, true);
  // A RIFF size past the end is a truncated file; chunks are read only within both bounds.
  const end = Math.min(riffEnd, bytes.length);
  let format: Format | null = null;
  let data: { offset: number; size: number } | null = null;
  let o = 12;
  while (o + 8 <= end) {
    const id = fourcc(bytes, o);
    const size = v.getUint32(o + 4, true);
    const body = o + 8;
    if (id === 'fmt ') {
      if (body + size > bytes.length) fail(file, o, `'fmt ' chunk declares ${size} bytes, the file ends after ${bytes.length - body}`);
      format = readFormat(v, body, size, file);
    } else if (id === 'data') {
      if (body + size > bytes.length) fail(file, o, `truncated: 'data' chunk declares ${size} bytes, the file holds ${bytes.length - body}`);
      data = { offset: body, size };
      if (format !== null) break; // everything needed; later chunks (LIST, id3) are not read
    }
    o = body + size + (size & 1);
  }
  if (format === null) fail(file, 12, "no 'fmt ' chunk");
  if (data === null) fail(file, 12, "no 'data' chunk");
  const { channels, blockAlign } = format;
  if (opts.channel !== undefined && !(Number.isInteger(opts.channel) && opts.channel >= 0 && opts.channel < channels)) {
    throw new FormatError(`${file ?? 'WAV data'}: channel ${opts.channel} requested, the file has ${channels} (0..${channels - 1})`);
  }
  if (data.size % blockAlign !== 0) fail(file, data.offset, `'data' chunk of ${data.size} bytes is not a whole number of ${blockAlign}-byte frames`);
  // The size was checked against the file above, so this allocation is bounded by the input.
  const frames = data.size / blockAlign;
  const samples = new Float32Array(frames);
  const read = sampleReader(format, v);
  const step = format.bits / 8;
  for (let i = 0; i < frames; i++) {
    const base = data.offset + i * blockAlign;
    let s = 0;
    if (opts.channel !== undefined) s = read(base + opts.channel * step);
    else {
      for (let c = 0; c < channels; c++) s += read(base + c * step);
      s /= channels;
    }
    // Float files can hold anything; a NaN or infinity would poison every filter downstream.
    // The samples are float32, so a float64 sample beyond its range would become infinite on the way in.
    const f = Math.fround(s);
    if (!Number.isFinite(f)) fail(file, base, `sample ${i} is ${s}${Number.isFinite(s) ? ' (beyond the float32 range of the samples)' : ''}`);
    samples[i] = f;
  }
  return { sampleRate: format.sampleRate, samples, channels };
}
