// `spikeflow sweep run` on this machine: cells in worker processes, the report,
// a re-run that does nothing, a killed sweep that a re-run finishes, and the
// errors for bad input.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cellIds, cli, cliBackground, completions, doneRecord, midCell, waitFor, writeTinyMatrix } from './sweep-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-sweep-run-'));

test('sweep run: each cell a run folder made by its own process, the report, and a re-run that does no work', () => {
  const m = writeTinyMatrix(tmp, 'two', [1, 2], 2);
  const out = join(tmp, 'two-out');
  const r = cli(['sweep', 'run', m, '-o', out, '--workers', '2'], tmp);
  assert.equal(r.code, 0, r.stderr);
  const ids = cellIds(out);
  assert.equal(ids.length, 2);
  for (const id of ids) {
    for (const f of ['config.yaml', 'metrics.jsonl', 'checkpoint.safetensors', 'model.safetensors', 'summary.json', 'report.md', 'done.json']) assert.ok(existsSync(join(out, 'cells', id, f)), `${id}/${f}`);
    const s = JSON.parse(readFileSync(join(out, 'cells', id, 'summary.json'), 'utf8'));
    assert.equal(s.epochs, 2);
    assert.ok(s.peak_rss_bytes > 10e6, 'peak memory of the cell process');
  }
  const done = completions(out);
  assert.deepEqual(done.map((c) => c.id).sort(), [...ids].sort());
  assert.equal(new Set(done.map((c) => c.pid)).size, 2, 'one process per cell');
  // The report: one group (the seed axis is averaged over), mean ± std, SNN beside both ANNs.
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(md, /\| seeds \| accuracy \(%\) \| T \| SNN fp32 \| ANN fp32 \| SNN int8 \| quantized ANN int8 \| SNN wins \(fp32 \/ int8\) \|/);
  assert.match(md, /\| 2 \| \d+\.\d\d ± \d+\.\d\d \| 4 \|/);
  assert.match(md, /!\[Accuracy against SNN energy per sample/);
  const lines = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.deepEqual(Object.keys(lines[0].energy), ['fp32', 'fp16', 'int8', 'int4']);
  assert.equal(lines[0].energy_row, 'int8');
  for (const f of ['report.html', 'plots/accuracy-energy.svg', 'plots/accuracy-steps.svg']) assert.ok(existsSync(join(out, f)), f);
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg /);
  // Again: nothing to run, nothing rewritten.
  const mtime = statSync(join(out, 'cells', ids[0]!, 'summary.json')).mtimeMs;
  const again = cli(['sweep', m, '-o', out, '--workers', '2'], tmp);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /2 cells, 2 already done, 0 to run/);
  assert.equal(completions(out).length, 2);
  assert.equal(statSync(join(out, 'cells', ids[0]!, 'summary.json')).mtimeMs, mtime);
  const q = cli(['sweep', 'run', m, '-o', out, '-q'], tmp);
  assert.equal(q.code, 0);
  assert.equal(q.stderr, '', '-q prints nothing');
});

test('sweep run killed mid-cell: the re-run resumes that cell from its checkpoint and runs only what was missing', async () => {
  const m = writeTinyMatrix(tmp, 'three', [1, 2, 3], 4);
  const out = join(tmp, 'three-out');
  const bg = cliBackground(['sweep', 'run', m, '-o', out, '--workers', '1'], tmp);
  // Wait until one cell is finished and the next has written a checkpoint but not finished, then kill the scheduler outright.
  await waitFor(() => completions(out).length >= 1 && midCell(out).length === 1, 120000, 'a finished cell and one mid-run');
  bg.child.kill('SIGKILL');
  await bg.exited;
  const [interrupted] = midCell(out);
  const before = completions(out);
  // The orphaned cell process notices its parent is gone and stops without marking the cell done.
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(!existsSync(join(out, 'cells', interrupted!, 'done.json')), 'the orphaned cell process stopped');
  assert.deepEqual(completions(out), before);
  const r = cli(['sweep', 'run', m, '-o', out, '--workers', '1'], tmp);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`3 cells, ${before.length} already done, ${3 - before.length} to run \\(1 resume from checkpoints\\)`));
  const all = completions(out);
  const ids = cellIds(out);
  assert.deepEqual(all.map((c) => c.id).sort(), [...ids].sort(), 'every cell completed exactly once');
  assert.deepEqual(all.slice(0, before.length), before, 'finished cells were not run again');
  assert.equal(doneRecord(out, interrupted!).resumed, true);
  const metrics = readFileSync(join(out, 'cells', interrupted!, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(metrics.length, 4, 'the resumed run folder holds each epoch once');
});

test('sweep: bad input is one clear error, exit code 2, nothing written', () => {
  const base = readFileSync(writeTinyMatrix(tmp, 'bad', [1], 1), 'utf8');
  const cases: [string, string, RegExp][] = [
    ['unknown-key', base.replace('  seed: [1]', '  train.epochz: [1, 2]'), /axis 'train\.epochz' value '1': unknown key 'epochz' at train/],
    ['empty', base.replace(/axes:\n {2}seed: \[1\]\n/, 'axes: {}\n'), /empty matrix: 'axes' names no axis/],
  ];
  for (const [name, text, re] of cases) {
    const p = join(tmp, `${name}.yaml`);
    writeFileSync(p, text.replace(/^name: bad/m, `name: ${name}`));
    const r = cli(['sweep', 'run', p, '-o', join(tmp, `${name}-out`)], tmp);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, re, name);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
    assert.ok(!existsSync(join(tmp, `${name}-out`)), `${name}: no sweep folder`);
  }
  // An unreachable Redis: a short timeout, not a hang, and no sweep folder.
  const down = cli(['sweep', 'submit', join(tmp, 'bad.yaml'), '-o', join(tmp, 'down-out'), '--queue', 'redis://127.0.0.1:1', '--connect-timeout', '1'], tmp);
  assert.equal(down.code, 2, down.stderr);
  assert.match(down.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .*(ECONNREFUSED|timed out)/);
  assert.ok(!existsSync(join(tmp, 'down-out')));
  // (The worker's and status's connections go through the same connectRedis: test/cli/sweep-queue.test.ts.)
  const report = cli(['sweep', 'report', tmp], tmp);
  assert.equal(report.code, 2);
  assert.match(report.stderr, /not a sweep folder \(no sweep\.json\)/);
});
