import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../../../src/errors.js';
import { decodeWav } from '../../../src/data/audio/wav.js';
import { assertClose } from '../../helpers.js';
import { ascii, encodeSamples, fmtBody, riff, writeTestWav, type TestSampleFormat } from './wav-writer.js';

const tone = (n: number, f: number, rate: number, amp = 0.5): number[] => Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / rate));

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => decodeWav(bytes, { file: 'x.wav' }),
    (e: unknown) => e instanceof FormatError && /^x\.wav: /.test(e.message) && pattern.test(e.message) && !e.message.includes('\n'),
  );
}

test('wav: 16-bit and float round trips (mono, stereo mixed down or one channel chosen)', () => {
  const a = tone(300, 440, 16000), b = tone(300, 1000, 16000, 0.25);
  const mono16 = decodeWav(writeTestWav(a.map((x) => [x]), 16000, 's16'));
  assert.equal(mono16.sampleRate, 16000);
  assert.equal(mono16.channels, 1);
  assertClose(mono16.samples, a, 1 / 32768, 0, '16-bit');
  const f32 = decodeWav(writeTestWav(a.map((x) => [x]), 22050, 'f32'));
  assertClose(f32.samples, Float32Array.from(a), 0, 0, 'float32 is exact');
  const f64 = decodeWav(writeTestWav(a.map((x) => [x]), 8000, 'f64'));
  assertClose(f64.samples, Float32Array.from(a), 0, 0, 'float64 rounds to float32');
  const stereo = writeTestWav(a.map((x, i) => [x, b[i]!]), 44100, 's16');
  const mixed = decodeWav(stereo);
  assert.equal(mixed.channels, 2);
  assertClose(mixed.samples, a.map((x, i) => (x + b[i]!) / 2), 1 / 32768, 0, 'mix-down');
  assertClose(decodeWav(stereo, { channel: 1 }).samples, b, 1 / 32768, 0, 'channel 1');
  assert.throws(() => decodeWav(stereo, { file: 's.wav', channel: 2 }), (e: unknown) => e instanceof FormatError && /s\.wav: channel 2 requested, the file has 2/.test(e.message));
});

test('wav: every PCM width and float, plain and WAVE_FORMAT_EXTENSIBLE, hits full scale correctly', () => {
  const values = [0, 0.5, -0.5, -1, 0.25];
  const step: Record<TestSampleFormat, number> = { u8: 1 / 128, s16: 1 / 32768, s24: 1 / 8388608, s32: 1 / 2147483648, f32: 0, f64: 0 };
  for (const fmt of Object.keys(step) as TestSampleFormat[]) {
    for (const ext of [false, true]) {
      const w = decodeWav(writeTestWav(values.map((x) => [x, -x, x]), 12000, fmt, ext));
      assert.equal(w.channels, 3, `${fmt} ${ext}`);
      assertClose(w.samples, values.map((x) => x / 3), step[fmt], 1e-7, `${fmt}${ext ? ' extensible' : ''}`);
      assertClose(decodeWav(writeTestWav(values.map((x) => [x, -x, x]), 12000, fmt, ext), { channel: 1 }).samples, values.map((x) => -x), step[fmt] + 1e-7, 0, `${fmt} ch1`);
    }
  }
  // 8-bit PCM is unsigned: byte 0 is -1, 128 is 0, 255 just under +1.
  const u8 = riff([{ id: 'fmt ', body: fmtBody({ code: 1, channels: 1, rate: 8000, bits: 8 }) }, { id: 'data', body: Uint8Array.from([0, 128, 255]) }]);
  assert.deepEqual(Array.from(decodeWav(u8).samples), [-1, 0, 127 / 128]);
  // 24-bit sign extension: 0x800000 is -1, 0x7fffff just under +1.
  const s24 = riff([{ id: 'fmt ', body: fmtBody({ code: 1, channels: 1, rate: 8000, bits: 24 }) }, { id: 'data', body: Uint8Array.from([0, 0, 0x80, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]) }]);
  assert.deepEqual(Array.from(decodeWav(s24).samples), [-1, Math.fround(8388607 / 8388608), Math.fround(-1 / 8388608)]);
});

