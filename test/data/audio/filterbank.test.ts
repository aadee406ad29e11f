import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { erbHz, erbRate, erbRateToHz, erbSpace, gammatone } from '../../../src/data/audio/gammatone.js';
import { hzToMel, melFilterbank, melToHz } from '../../../src/data/audio/mel.js';

const RATE = 16000;
const tone = (n: number, f: number, amp = 0.5): Float32Array => Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / RATE));

/** Mean square of each channel over the second half (after the filters have settled). */
function energies(data: Float32Array, channels: number, frames: number): number[] {
  return Array.from({ length: channels }, (_, c) => {
    let s = 0;
    for (let k = frames >> 1; k < frames; k++) s += data[c * frames + k]! ** 2;
    return s / (frames - (frames >> 1));
  });
}

const argmax = (xs: readonly number[]): number => xs.reduce((b, v, i) => (v > xs[b]! ? i : b), 0);

test('ERB scale: the Glasberg & Moore values, inverse, and increasing ERB-spaced centres', () => {
  assert.ok(Math.abs(erbHz(1000) - 132.639) < 1e-3);
  assert.ok(Math.abs(erbRateToHz(erbRate(3210)) - 3210) < 1e-9);
  const c = erbSpace(100, 7000, 32);
  assert.equal(c.length, 32);
  assert.ok(Math.abs(c[0]! - 100) < 1e-9 && Math.abs(c[31]! - 7000) < 1e-6);
  const steps = Array.from({ length: 31 }, (_, i) => erbRate(c[i + 1]!) - erbRate(c[i]!));
  for (let i = 0; i < 31; i++) {
    assert.ok(c[i + 1]! > c[i]!, 'centres increase');
    assert.ok(Math.abs(steps[i]! - steps[0]!) < 1e-9, 'equal steps in ERB-rate');
  }
  assert.throws(() => erbSpace(500, 400, 8), ConfigError);
});

test('gammatone: a tone at a channel centre peaks in that channel with unit gain; neighbours fall off', () => {
  const centres = erbSpace(100, 7000, 32);
  for (const c of [3, 12, 20, 30]) {
    const fb = gammatone(tone(RATE / 2, centres[c]!), RATE, centres);
    const e = energies(fb.data, fb.channels, fb.frames);
    assert.equal(argmax(e), c, `tone at channel ${c} (${centres[c]!.toFixed(0)} Hz)`);
    // Unit gain at the centre: a 0.5 tone has mean square 0.125.
    assert.ok(Math.abs(e[c]! / 0.125 - 1) < 0.02, `gain at centre ${c}: ${e[c]! / 0.125}`);
    // Selectivity: energy decreases over the neighbouring channels on both sides, and far channels hear < 1%.
    for (let k = c + 1; k < Math.min(32, c + 6); k++) assert.ok(e[k]! < e[k - 1]!, `monotone above ${c} at ${k}`);
    for (let k = c - 1; k >= Math.max(0, c - 5); k--) assert.ok(e[k]! < e[k + 1]!, `monotone below ${c} at ${k}`);
    for (let k = 0; k < 32; k++) if (Math.abs(k - c) >= 6) assert.ok(e[k]! < 0.01 * e[c]!, `channel ${k} vs tone at ${c}: ${e[k]! / e[c]!}`);
  }
  assert.throws(() => gammatone(tone(10, 100), RATE, Float64Array.from([9000])), (e: unknown) => e instanceof ConfigError && /9000 Hz of channel 0/.test(e.message));
});

test('mel: HTK scale round trip; a tone at a triangle centre peaks there (or at a neighbour), far triangles stay quiet', () => {
  assert.ok(Math.abs(hzToMel(1000) - 999.9855) < 1e-3);
  assert.ok(Math.abs(melToHz(hzToMel(4321)) - 4321) < 1e-9);
  const fb0 = melFilterbank(tone(RATE / 4, 1000), RATE, 40, 100, 7000);
  const centres = fb0.centres;
  for (let i = 1; i < centres.length; i++) assert.ok(centres[i]! > centres[i - 1]!, 'centres increase');
  assert.equal(fb0.rate, 1000, '1 ms hop');
  for (const c of [8, 20, 35]) {
    const fb = melFilterbank(tone(RATE / 4, centres[c]!), RATE, 40, 100, 7000);
    const e = energies(fb.data, fb.channels, fb.frames);
    assert.ok(Math.abs(argmax(e) - c) <= 1, `tone at mel channel ${c}: peak at ${argmax(e)}`);
    for (let k = 0; k < 40; k++) if (Math.abs(k - c) >= 4) assert.ok(e[k]! < 0.01 * e[argmax(e)]!, `far channel ${k}`);
  }
  assert.throws(() => melFilterbank(tone(10, 100), RATE, 16, 100, 9000), (e: unknown) => e instanceof ConfigError && /f_max ≤ 8000/.test(e.message));
});
