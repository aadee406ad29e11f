import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FuzzPool } from '../../../bench/fuzz/pool.js';
import { buildSeeds, caseBytes, fuzzTarget } from '../../../bench/fuzz/run.js';
import { findTarget } from '../../../bench/fuzz/targets/index.js';
import { saveFailures } from '../../../bench/fuzz/report.js';
import { repoRoot } from '../../helpers.js';

/*
 * The harness itself: each outcome class is what the pool reports for a
 * target built to produce it, a failed child is replaced, cases are a pure
 * function of (seed, parser, index), and saved inputs replay.
 */

test('the pool classifies ok, clean, internal, hang, over budget and crash, and replaces failed children', async () => {
  const pool = new FuzzPool({ jobs: 1, timeoutMs: 1500, memMb: 160 });
  try {
    const bytes = new Uint8Array([1]);
    const ok = await pool.run('_ok', bytes);
    assert.equal(ok.outcome, 'ok');
    const clean = await pool.run('_clean', bytes);
    assert.deepEqual([clean.outcome, clean.name], ['clean', 'FormatError']);
    const internal = await pool.run('_internal', bytes);
    assert.deepEqual([internal.outcome, internal.name], ['internal', 'TypeError']);
    assert.match(internal.stack ?? '', /selftest\.js/);
    // An exception leaves the child in use; the next three each cost it.
    assert.equal(pool.spawned, 1);
    const t0 = performance.now();
    const hang = await pool.run('_hang', bytes);
    assert.equal(hang.outcome, 'hang');
    assert.ok(performance.now() - t0 < 5000, 'the hang was cut at the time limit');
    const mem = await pool.run('_memory', bytes);
    assert.equal(mem.outcome, 'over-budget', `memory: ${JSON.stringify(mem)}`);
    assert.ok((mem.rssMb ?? 0) > 160);
    const crash = await pool.run('_crash', bytes);
    assert.deepEqual([crash.outcome, crash.name], ['crash', 'signal SIGSEGV']);
    // The pool goes on with fresh children.
    assert.equal((await pool.run('_ok', bytes)).outcome, 'ok');
    assert.equal(pool.spawned, 4);
  } finally {
    await pool.close();
  }
});

test('cases are a pure function of seed, parser and index', async () => {
  const t = findTarget('npy');
  const seeds = await buildSeeds(t);
  const a = caseBytes(t, seeds, 18, 7), b = caseBytes(t, seeds, 18, 7);
  assert.deepEqual(a, b);
  const distinct = new Set(Array.from({ length: 50 }, (_, i) => Buffer.from(caseBytes(t, seeds, 18, i)).toString('base64')));
  assert.ok(distinct.size >= 45, `50 cases gave only ${distinct.size} distinct inputs`);
  assert.notDeepEqual(caseBytes(t, seeds, 19, 7), a);
});

test('failing inputs are saved with a replay command, and the replay reproduces the outcome', async () => {
  const out = mkdtempSync(join(tmpdir(), 'sf-fuzz-out-'));
  const pool = new FuzzPool({ jobs: 1, timeoutMs: 3000, memMb: 256 });
  try {
    const t = findTarget('_internal');
    const stats = await fuzzTarget(pool, t, await buildSeeds(t), { cases: 3, seed: 1, jobs: 1 });
    assert.equal(stats.counts.internal, 3);
    // Three cases with the same error are one failure kind, saved once.
    assert.equal(stats.failures.length, 1);
    const lines = saveFailures(out, stats, 1);
    assert.equal(lines.length, 1);
    const saved = readdirSync(join(out, '_internal')).sort();
    assert.deepEqual(saved, ['cases.txt', 'internal-00000.bin']);
    assert.match(readFileSync(join(out, '_internal', 'cases.txt'), 'utf8'), /replay: npm run fuzz -- --replay .*internal-00000\.bin --parser _internal/);
    const cli = join(repoRoot(), 'dist', 'bench', 'fuzz.js');
    const r = spawnSync(process.execPath, [cli, '--replay', join(out, '_internal', 'internal-00000.bin'), '--parser', '_internal'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /internal in \d+ ms/);
    assert.match(r.stdout, /TypeError/);
    // A valid file replays as ok, exit 0.
    const valid = join(out, 'valid.npy');
    writeFileSync(valid, (await buildSeeds(findTarget('npy')))[0]!);
    const ok = spawnSync(process.execPath, [cli, '--replay', valid, '--parser', 'npy'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /npy: .*: ok in/);
  } finally {
    await pool.close();
    rmSync(out, { recursive: true, force: true });
  }
});

test('bad options exit 2 with the usage', () => {
  const cli = join(repoRoot(), 'dist', 'bench', 'fuzz.js');
  for (const args of [['--cases', 'many'], ['--parser', 'nope'], ['--replay', 'x.bin']]) {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^fuzz: .*\nusage: npm run fuzz/);
  }
});