test('wav: unknown chunks are skipped, odd-sized chunks padded, chunks may come in any order', () => {
  const pcm = encodeSamples([[0.5], [-0.25], [0.125]], 's16'); // 6 bytes
  const fmt = { id: 'fmt ', body: fmtBody({ code: 1, channels: 1, rate: 16000, bits: 16 }) };
  const bytes = riff([
    { id: 'LIST', body: ascii('INFOISFT\u0005\u0000\u0000\u0000abc') }, // 15 bytes: odd, one pad byte follows
    fmt,
    { id: 'fact', body: Uint8Array.from([3, 0, 0, 0]) },
    { id: 'odd ', body: Uint8Array.from([1]) },
    { id: 'data', body: pcm },
    { id: 'id3 ', body: Uint8Array.from([9, 9, 9]) },
  ]);
  assert.deepEqual(Array.from(decodeWav(bytes).samples), [0.5, -0.25, 0.125]);
  // data before fmt
  assert.deepEqual(Array.from(decodeWav(riff([{ id: 'data', body: pcm }, fmt])).samples), [0.5, -0.25, 0.125]);
  // 8-bit data of odd length is padded too, and the pad byte is not a sample.
  const u8 = riff([{ id: 'fmt ', body: fmtBody({ code: 1, channels: 1, rate: 8000, bits: 8 }) }, { id: 'data', body: Uint8Array.from([128, 192, 64]) }, { id: 'junk', body: new Uint8Array(2) }]);
  assert.deepEqual(Array.from(decodeWav(u8).samples), [0, 0.5, -0.5]);
  // An empty data chunk is a valid, silent file.
  assert.equal(decodeWav(riff([fmt, { id: 'data', body: new Uint8Array(0) }])).samples.length, 0);
});

test('wav: malformed input gives one-line FormatErrors naming the file and the field', () => {
  const fmt = (o: Partial<Parameters<typeof fmtBody>[0]> = {}): { id: string; body: Uint8Array } => ({ id: 'fmt ', body: fmtBody({ code: 1, channels: 1, rate: 16000, bits: 16, ...o }) });
  const data = { id: 'data', body: new Uint8Array(8) };
  rejects(ascii('RIFX\u0000\u0000\u0000\u0000WAVE'), /not a RIFF\/WAVE file.*'RIFX'/);
  rejects(ascii('RIFF\u0004\u0000\u0000\u0000AVI fmt '), /not a RIFF\/WAVE file.*form 'AVI '/);
  rejects(ascii('RIF'), /not a RIFF\/WAVE file \(3 bytes\)/);
  rejects(riff([fmt({ code: 7, bits: 8 }), data]), /format code 7 \(0x0007, μ-law\) is not supported/);
  rejects(riff([fmt({ code: 2, bits: 4, blockAlign: 256 }), data]), /format code 2 \(0x0002, Microsoft ADPCM\)/);
  rejects(riff([fmt({ code: 0x11, bits: 4, extensible: true, blockAlign: 256 }), data]), /format code 17 \(0x0011, IMA ADPCM\)/);
  rejects(riff([fmt({ channels: 0, blockAlign: 0 }), data]), /'fmt ' channels is 0/);
  rejects(riff([fmt({ rate: 0 }), data]), /sample rate is 0/);
  rejects(riff([fmt({ bits: 12 }), data]), /bits per sample 12 is not supported for PCM/);
  rejects(riff([fmt({ code: 3, bits: 16 }), data]), /bits per sample 16 is not supported for float/);
  rejects(riff([fmt({ blockAlign: 3 }), data]), /block align 3 does not match 1 channels × 2 bytes/);
  rejects(riff([{ id: 'fmt ', body: new Uint8Array(14) }, data]), /'fmt ' chunk is 14 bytes, needs at least 16/);
  rejects(riff([data]), /no 'fmt ' chunk/);
  rejects(riff([fmt()]), /no 'data' chunk/);
  rejects(riff([fmt(), { id: 'data', body: new Uint8Array(5) }]), /'data' chunk of 5 bytes is not a whole number of 2-byte frames/);
  // Truncated: the data chunk declares more than the file holds (and says how much).
  const full = riff([fmt(), { id: 'data', body: new Uint8Array(100) }]);
  rejects(full.subarray(0, full.length - 10), /truncated: 'data' chunk declares 100 bytes, the file holds 90/);
  // Absurd sizes are refused before any allocation from them.
  rejects(riff([fmt(), { id: 'data', body: new Uint8Array(4), declaredSize: 0xfffffff0 }]), /declares 4294967280 bytes, the file holds 4/);
  rejects(riff([{ id: 'fmt ', body: fmtBody({ code: 1, channels: 1, rate: 16000, bits: 16 }), declaredSize: 0x7fffffff }, data]), /'fmt ' chunk declares 2147483647 bytes/);
  // A float file holding a NaN.
  rejects(writeTestWav([[0], [NaN]], 8000, 'f32'), /sample 1 is NaN/);
  // A float64 sample beyond the float32 range would turn into Infinity in the float32 samples.
  rejects(writeTestWav([[0.5], [1e300]], 8000, 'f64'), /sample 1 is 1e\+300 \(beyond the float32 range of the samples\)/);
  rejects(writeTestWav([[0.5, 1e308], [0, 0]], 8000, 'f64'), /sample 0 is 5e\+307 \(beyond the float32 range/);
  // The message names the byte offset of the field.
  assert.throws(() => decodeWav(riff([fmt({ channels: 0, blockAlign: 0 }), data]), { file: 'a.wav' }), /^FormatError: a\.wav: byte 22: /);
});
