import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import type { BenchReport, CaseResult } from '../../bench/lib/types.js';

/*
 * Smoke test of `npm run bench`: the compiled suite runs one small workload
 * (f, streaming latency, about a second) in --quick mode without the PyTorch
 * reference, and its JSON report has the documented shape; workload k (the
 * Open Neuromorphic benchmark) runs on ts and native at small widths, and on
 * webgpu (SwiftShader without a GPU) at its reduced width, next to a
 * workload webgpu refuses.
 */

const runJs = join(repoRoot(), 'dist', 'bench', 'run.js');

function run(args: string[], timeout = 60_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [runJs, ...args], { encoding: 'utf8', timeout });
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

  // --rounds: the median of the rounds' medians and of their ratios; a case seen in one round stays as it was.
  assert.equal(parseArgs([]).rounds, 1);
  assert.equal(parseArgs(['--rounds', '3']).rounds, 3);
  assert.throws(() => parseArgs(['--rounds', '0']), /--rounds: expected an integer from 1 to 20/);
  const { combineRounds } = await import('../../bench/lib/rounds.js');
  const work = { flops: 2e9, denseFlops: 2e9, bytes: 4e8, note: '' };
  const timed = (medianMs: number, torchMs: number): CaseResult => ({
    ...base, workload: 'i', case: 'step', medianMs, minMs: medianMs - 1, maxMs: medianMs + 1, samplesPerSec: 128 / (medianMs / 1000), gflops: 2 / (medianMs / 1000), peakFraction: 2 / (medianMs / 1000) / 190, work,
    torch: { medianMs: torchMs, minMs: torchMs - 2, maxMs: torchMs + 2, reps: 5, gflops: 2 / (torchMs / 1000), ratio: medianMs / torchMs },
  });
  const only = { ...base, workload: 'a' as const, case: 'once', medianMs: 7, work };
  const [c, o] = combineRounds([[timed(100, 200), only], [timed(110, 140)], [timed(90, 120)]]);
  assert.equal(c!.medianMs, 100);
  assert.equal(c!.torch!.medianMs, 140);
  // Ratios 0.5, 0.786, 0.75: the median ratio, not the ratio of the medians (100/140 = 0.714).
  assert.equal(c!.torch!.ratio, 0.75);
  assert.equal(c!.extra['round_ratios'], '0.500 0.786 0.750');
  assert.equal(c!.extra['rounds'], 3);
  assert.deepEqual([c!.minMs, c!.maxMs, c!.reps, c!.torch!.minMs, c!.torch!.maxMs, c!.torch!.reps], [89, 111, 9, 118, 202, 15]);
  assert.ok(Math.abs(c!.gflops - 20) < 1e-9 && Math.abs(c!.gbPerSec! - 4) < 1e-9 && Math.abs(c!.torch!.gflops! - 2 / 0.14) < 1e-9);
  assert.ok(Math.abs(c!.samplesPerSec - 1280) < 1e-9 && Math.abs(c!.peakFraction - 20 / 190) < 1e-12);
  assert.equal(o, only);
});

