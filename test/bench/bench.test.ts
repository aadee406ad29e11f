import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import type { CaseResult } from '../../bench/lib/types.js';

/*
 * Smoke test of `npm run bench`: the compiled suite runs one small workload
 * (f, streaming latency, about a second) in --quick mode without the PyTorch
 * reference, and its JSON report has the documented shape.
 */

const runJs = join(repoRoot(), 'dist', 'bench', 'run.js');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [runJs, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bench --quick --workload f --json writes and prints a well-formed report', () => {
  const out = mkdtempSync(join(tmpdir(), 'spikeflow-bench-'));
  try {
    const r = run(['--quick', '--workload', 'f', '--json', '--no-torch', '--backend', 'ts', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(rep['suite'], 'spikeflow-bench');
    assert.equal(rep['quick'], true);
    assert.deepEqual(rep['backends'], ['ts']);
    assert.deepEqual(rep['workloads'], ['f']);
    assert.equal(rep['peakGflops'], 190);
    assert.deepEqual(rep['failures'], []);
    const torch = rep['torch'] as Record<string, unknown>;
    assert.equal(torch['available'], false);
    assert.match(String(torch['message']), /skipped/);
    const results = rep['results'] as Record<string, unknown>[];
    assert.equal(results.length, 2);
    const c = results[0]!;
    assert.equal(c['workload'], 'f');
    assert.equal(c['case'], 'stream-step-b1');
    assert.equal(c['backend'], 'ts');
    const med = c['medianMs'] as number, min = c['minMs'] as number, max = c['maxMs'] as number;
    assert.ok(med > 0 && min <= med && med <= max, `timing ${min} ≤ ${med} ≤ ${max}`);
    const work = c['work'] as Record<string, unknown>;
    // One step of 784-1000-10: the dense count is 2·(784·1000 + 1000·10) plus biases and LIF updates.
    assert.equal(work['denseFlops'], 2 * (784 * 1000 + 1000 * 10) + 1010 + 4 * 1010);
    // At batch 1 linear stays dense (ops/linear.ts EVENT_MIN_ROWS), so the work done is at most the dense count.
    assert.ok((work['flops'] as number) > 0 && (work['flops'] as number) <= (work['denseFlops'] as number), 'work done within the dense count');
    assert.ok(Number.isFinite(c['gflops']) && (c['gflops'] as number) > 0);
    assert.ok(Math.abs((c['peakFraction'] as number) - (c['gflops'] as number) / 190) < 1e-12);
    assert.ok(Math.abs((c['samplesPerSec'] as number) - 1000 / 25 / med) < 1e-9);
    assert.equal(c['torch'], null);
    const extra = c['extra'] as Record<string, number>;
    assert.ok(extra['inputDensity']! > 0.1 && extra['inputDensity']! < 0.2, `input density ${extra['inputDensity']}`);
    // The files hold the same report; the markdown has the workload's table.
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')), rep);
    const md = readFileSync(join(out, 'latest.md'), 'utf8');
    assert.match(md, /## \(f\) streaming latency/);
    assert.match(md, /\| `stream-step-b1` \| ts \|/);
    // The compiled plan's row: checked identical to the fused forward, event-driven at batch 1, far less work than the dense count.
    const p = results[1]!;
    assert.equal(p['case'], 'stream-plan-b1');
    assert.equal(p['torchCase'], 'stream-step-b1');
    const pe = p['extra'] as Record<string, unknown>;
    assert.equal(pe['identicalToFused'], true);
    assert.equal(pe['paths'], 'linear:event neuron:step linear:event neuron:step');
    const pw = p['work'] as Record<string, number>;
    assert.equal(pw['denseFlops'], work['denseFlops']);
    assert.ok(pw['flops']! < 0.1 * pw['denseFlops']!, `plan flops ${pw['flops']}`);
    assert.ok(pw['bytes']! > 4 * 1000 * 100, 'bytes count the Wᵀ rows of ~113 input spikes');
    assert.match(md, /\| `stream-plan-b1` \| ts \|/);
    assert.ok(!existsSync(join(out, 'latest.json.tmp')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bench without PyTorch says so and still succeeds', () => {
  const out = mkdtempSync(join(tmpdir(), 'spikeflow-bench-'));
  try {
    const r = run(['--quick', '--workload', 'f', '--backend', 'ts', '--python', join(out, 'no-such-python'), '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /PyTorch reference: PyTorch not found \(tried .*no-such-python\)/);
    const rep = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as { torch: { available: boolean }; results: { torch: unknown }[] };
    assert.equal(rep.torch.available, false);
    assert.equal(rep.results[0]!.torch, null);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bench writes to the git-ignored bench/results/local/ by default and leaves the committed reference run alone', () => {
  const root = repoRoot();
  const committed = join(root, 'bench', 'results', 'latest.json');
  const before = readFileSync(committed);
  const local = join(root, 'bench', 'results', 'local');
  const r = run(['--quick', '--workload', 'f', '--backend', 'ts', '--no-torch', '--json']);
  assert.equal(r.status, 0, r.stderr);
  // The last stderr line says where the files went.
  assert.ok(r.stderr.includes(`wrote ${join(local, 'latest.json')} and latest.md`), r.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(local, 'latest.json'), 'utf8')), JSON.parse(r.stdout));
  assert.ok(existsSync(join(local, 'latest.md')));
  assert.deepEqual(readFileSync(committed), before, 'bench/results/latest.json unchanged');
  // git ignores the default folder, so a bench run leaves `git status` clean.
  const ignore = readFileSync(join(root, '.gitignore'), 'utf8').split('\n');
  assert.ok(ignore.includes('bench/results/local/'), '.gitignore lists bench/results/local/');
  // A reference run is the deliberate `--out bench/results`, under its own script.
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts['bench:reference']!, /run\.js --out bench\/results$/);
  assert.doesNotMatch(pkg.scripts['bench']!, /--out/);
});

test('bench rejects an unknown workload or backend with a message', () => {
  const w = run(['--workload', 'z', '--no-torch']);
  assert.equal(w.status, 2);
  assert.match(w.stderr, /unknown workload 'z'/);
  const b = run(['--backend', 'nope', '--workload', 'f', '--no-torch', '--out', tmpdir()]);
  assert.equal(b.status, 1);
  assert.match(b.stderr, /unknown backend 'nope'/);
});

test('timing stats, argument parsing and the PyTorch merge', async () => {
  const { median, summarize } = await import('../../bench/lib/timing.js');
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.deepEqual(summarize([5, 1, 3]), { samplesMs: [5, 1, 3], medianMs: 3, minMs: 1, maxMs: 5 });

  const { parseArgs } = await import('../../bench/lib/args.js');
  const a = parseArgs(['--workload', 'd,a', '--torch-threads', '2', '--backend', 'ts', '--quick']);
  assert.deepEqual(a.workloads, ['a', 'd']);
  assert.equal(a.torchThreads, 2);
  assert.equal(a.backend, 'ts');
  assert.throws(() => parseArgs(['--torch-threads', '0']), /positive integer/);
  assert.deepEqual(a.nativeThreads, [1, 2], 'native is timed with 1 and 2 threads by default');
  assert.deepEqual(parseArgs(['--native-threads', '2']).nativeThreads, [2]);
  assert.throws(() => parseArgs(['--native-threads', '3']), /expected 1, 2 or 1,2/);
  assert.throws(() => parseArgs(['--frobnicate']), /unknown option/);

  const { mergeTorch } = await import('../../bench/lib/torch.js');
  const base = {
    title: '', backend: 'ts', reps: 3, warmup: 1, minMs: 90, maxMs: 110, samplesPerIter: 128, samplesPerSec: 1280,
    gflops: 1, peakFraction: 1 / 190, gbPerSec: null, extra: {}, torch: null,
  };
  const rs: CaseResult[] = [
    { ...base, workload: 'a', case: 'x', medianMs: 100, work: { flops: 2e9, denseFlops: 4e9, bytes: null, note: '' } },
    { ...base, workload: 'd', case: 'y', medianMs: 30, work: { flops: 1e9, denseFlops: 4e9, bytes: null, note: '' } },
    { ...base, workload: 'a', case: 'unmatched', medianMs: 1, work: { flops: 1, denseFlops: 1, bytes: null, note: '' } },
    { ...base, workload: 'a', case: 'x-other-way', torchCase: 'x', medianMs: 10, work: { flops: 1e9, denseFlops: 4e9, bytes: null, note: '' } },
  ];
  mergeTorch(rs, [
    { workload: 'a', case: 'x', medianMs: 20, minMs: 19, maxMs: 21, reps: 3 },
    { workload: 'd', case: 'y', medianMs: 10, minMs: 9, maxMs: 11, reps: 5, flops: 5e8, note: 'sparse' },
  ]);
  // Ratio is spikeflow time over PyTorch time; torch GFLOP/s from the dense count unless the reference gives its own.
  assert.equal(rs[0]!.torch!.ratio, 5);
  assert.ok(Math.abs(rs[0]!.torch!.gflops! - 200) < 1e-9);
  assert.equal(rs[1]!.torch!.ratio, 3);
  assert.ok(Math.abs(rs[1]!.torch!.gflops! - 50) < 1e-9);
  assert.equal(rs[1]!.torch!.note, 'sparse');
  assert.equal(rs[2]!.torch, null);
  // A case with torchCase is compared with that reference case.
  assert.equal(rs[3]!.torch!.ratio, 0.5);
});
