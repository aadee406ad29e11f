import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, NotFoundError } from '../../../src/errors.js';
import { loadDataset } from '../../../src/data/load-node.js';
import { spokenDigitsLists } from '../../../src/data/audio/spoken-digits-node.js';
import { DIGIT_WORDS, RENDITIONS, speakerName, TEST_VARIANTS, VALIDATION_VARIANTS, VARIANTS } from '../../../src/data/audio/spoken-digits.js';
import { parseConfigText } from '../../../src/config/load-node.js';

const hasEspeak = spawnSync('espeak-ng', ['--version']).status === 0;
const noEspeak = hasEspeak ? false : 'espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)';

test('spoken-digits corpus: speaker-independent splits of the documented sizes, labels language·10 + digit', () => {
  for (const split of ['test', 'validation'] as const) {
    const { train, test } = spokenDigitsLists(split);
    const trainSpeakers = new Set(train.map((u) => speakerName(u.speaker)));
    const testSpeakers = new Set(test.map((u) => speakerName(u.speaker)));
    assert.deepEqual([...testSpeakers].filter((s) => trainSpeakers.has(s)), [], `${split}: a speaker in both splits`);
    // Stricter: a held-out variant (timbre) is not heard in training in either language.
    const trainVariants = new Set(train.map((u) => u.speaker.variant));
    const held = split === 'test' ? TEST_VARIANTS : VALIDATION_VARIANTS;
    assert.deepEqual(new Set(test.map((u) => u.speaker.variant)), new Set(held));
    for (const v of held) assert.ok(!trainVariants.has(v), `${split}: variant ${v} in training`);
    const trainN = (VARIANTS.length - TEST_VARIANTS.length - (split === 'validation' ? VALIDATION_VARIANTS.length : 0)) * 2 * 10 * RENDITIONS;
    assert.deepEqual([train.length, test.length], [trainN, held.length * 2 * 10 * RENDITIONS]);
    // Every block of 20 holds the 20 classes, so any train_limit that is a multiple of 20 is balanced.
    for (let a = 0; a < 200; a += 20) assert.deepEqual(train.slice(a, a + 20).map((u) => u.label).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
    for (const u of [...train, ...test]) {
      assert.equal(u.label, (u.speaker.language === 'de' ? 10 : 0) + u.digit);
      assert.equal(u.text, DIGIT_WORDS[u.speaker.language][u.digit]);
    }
  }
  // The validation speakers never appear in test, and are training speakers under split: test.
  const full = spokenDigitsLists('test');
  assert.ok(VALIDATION_VARIANTS.every((v) => full.train.some((u) => u.speaker.variant === v)));
  assert.ok(VALIDATION_VARIANTS.every((v) => !TEST_VARIANTS.includes(v)));
  // Prosody is fixed by the utterance's name: the same lists every time.
  assert.deepEqual(spokenDigitsLists('test').train.slice(0, 50), full.train.slice(0, 50));
});

test('spoken-digits dataset: synthesized into the cache once, [frames, channels] spikes, limits, options', { skip: noEspeak }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-digits-'));
  try {
    const lines: string[] = [];
    const r = { frames: 20, trainLimit: 20, testLimit: 4, cacheDir: dir, log: (l: string) => lines.push(l), options: { channels: 16 } };
    const a = loadDataset('spoken-digits', r);
    assert.deepEqual([a.train.length, a.test.length, a.train.numClasses], [20, 4, 20]);
    assert.deepEqual(a.train.shape, [20, 16]);
    assert.deepEqual(Array.from(a.train.labels).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
    assert.ok(lines.some((l) => /synthesizing 24 utterances with eSpeak NG/.test(l)), lines.join('\n'));
    assert.equal(readdirSync(join(dir, 'spoken-digits', 'audio')).filter((f) => f.endsWith('.wav')).length, 24);
    // Each utterance fires a few hundred spikes or more, inside the first second.
    for (let i = 0; i < a.train.length; i++) {
      const s = a.train.images.subarray(i * a.train.features, (i + 1) * a.train.features).reduce((x, y) => x + y, 0);
      assert.ok(s > 100, `train sample ${i}: ${s} spikes`);
    }
    // Second load: no synthesis, frames from the cache, the same numbers.
    lines.length = 0;
    const b = loadDataset('spoken-digits', r);
    assert.ok(!lines.some((l) => /synthesizing/.test(l)) && lines.some((l) => /0 converted, 24 from/.test(l)), lines.join('\n'));
    assert.deepEqual(b.train.images, a.train.images);
    // Another front end reuses the audio (no synthesis) and gives other frames; noise is deterministic.
    lines.length = 0;
    const mel = loadDataset('spoken-digits', { ...r, options: { channels: 16, filterbank: 'mel' } });
    assert.ok(!lines.some((l) => /synthesizing/.test(l)));
    assert.notDeepEqual(mel.train.images, a.train.images);
    const noisy = loadDataset('spoken-digits', { ...r, cacheDir: null, options: { channels: 16, noise_snr_db: 5 } });
    const noisy2 = loadDataset('spoken-digits', { ...r, cacheDir: null, options: { channels: 16, noise_snr_db: 5 } });
    assert.deepEqual(noisy.train.images, noisy2.train.images);
    assert.notDeepEqual(noisy.train.images, a.train.images);
    // split: validation puts the validation speakers in the "test" split (synthesizes those).
    const val = loadDataset('spoken-digits', { ...r, trainLimit: 1, testLimit: 2, options: { channels: 16, split: 'validation' } });
    assert.equal(val.test.length, 2);
    // Bad options name the field.
    assert.throws(() => loadDataset('spoken-digits', { ...r, options: { f_max: 9000 } }), (e: unknown) => e instanceof ConfigError && /f_max 9000 Hz must be below the Nyquist frequency 8000/.test(e.message));
    assert.throws(() => loadDataset('spoken-digits', { ...r, options: { noise_snr_db: 'loud' } }), (e: unknown) => e instanceof ConfigError && /noise_snr_db/.test(e.message));
    assert.throws(() => loadDataset('spoken-digits', { ...r, options: { filterbank: 'bark' } }), (e: unknown) => e instanceof ConfigError && /'gammatone', 'mel'/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spoken-digits: without espeak-ng, a one-line error that says how to install it', () => {
  const saved = process.env['SPIKEFLOW_ESPEAK_NG'];
  process.env['SPIKEFLOW_ESPEAK_NG'] = '/nonexistent/espeak-ng';
  try {
    assert.throws(
      () => loadDataset('spoken-digits', { frames: 10, trainLimit: 1, testLimit: 1, cacheDir: null }),
      (e: unknown) => e instanceof NotFoundError && /'\/nonexistent\/espeak-ng' not found/.test(e.message) && /apt-get install espeak-ng/.test(e.message) && !e.message.includes('\n'),
    );
  } finally {
    if (saved === undefined) delete process.env['SPIKEFLOW_ESPEAK_NG'];
    else process.env['SPIKEFLOW_ESPEAK_NG'] = saved;
  }
});

test('spoken-digits in a config: options are checked and defaults shown in snake_case', () => {
  const model = 'model: { layers: [{ type: linear, out: 20 }, { type: lif }] }\nencoder: { type: frames, steps: 20 }';
  const cfg = parseConfigText(`data: { dataset: spoken-digits, options: { channels: 32, noise_snr_db: 10 } }\n${model}`, 'a.yaml');
  assert.equal(cfg.data.options?.['channels'], 32);
  assert.equal(cfg.data.options?.['sample_rate'], 16000);
  assert.equal(cfg.data.options?.['duration_ms'], 1000);
  assert.throws(() => parseConfigText(`data: { dataset: spoken-digits, options: { chanels: 32 } }\n${model}`, 'b.yaml'), (e: unknown) => e instanceof ConfigError && /chanels/.test(e.message));
});
