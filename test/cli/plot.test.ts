import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeChannelEvents, makeDvsEvents } from '../../src/data/events/stream.js';
import { writeEventStream } from '../../src/data/events/io-node.js';
import { EVENT_FORMATS } from '../../src/data/events/formats/registry.js';
import { repoRoot } from '../helpers.js';
import { pngSize } from '../viz/svg-test-utils.js';

/*
 * Plots end to end: a tiny training run writes plots/, plots/data.json and
 * report.html; `spikeflow plot` redraws them (SVG and PNG), draws event
 * files, and rejects bad input with one line, exit code 2 and no file.
 */

const root = repoRoot();
const bin = join(root, 'bin', 'spikeflow.js');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const config = `
name: plotrun
seed: 5
data: { dataset: mnist, batch_size: 32, test_batch_size: 64, train_limit: 64, test_limit: 64 }
encoder: { type: direct, steps: 3 }
model:
  layers:
    - { type: linear, out: 20 }
    - { type: lif, beta: 0.9 }
    - { type: linear, out: 10 }
    - { type: lif, beta: 0.9 }
train:
  epochs: 2
  loss: { type: ce_rate }
  optimizer: { type: adam, lr: 0.004 }
`;

test('plot: a training run writes its plots and report.html; plot RUN redraws them as SVG and PNG; bad input exits 2', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-plot-'));
  try {
    const cfg = join(tmp, 'plotrun.yaml');
    writeFileSync(cfg, config);
    const out = join(tmp, 'run');
    const t = run(['train', '-c', cfg, '--set', 'train.epochs=1', '-o', out, '-q', '--backend', 'ts']);
    assert.equal(t.code, 0, t.stderr);
    const plots = readdirSync(join(out, 'plots')).sort();
    assert.deepEqual(plots, ['class-accuracy.svg', 'confusion.svg', 'curves.svg', 'data.json', 'energy.svg', 'firing-rates.svg', 'heatmap-3.svg', 'heatmap-5.svg', 'neurons.svg', 'raster-3.svg', 'raster-5.svg', 'traces-3.svg', 'traces-5.svg']);
    const data = JSON.parse(readFileSync(join(out, 'plots', 'data.json'), 'utf8'));
    // The confusion matrix counts the 64 test samples, and agrees with the reported accuracy.
    const m = data.confusion as number[][];
    const total = m.flat().reduce((a, b) => a + b, 0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(total, 64);
    assert.equal(m.reduce((a, r, i) => a + r[i]!, 0) / total, summary.accuracy);
    assert.equal(data.recording.labels.length, 8);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.equal((html.match(/<svg /g) ?? []).length, 12, 'every plot inline');
    assert.match(html, /<h2>Config<\/h2>\s*<pre># resolved from/);
    assert.doesNotMatch(html, /<script|<link|src="http/, 'self-contained');
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /\(plots\/raster-3\.svg\)/);

    // Redraw everything in place, byte for byte the same pictures.
    const before = readFileSync(join(out, 'plots', 'raster-3.svg'), 'utf8');
    const again = run(['plot', out]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /wrote 12 plots/);
    assert.equal(readFileSync(join(out, 'plots', 'raster-3.svg'), 'utf8'), before);

    const png = join(tmp, 'png');
    const p = run(['plot', out, '--what', 'curves,traces', '--layer', '5', '--sample', '2', '--png', '--out', png]);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(readdirSync(png).sort(), ['curves.png', 'traces-5.png']);
    assert.deepEqual(pngSize(readFileSync(join(png, 'curves.png'))), { width: 1720, height: 760 });

    const bad = join(tmp, 'bad');
    for (const [args, msg] of [
      [['plot', join(tmp, 'missing'), '--out', bad], /run folder not found/],
      [['plot', out, '--what', 'pie', '--out', bad], /--what pie: unknown plot/],
      [['plot', out, '--what', 'raster', '--layer', 'fc9', '--out', bad], /--layer fc9: no such spiking layer/],
      [['plot', out, '--sample', '8', '--out', bad], /--sample 8: the run recorded 8 test samples/],
      [['plot', tmp, '--out', bad], /has no plots\/data\.json/],
    ] as const) {
      const r = run([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(existsSync(bad), false, `${args.join(' ')} created ${bad}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('plot events: DVS files give polarity frames, channel files a raster', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-plot-events-'));
  try {
    const dvs = join(tmp, 'digit.bin');
    writeEventStream(dvs, makeDvsEvents({ x: [1, 2, 3, 4], y: [1, 2, 3, 4], t: [0, 1000, 2000, 3000], p: [1, 0, 1, 0], width: 34, height: 34 }), 'nmnist');
    const r = run(['plot', 'events', dvs, '--bins', '2', '--out', join(tmp, 'o')]);
    assert.equal(r.code, 0, r.stderr);
    const svg = readFileSync(join(tmp, 'o', 'digit-frames.svg'), 'utf8');
    assert.equal((svg.match(/class="frame"/g) ?? []).length, 2);
    assert.equal((svg.match(/class="pixel"/g) ?? []).length, 4);

    const ch = join(tmp, 'audio.npy');
    writeEventStream(ch, makeChannelEvents({ t: [0, 10, 20], channel: [0, 5, 9], channels: 10, timeUnit: 'us' }), 'npy');
    const c = run(['plot', 'events', ch, '--png', '--out', join(tmp, 'o')]);
    assert.equal(c.code, 0, c.stderr);
    assert.ok(existsSync(join(tmp, 'o', 'audio-raster.png')));

    const none = run(['plot', 'events', join(tmp, 'nope.bin'), '--out', join(tmp, 'x')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /file not found/);
    assert.equal(existsSync(join(tmp, 'x')), false);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('plot events: every event format the library reads (nmnist, aedat2, aedat3, evt2, npy, SHD HDF5)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-plot-formats-'));
  try {
    const ext: Record<string, string> = { nmnist: 'bin', aedat2: 'aedat', aedat3: 'aedat3', evt2: 'raw', npy: 'npy' };
    // N-MNIST and EVT 2.0 stamp microseconds; six events over 5 ms in two polarities.
    const dvs = makeDvsEvents({ x: [1, 2, 3, 4, 5, 6], y: [6, 5, 4, 3, 2, 1], t: [0, 1000, 2000, 3000, 4000, 5000], p: [1, 0, 1, 0, 1, 1], width: 34, height: 34 });
    for (const format of EVENT_FORMATS) {
      const file = join(tmp, `rec-${format}.${ext[format]}`);
      writeEventStream(file, dvs, format);
      const r = run(['plot', 'events', file, '--format', format, '--bins', '3', '--out', join(tmp, format)]);
      assert.equal(r.code, 0, `${format}: ${r.stderr}`);
      const svg = readFileSync(join(tmp, format, `rec-${format}-frames.svg`), 'utf8');
      assert.equal((svg.match(/class="frame"/g) ?? []).length, 3, format);
      assert.equal((svg.match(/class="pixel"/g) ?? []).length, 6, `${format}: one pixel per event`);
    }
    // SHD/SSC recordings (HDF5, channel events): the committed small SHD file gives a channel raster.
    const shd = join(repoRoot(), 'test', 'fixtures', 'shd-vlen-small.h5');
    const h = run(['plot', 'events', shd, '--out', join(tmp, 'shd')]);
    assert.equal(h.code, 0, h.stderr);
    assert.ok(readdirSync(join(tmp, 'shd')).some((f) => f.endsWith('-raster.svg')), readdirSync(join(tmp, 'shd')).join(', '));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
