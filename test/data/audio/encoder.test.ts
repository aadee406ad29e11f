import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { compress, lifEncode } from '../../../src/data/audio/encoder.js';
import { AUDIO_FRONTEND_DEFAULTS, audioToSpikes } from '../../../src/data/audio/frontend.js';
import { erbSpace, type FilterbankOutput } from '../../../src/data/audio/gammatone.js';
import { addNoise } from '../../../src/data/audio/noise.js';

/** A non-negative envelope bank (as the mel bank gives), channel-major. */
function bank(rows: readonly (readonly number[])[], rate: number): FilterbankOutput {
  const n = rows[0]!.length;
  const data = new Float32Array(rows.length * n);
  rows.forEach((r, c) => data.set(r, c * n));
  return { channels: rows.length, frames: n, rate, data, centres: Float64Array.from(rows, (_, i) => 100 * (i + 1)) };
}

const constant = (n: number, v: number): number[] => new Array<number>(n).fill(v);

test('LIF encoder: silent below threshold, rate grows with the drive, capped by the refractory period', () => {
  const opts = { tauMs: 5, threshold: 0.5, refractoryMs: 2 };
  const n = 1000; // one second at 1 kHz
  const ev = lifEncode(bank([constant(n, 0.4), constant(n, 0.6), constant(n, 1.2), constant(n, 50)], 1000), 'none', false, opts);
  const counts = [0, 0, 0, 0];
  for (const c of ev.channel) counts[c]!++;
  assert.equal(counts[0], 0, 'below threshold: silent');
  assert.ok(counts[1]! > 0 && counts[1]! < counts[2]! && counts[2]! < counts[3]!, `rates grow with the drive: ${counts}`);
  assert.ok(counts[3]! <= 500, `2 ms refractory caps the rate at 500 Hz: ${counts[3]}`);
  // Every pair of spikes of one channel is at least the refractory period apart.
  for (let c = 0; c < 4; c++) {
    const ts = Array.from(ev.t).filter((_, i) => ev.channel[i] === c);
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! - ts[i - 1]! >= 0.002 - 1e-12, `channel ${c} ISI ${ts[i]! - ts[i - 1]!}`);
  }
  // Sorted by time (seconds, the SHD unit), channels ascending within a step.
  assert.equal(ev.timeUnit, 's');
  assert.equal(ev.channels, 4);
  for (let i = 1; i < ev.t.length; i++) assert.ok(ev.t[i]! > ev.t[i - 1]! || (ev.t[i] === ev.t[i - 1] && ev.channel[i]! > ev.channel[i - 1]!));
  assert.throws(() => lifEncode(bank([[1]], 1000), 'none', false, { ...opts, threshold: 0 }), (e: unknown) => e instanceof ConfigError && /threshold/.test(e.message));
});

test('LIF encoder: compressions are monotone and fix 0 and 1; rectification drops the negative half', () => {
  for (const c of ['cube-root', 'log', 'none'] as const) {
    assert.equal(compress(0, c), 0);
    assert.ok(Math.abs(compress(1, c) - 1) < 1e-12);
    assert.ok(compress(0.01, c) < compress(0.02, c));
  }
  assert.ok(compress(0.001, 'log') > compress(0.001, 'cube-root'), 'log lifts quiet sounds most');
  // A negative-only signal never fires once rectified; the same signal sign-flipped does.
  const neg = bank([constant(200, -0.9)], 1000), pos = bank([constant(200, 0.9)], 1000);
  assert.equal(lifEncode(neg, 'none', true, { tauMs: 5, threshold: 0.5, refractoryMs: 0 }).t.length, 0);
  assert.ok(lifEncode(pos, 'none', true, { tauMs: 5, threshold: 0.5, refractoryMs: 0 }).t.length > 0);
});

test('front end: a tone fires mostly the channels around its frequency, for both banks', () => {
  const rate = 22050;
  const centres = erbSpace(AUDIO_FRONTEND_DEFAULTS.fMin, AUDIO_FRONTEND_DEFAULTS.fMax, 32);
  for (const filterbank of ['gammatone', 'mel'] as const) {
    for (const c of [6, 20]) {
      const f = centres[c]!;
      const x = Float32Array.from({ length: rate / 2 }, (_, i) => 0.1 * Math.sin((2 * Math.PI * f * i) / rate));
      const ev = audioToSpikes(x, rate, { ...AUDIO_FRONTEND_DEFAULTS, filterbank, channels: 32, encoder: { ...AUDIO_FRONTEND_DEFAULTS.encoder, threshold: filterbank === 'mel' ? 0.2 : 0.12 } });
      const counts = new Array<number>(32).fill(0);
      for (const k of ev.channel) counts[k]!++;
      const best = counts.indexOf(Math.max(...counts));
      const near = counts.slice(Math.max(0, best - 2), best + 3).reduce((a, b) => a + b, 0);
      // The mel bank spaces channels on another scale than ERB: compare frequencies, not indices.
      assert.ok(filterbank === 'gammatone' ? Math.abs(best - c) <= 1 : Math.abs(Math.log2(f / centresOfMel(best))) < 0.25, `${filterbank}: tone at ${f.toFixed(0)} Hz peaks at channel ${best}: ${counts}`);
      assert.ok(near >= 0.8 * ev.t.length, `${filterbank}: ${near} of ${ev.t.length} spikes within two channels of the peak`);
    }
  }
  assert.throws(() => audioToSpikes(new Float32Array(10), 16000, { ...AUDIO_FRONTEND_DEFAULTS, fMax: 8000 }), (e: unknown) => e instanceof ConfigError && /f_max 8000 Hz must be below the Nyquist frequency 8000/.test(e.message));
});

function centresOfMel(c: number): number {
  // The default bank's mel centres (32 channels between f_min and f_max), as mel.ts spaces them.
  const m = (f: number): number => 2595 * Math.log10(1 + f / 700);
  const a = m(AUDIO_FRONTEND_DEFAULTS.fMin), b = m(AUDIO_FRONTEND_DEFAULTS.fMax);
  return 700 * (10 ** ((a + ((b - a) * (c + 1)) / 33) / 2595) - 1);
}

test('noise: the requested SNR, deterministic per seed, silence left alone', () => {
  const x = Float32Array.from({ length: 20000 }, (_, i) => 0.3 * Math.sin(i / 7));
  for (const snr of [0, 10, 20]) {
    const y = addNoise(x, snr, 5);
    let ps = 0, pn = 0;
    for (let i = 0; i < x.length; i++) {
      ps += x[i]! ** 2;
      pn += (y[i]! - x[i]!) ** 2;
    }
    const got = 10 * Math.log10(ps / pn);
    assert.ok(Math.abs(got - snr) < 0.2, `SNR ${snr}: measured ${got.toFixed(2)} dB`);
  }
  assert.deepEqual(addNoise(x, 10, 5), addNoise(x, 10, 5));
  assert.notDeepEqual(addNoise(x, 10, 5), addNoise(x, 10, 6));
  assert.deepEqual(Array.from(addNoise(new Float32Array(4), 10, 1)), [0, 0, 0, 0]);
});
