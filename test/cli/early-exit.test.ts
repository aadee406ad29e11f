// `spikeflow eval RUN --early-exit` end to end: train a tiny run with a
// validation split, evaluate with a threshold chosen on it and with one given,
// write the accuracy-latency analysis, and refuse bad flags before anything
// is written.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

const bin = join(repoRoot(), 'bin', 'spikeflow.js');

const config = `
name: tiny-early-exit
seed: 5
data: { dataset: mnist, batch_size: 32, train_limit: 1200, test_limit: 200, validation: 200 }
encoder: { type: direct, steps: 6 }
model:
  layers:
    - { type: conv2d, out_channels: 6, kernel_size: 5, stride: 2 }
    - { type: lif, beta: 0.5 }
    - { type: linear, out: 10 }
train: { epochs: 1, loss: { type: ce_readout, reduce: per_step }, optimizer: { type: adam, lr: 0.005 } }
`;

const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-early-exit-'));
writeFileSync(join(tmp, 'cfg.yaml'), config);

function sf(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, SPIKEFLOW_BACKEND: '' } });
}

function ok(args: string[]): string {
  const r = sf(args);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

let trained = false;
function run(): string {
  if (!trained) {
    ok(['train', '-q', '--config', 'cfg.yaml', '--out', 'run']);
    trained = true;
  }
  return 'run';
}

test('eval RUN --early-exit: threshold chosen on the validation split, figures against full T, JSON summary', () => {
  const summary = JSON.parse(readFileSync(join(tmp, run(), 'summary.json'), 'utf8'));
  assert.equal(summary.dataset.validation, 200);
  assert.equal(summary.dataset.train, 1000);
  const r = JSON.parse(ok(['eval', 'run', '--early-exit', '--max-accuracy-loss', '1', '--json']));
  const e = r.early_exit;
  assert.equal(e.rule, 'maxprob');
  assert.equal(e.threshold_from, 'validation');
  assert.equal(e.selection.samples, 200);
  assert.equal(e.selection.max_accuracy_loss_points, 1);
  assert.ok(e.selection.accuracy >= e.selection.full_accuracy - 0.01 - 1e-12, 'within the target on validation');
  assert.equal(e.samples, 200);
  assert.equal(e.steps, 6);
  // Full T step by step is the ordinary evaluation.
  assert.equal(e.full.accuracy, r.accuracy);
  assert.equal(e.full.mean_steps, 6);
  assert.ok(typeof e.threshold === 'number' && e.threshold > 0.1 && e.threshold <= 1);
  assert.ok(e.early_exit.mean_steps < 6, `early exit saves steps (${e.early_exit.mean_steps})`);
  assert.equal(e.steps_histogram.reduce((a: number, b: number) => a + b, 0), 200);
  assert.equal(e.steps_histogram.reduce((a: number, c: number, i: number) => a + c * (i + 1), 0) / 200, e.early_exit.mean_steps);
  assert.ok(e.early_exit.median_steps <= e.early_exit.max_steps && e.early_exit.max_steps <= 6);
  assert.ok(e.early_exit.sops_per_sample < e.full.sops_per_sample);
  assert.ok(e.early_exit.energy_pj.fp32.compute < e.full.energy_pj.fp32.compute);
  assert.ok(Math.abs(e.steps_saved - (1 - e.early_exit.mean_steps / 6)) < 1e-12);
  assert.ok(Math.abs(e.accuracy_change_points - 100 * (e.early_exit.accuracy - e.full.accuracy)) < 1e-9);
  // Text output.
  const text = ok(['eval', '--run', 'run', '--early-exit', '--max-accuracy-loss', '1']);
  assert.match(text, /early exit: stop at maxprob ≥ [0-9.]+ \(chosen on 200 validation samples for at most 1 points of loss\)/);
  assert.match(text, /time steps {4}mean [0-9.]+ \([0-9.]+% fewer\), median [0-9.]+, max [1-6]/);
  assert.match(text, /SOPs\/sample/);
});

test('eval --early-exit --confidence --rule --front: a given threshold, and the Pareto and oracle fronts as JSON, CSV and SVG', () => {
  run();
  const r = JSON.parse(ok(['eval', 'run', '--early-exit', '--confidence', '0.3', '--rule', 'margin', '--front', 'front', '--json']));
  const e = r.early_exit;
  assert.equal(e.threshold, 0.3);
  assert.equal(e.threshold_from, 'given');
  assert.equal(e.selection, null);
  assert.deepEqual(e.front_files, ['json', 'csv', 'svg'].map((x) => join(tmp, 'front', `early-exit-front.${x}`)));
  const front = JSON.parse(readFileSync(join(tmp, 'front', 'early-exit-front.json'), 'utf8'));
  assert.equal(front.rule, 'margin');
  assert.equal(front.samples, 200);
  assert.deepEqual(front.full, { threshold: null, mean_steps: 6, accuracy: e.full.accuracy });
  // The chosen point of the offline analysis is what the online run measured.
  assert.equal(front.chosen.mean_steps, e.early_exit.mean_steps);
  assert.equal(front.chosen.accuracy, e.early_exit.accuracy);
  // The threshold front: mean steps and accuracy both rise along it; the oracle ends at full-T accuracy.
  for (let i = 1; i < front.threshold_front.length; i++) {
    assert.ok(front.threshold_front[i].mean_steps > front.threshold_front[i - 1].mean_steps);
    assert.ok(front.threshold_front[i].accuracy > front.threshold_front[i - 1].accuracy);
  }
  const oracle = front.oracle_front;
  assert.equal(oracle[oracle.length - 1].accuracy, e.full.accuracy);
  assert.ok(oracle[oracle.length - 1].mean_steps <= 6);
  const csv = readFileSync(join(tmp, 'front', 'early-exit-front.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'series,threshold,mean_steps,accuracy');
  assert.equal(csv.length, 1 + 2 + front.threshold_front.length + oracle.length);
  assert.match(csv[1]!, /^full,,6,/);
  const svg = readFileSync(join(tmp, 'front', 'early-exit-front.svg'), 'utf8');
  assert.match(svg, /<svg[^>]*>/);
  assert.match(svg, /margin ≥ 0\.3/);
  // The entropy rule takes a negative threshold.
  const h = JSON.parse(ok(['eval', 'run', '--early-exit', '--rule', 'entropy', '--confidence', '-0.4', '--json'])).early_exit;
  assert.equal(h.threshold, -0.4);
});

test('eval --early-exit: bad flags fail with one line, exit 2, before anything is written', () => {
  run();
  const bad: [string[], RegExp][] = [
    [['--early-exit', '--confidence', '2', '--front', 'never1'], /--confidence: 2 is outside the range of the maxprob confidence .* \[0\.1000, 1\] for 10 classes/],
    [['--early-exit', '--confidence', '0.9', '--max-accuracy-loss', '0.5', '--front', 'never2'], /--confidence and --max-accuracy-loss exclude each other/],
    [['--confidence', '0.9'], /--confidence goes with --early-exit/],
    [['--front', 'never3'], /--front goes with --early-exit/],
    [['--early-exit', '--rule', 'softmax'], /--rule: unknown confidence rule 'softmax' \(known: maxprob, margin, entropy\)/],
    [['--early-exit', '--confidence', 'high'], /--confidence: expected a number, got 'high'/],
    [['--early-exit', '--max-accuracy-loss', '120'], /--max-accuracy-loss: 120 is not a number of percentage points in \[0, 100\]/],
    [['--early-exit', '--set', 'data.validation=0', '--front', 'never4'], /--max-accuracy-loss chooses the threshold on the validation split, but this run holds none/],
    [['--early-exit', '--run', 'other'], /two run folders given/],
  ];
  for (const [args, msg] of bad) {
    const r = sf(['eval', 'run', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '', 'nothing printed before the error');
  }
  for (const d of ['never1', 'never2', 'never3', 'never4']) assert.equal(existsSync(join(tmp, d)), false, `${d} not created`);
});