test('bench --rounds 2 alternates the workloads (and the reference) and reports one row per case', () => {
  const out = mkdtempSync(join(tmpdir(), 'spikeflow-bench-rounds-'));
  try {
    const r = run(['--quick', '--workload', 'f', '--json', '--no-torch', '--backend', 'ts', '--rounds', '2', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /round 1 of 2[\s\S]*round 2 of 2/);
    const rep = JSON.parse(r.stdout) as { rounds: number; results: CaseResult[] };
    assert.equal(rep.rounds, 2);
    assert.deepEqual(rep.results.map((c) => c.case), ['stream-step-b1', 'stream-plan-b1']);
    for (const c of rep.results) {
      assert.equal(c.extra['rounds'], 2);
      const [a, b] = String(c.extra['round_medians_ms']).split(' ').map(Number);
      assert.ok(Math.abs(c.medianMs - (a! + b!) / 2) < 0.01, `median of two rounds ${a}, ${b}: ${c.medianMs}`);
    }
    assert.match(readFileSync(join(out, 'latest.md'), 'utf8'), /\(2 rounds: workloads and PyTorch alternating/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/** Workload k's work per pass, as bench/workloads/onm.ts counts it (M = T·B = 8000). */
function onmFlops(n: number): { forward: number; backward: number } {
  const M = 8000;
  return { forward: 2 * M * n * n + M * n + 4 * M * n, backward: 2 * M * n * n + M * n + 10 * M * n + 2 * M * n };
}

test('bench --quick --workload k times the forward and the backward apart on ts; too wide a layer is skipped there, not failed', () => {
  const out = mkdtempSync(join(tmpdir(), 'spikeflow-bench-'));
  try {
    const r = run(['--quick', '--workload', 'k', '--backend', 'ts', '--onm-neurons', '128', '--no-torch', '--json', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as BenchReport;
    assert.deepEqual(rep.workloads, ['k']);
    assert.deepEqual(rep.failures, []);
    assert.deepEqual(rep.notRun, []);
    assert.deepEqual(rep.results.map((c) => c.case), ['onm-forward-n128', 'onm-backward-n128']);
    const [fwd, bwd] = rep.results as [CaseResult, CaseResult];
    assert.equal(fwd.backend, 'ts');
    assert.deepEqual({ T: fwd.extra['T'], B: fwd.extra['B'], n: fwd.extra['n'] }, { T: 500, B: 16, n: 128 });
    assert.equal(fwd.work.flops, onmFlops(128).forward);
    assert.equal(bwd.work.flops, onmFlops(128).backward);
    assert.ok(fwd.medianMs > 0 && bwd.medianMs > 0);
    // Standard-normal input through a ±1/√n-initialised layer: some neurons fire, most do not.
    const d = fwd.extra['spikeDensity'] as number;
    assert.ok(d > 0.005 && d < 0.5, `spike density ${d}`);
    assert.equal(fwd.samplesPerIter, 16);
    const md = readFileSync(join(out, 'latest.md'), 'utf8');
    assert.match(md, /## \(k\) Open Neuromorphic SNN library benchmark/);
    assert.match(md, /\| `onm-backward-n128` \| ts \|/);

    // The published width on the TypeScript reference would take hours: both rows say so, and the run succeeds.
    const wide = run(['--quick', '--workload', 'k', '--backend', 'ts', '--onm-neurons', '16384', '--no-torch', '--json', '--out', out]);
    assert.equal(wide.status, 0, wide.stderr);
    const w = JSON.parse(wide.stdout) as BenchReport;
    assert.deepEqual(w.results, []);
    assert.deepEqual(w.notRun.map((e) => [e.backend, e.case, e.status]), [['ts', 'onm-forward-n16384', 'skipped'], ['ts', 'onm-backward-n16384', 'skipped']]);
    assert.match(w.notRun[0]!.reason, /TypeScript reference would take ~\d+ min per pass at n = 16384/);
    assert.match(readFileSync(join(out, 'latest.md'), 'utf8'), /\| `onm-forward-n16384` \| ts \| skipped: the TypeScript reference/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bench --quick --workload k on native runs the default width (n = 1024)', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'spikeflow-bench-'));
  try {
    const r = run(['--quick', '--workload', 'k', '--backend', 'native', '--native-threads', '1', '--no-torch', '--json', '--out', out]);
    if (r.status !== 0 && /unknown backend 'native'/.test(r.stderr)) {
      t.skip('the native addon is not built here');
      return;
    }
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as BenchReport;
    assert.deepEqual(rep.results.map((c) => [c.case, c.backend]), [['onm-forward-n1024', 'native'], ['onm-backward-n1024', 'native']]);
    assert.equal(rep.results[0]!.work.flops, onmFlops(1024).forward);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bench --backend webgpu: rows name the adapter (SwiftShader: CPU emulation, reduced width), a refused workload says why, and the run succeeds', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'spikeflow-bench-'));
  try {
    const r = run(['--quick', '--workload', 'h,k', '--backend', 'webgpu', '--no-torch', '--json', '--out', out], 180_000);
    if (r.status === 1 && /bench: --backend webgpu: /.test(r.stderr)) {
      // As test/backend/webgpu/helpers.ts: no adapter is a skip, except under CI, which installs SwiftShader.
      if (process.env.CI) assert.fail(`no WebGPU adapter under CI: ${r.stderr}`);
      t.skip(r.stderr.trim());
      return;
    }
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as BenchReport;
    assert.equal(rep.webgpu.available, true);
    const label = rep.backends[0]!;
    assert.equal(rep.backends.length, 1);
    assert.match(label, /^webgpu \(/);
    if (/swiftshader/i.test(rep.webgpu.adapter ?? '')) {
      assert.match(label, /^webgpu \(SwiftShader.*, CPU emulation\)$/);
      assert.equal(rep.webgpu.reducedSizes, true);
    }
    const n = rep.webgpu.reducedSizes ? 64 : 1024;
    assert.deepEqual(rep.results.map((c) => [c.case, c.backend]), [[`onm-forward-n${n}`, label], [`onm-backward-n${n}`, label]]);
    const d = rep.results[0]!.extra['spikeDensity'] as number;
    assert.ok(d > 0.005 && d < 0.5, `spike density read back from the device: ${d}`);
    // The delay layer has no GPU kernels: refused with the backend's reason, not a failure.
    assert.deepEqual(rep.failures, []);
    assert.equal(rep.notRun.length, 1);
    assert.deepEqual([rep.notRun[0]!.workload, rep.notRun[0]!.case, rep.notRun[0]!.status], ['h', null, 'refused']);
    assert.match(rep.notRun[0]!.reason, /webgpu backend has no delay kernel/);
    const md = readFileSync(join(out, 'latest.md'), 'utf8');
    assert.match(md, /WebGPU: /);
    assert.ok(md.includes(`| (all cases) | ${label} | refused: webgpu backend has no delay kernel`), 'the refusal is a row of workload h');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('refusals, adapter labels and --onm-neurons', async () => {
  const { refusalReason } = await import('../../bench/lib/context.js');
  const { webgpuLabel } = await import('../../bench/lib/webgpu.js');
  const { BackendError, ShapeError } = await import('../../src/errors.js');
  const { createTsBackend } = await import('../../src/backend/ts/backend.js');
  const ts = createTsBackend('float32');
  const gpu = { ...ts, syncRead: false };
  const noKernel = new BackendError("webgpu backend has no delay kernel 'delayKernelBuild' yet; run this model on a CPU backend (--backend wasm, native or ts)");
  assert.equal(refusalReason(gpu, noKernel), noKernel.message);
  // A layer re-throws its kernel's error as a ShapeError naming itself: still a refusal.
  const wrapped = new ShapeError('model.layers[1] (batchnorm): webgpu storage of 16 elements has no synchronous view (Tensor.data / Storage.data)');
  assert.equal(refusalReason(gpu, wrapped), wrapped.message);
  assert.match(refusalReason(gpu, new BackendError("webgpu countNonzero: a GPU backend cannot return a number synchronously; use reduceInto('countNonzero', ...)"))!, /synchronously/);
  // A lost device, a released storage or a plain bug are failures; a CPU backend never refuses.
  assert.equal(refusalReason(gpu, new BackendError('webgpu device lost (destroyed)')), null);
  assert.equal(refusalReason(gpu, new BackendError('webgpu storage of 4 elements used after release: ...')), null);
  assert.equal(refusalReason(gpu, new Error("has no delay kernel 'x' yet")), null);
  assert.equal(refusalReason(ts, noKernel), null);

  const swiftshader = { description: 'SwiftShader driver 5.0.0 (google, swiftshader)', vendor: 'google', architecture: 'swiftshader', fallback: true, software: 'SwiftShader, a CPU emulation', maxBufferBytes: 2 ** 30 };
  assert.equal(webgpuLabel(swiftshader), 'webgpu (SwiftShader driver 5.0.0, CPU emulation)');
  assert.equal(webgpuLabel({ ...swiftshader, description: 'NVIDIA GeForce RTX 4090 (nvidia, lovelace)', vendor: 'nvidia', architecture: 'lovelace', fallback: false, software: null }), 'webgpu (NVIDIA GeForce RTX 4090)');

  // At a published width the report prints the published RTX 4090 figures under workload k's table.
  const { toMarkdown } = await import('../../bench/lib/report.js');
  const row: CaseResult = {
    workload: 'k', case: 'onm-forward-n16384', title: 'forward', backend: 'native', reps: 3, warmup: 1, medianMs: 60_000, minMs: 59_000, maxMs: 61_000,
    samplesPerIter: 16, samplesPerSec: 16 / 60, work: { flops: onmFlops(16384).forward, denseFlops: onmFlops(16384).forward, bytes: null, note: '' },
    gflops: 71.6, peakFraction: 71.6 / 190, gbPerSec: null, extra: { T: 500, B: 16, n: 16384 }, torch: null,
  };
  const report: BenchReport = {
    suite: 'spikeflow-bench', version: 1, date: '2026-01-01T00:00:00.000Z', quick: false,
    machine: { cpus: 2, cpuModel: 'test', node: '20', platform: 'linux', arch: 'x64', loadAvgStart: [0, 0, 0], loadAvgEnd: [0, 0, 0] },
    peakGflops: 190, backends: ['native'], workloads: ['k'], results: [row], failures: [], notRun: [],
    webgpu: { available: false, adapter: null, fallback: false, reducedSizes: false, message: 'not selected (--backend native)' },
    torch: { available: false, python: null, version: null, threads: 1, message: 'skipped (--no-torch)' }, accounting: [],
  };
  const md = toMarkdown(report);
  assert.match(md, /Published for n = 16384 on an NVIDIA RTX 4090 .*SpikingJelly 0\.0\.0\.0\.15, CuPy backend 0\.0197 s \/ 0\.0984 s; Spyx 0\.1\.18, fp16 0\.0191 s \/ 0\.0279 s; snnTorch 0\.7\.0 0\.714 s \/ 2\.364 s\./);
  assert.match(md, /WebGPU: no rows \(not selected \(--backend native\)\)/);

  const { parseArgs } = await import('../../bench/lib/args.js');
  assert.equal(parseArgs([]).onmNeurons, null);
  assert.equal(parseArgs(['--onm-neurons', '16384']).onmNeurons, 16384);
  assert.throws(() => parseArgs(['--onm-neurons', '1']), /integer from 2 to 65536/);
  assert.deepEqual(parseArgs(['--workload', 'k']).workloads, ['k']);
});
