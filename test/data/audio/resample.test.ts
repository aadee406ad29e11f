import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { resample } from '../../../src/data/audio/resample.js';

const tone = (n: number, f: number, rate: number, amp = 0.5): Float32Array => Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / rate));

function rms(x: Float32Array, a = 0, b = x.length): number {
  let s = 0;
  for (let i = a; i < b; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (b - a));
}

test('resample: a tone below both Nyquist frequencies survives (down, up, and a large-ratio fallback)', () => {
  for (const [from, to, f] of [[22050, 16000, 1000], [16000, 44100, 3000], [8000, 16000, 440], [44100, 16001, 2500]] as const) {
    const x = tone(from, f, from); // one second
    const y = resample(x, from, to);
    assert.equal(y.length, Math.ceil((x.length * to) / from), `${from}→${to} length`);
    // Away from the edges (zero padding there), the output is the same tone sampled at the new rate.
    const margin = Math.ceil(to / 50);
    let maxErr = 0;
    for (let j = margin; j < y.length - margin; j++) maxErr = Math.max(maxErr, Math.abs(y[j]! - 0.5 * Math.sin((2 * Math.PI * f * j) / to)));
    assert.ok(maxErr < 2e-3, `${from}→${to}, ${f} Hz: max error ${maxErr}`);
  }
  // DC passes exactly (each phase sums to 1).
  const dc = resample(new Float32Array(2000).fill(0.25), 22050, 16000);
  for (let j = 50; j < dc.length - 50; j++) assert.ok(Math.abs(dc[j]! - 0.25) < 1e-6);
});

test('resample: content above the new Nyquist frequency is removed, not aliased', () => {
  // 10 kHz at 22,050 Hz would alias to 6 kHz at 16 kHz; 6 kHz is inside the pass band and stays.
  const hi = resample(tone(22050, 10000, 22050), 22050, 16000);
  const keep = resample(tone(22050, 6000, 22050), 22050, 16000);
  const dbHi = 20 * Math.log10(rms(hi, 400, hi.length - 400) / (0.5 / Math.SQRT2));
  const dbKeep = 20 * Math.log10(rms(keep, 400, keep.length - 400) / (0.5 / Math.SQRT2));
  assert.ok(dbHi < -60, `10 kHz after 22,050 → 16,000 Hz: ${dbHi.toFixed(1)} dB`);
  assert.ok(Math.abs(dbKeep) < 0.1, `6 kHz: ${dbKeep.toFixed(2)} dB`);
  // Halving the rate: 5 kHz (above the new 4 kHz Nyquist) is attenuated, 3 kHz is not.
  const h2 = resample(tone(16000, 5000, 16000), 16000, 8000);
  assert.ok(rms(h2, 200, h2.length - 200) < 0.5e-3, 'half rate: 5 kHz removed');
});

test('resample: same rate copies; bad rates are ConfigErrors', () => {
  const x = tone(100, 50, 1000);
  const y = resample(x, 1000, 1000);
  assert.deepEqual(Array.from(y), Array.from(x));
  assert.notEqual(y, x);
  assert.throws(() => resample(x, 0, 16000), (e: unknown) => e instanceof ConfigError && /fromRate/.test(e.message));
  assert.throws(() => resample(x, 16000, 22050.5), (e: unknown) => e instanceof ConfigError && /toRate/.test(e.message));
  assert.equal(resample(new Float32Array(0), 22050, 16000).length, 0);
});
