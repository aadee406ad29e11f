/**
 * spikeflow benchmark suite (`npm run bench`): times every workload on every
 * registered backend (ts64, the float64 test backend, is skipped unless named;
 * webgpu is included when Dawn finds an adapter, see loadWebGpu),
 * runs the PyTorch reference (bench/reference/torch_lif.py) when torch is
 * installed, prints a markdown table (or JSON with --json) and writes
 * latest.{json,md} to bench/results/local/ (git-ignored), or to --out DIR:
 * the committed reference run in bench/results/ changes only when asked for
 * (`npm run bench:reference`). Options: see bench/lib/args.ts (--help).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { backendNames, getBackendByName, setBackend } from '../src/backend/registry.js';
import { nativeAddon, registerNativeBackend } from '../src/backend/native/load-node.js';
import type { WebGpuBackend } from '../src/backend/webgpu/backend.js';
import { SpikeflowError } from '../src/errors.js';
import { ArgError, parseArgs, USAGE, type BenchArgs } from './lib/args.js';
import { refusalReason, type BenchContext } from './lib/context.js';
import { repoRoot } from './lib/paths.js';
import { toMarkdown } from './lib/report.js';
import { mergeTorch, runTorch } from './lib/torch.js';
import { combineRounds } from './lib/rounds.js';
import type { BenchFailure, BenchNotRun, BenchReport, CaseResult, TorchStatus, WorkloadId } from './lib/types.js';
import { loadWebGpu, settleFor, webgpuLabel, type LoadedWebGpu } from './lib/webgpu.js';
import { runConv } from './workloads/conv.js';
import { runDelay } from './workloads/delay.js';
import { runDensity } from './workloads/density.js';
import { runEvents } from './workloads/events.js';
import { runGemm } from './workloads/gemm.js';
import { runInference, runTrainStep } from './workloads/mlp.js';
import { runLifScan } from './workloads/scan.js';
import { runStreaming } from './workloads/streaming.js';
import { runTransformer } from './workloads/transformer.js';
import { runSpikegpt } from './workloads/spikegpt.js';
import { ONM_DEFAULT_NEURONS, runOnm } from './workloads/onm.js';

const RUNNERS: Record<WorkloadId, (ctx: BenchContext) => CaseResult[] | Promise<CaseResult[]>> = {
  a: runGemm,
  b: async (ctx) => [...(await runTrainStep(ctx)), ...(await runLifScan(ctx))],
  c: runInference,
  d: runDensity,
  e: runConv,
  f: runStreaming,
  g: runEvents,
  h: runDelay,
  i: runTransformer,
  j: runSpikegpt,
  k: runOnm,
};

/**
 * Seconds a software WebGPU adapter (SwiftShader) may spend in a run over all backends before its
 * remaining workloads are skipped (measured there: seconds per GEMM of the 784-1000-10 net).
 */
const SOFTWARE_BUDGET_S = 120;
const SOFTWARE_BUDGET_QUICK_S = 60;

/** Workloads with no backend kernel (plain typed-array code): run once, under the first backend. */
const BACKEND_INDEPENDENT: readonly WorkloadId[] = ['g'];
/** Workloads the PyTorch reference implements. */
const TORCH_WORKLOADS: readonly WorkloadId[] = ['a', 'b', 'c', 'd', 'e', 'f', 'h', 'i', 'j', 'k'];

const ACCOUNTING = [
  'GEMM: 2·M·N·K. Event-driven products: nnz·N additions (a spike of value 1 adds a weight row), dW event path + K·N for the final transpose-add; bias M·N.',
  'LIF (delayed subtract reset, fast sigmoid): 4 flops/element forward (β·v, + x, − θ·R, compare), 10 backward (surrogate 6, chain 4); bytes 13/element each way (float32 x/h/spikes or h/gS/dx + u8 mask; the previous row is in cache).',
  'ce_rate loss: 5 flops per logit forward, 2 backward. Adam: 12 flops and 28 bytes per parameter. Max pooling: 1 compare per input element, 1 add per output element backward.',
  'Delay layer (h): 2·T·B·O·I·K per convolution pass, 3 passes (forward, dX, dK), T = 100 without the tail; the kernel construction (an exp per synapse and tap) and its backward are not counted.',
  'Open Neuromorphic (k): forward 2·M·n² + M·n bias + 4·M·n LIF, backward 2·M·n² (dW) + M·n (db) + 10·M·n LIF + 2·M·n (the sum and its gradient), M = T·B = 8000; no dX (the input is data).',
  'webgpu: every timed repetition ends with a read-back of one float, which resolves once the device has finished all work submitted before it; on a software adapter (SwiftShader) the workloads run reduced sizes named in their case ids.',
  'Not counted: W transposes and nonzero counting of the event-driven linear, im2col copies, allocation, encoding (inputs are encoded once, outside the timed loop, for spikeflow and PyTorch alike).',
];

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Write via a temporary file and rename, so a reader never sees half a file. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * Where a run goes without --out: a git-ignored folder beside the committed
 * reference run, so that timing a change never dirties the working tree and a
 * reference run is a deliberate act (`--out bench/results`).
 */
function defaultOutDir(): string {
  return join(repoRoot(), 'bench', 'results', 'local');
}

function selectBackends(args: BenchArgs): string[] {
  if (args.backend) {
    getBackendByName(args.backend); // throws BackendError naming the available ones
    return [args.backend];
  }
  return backendNames().filter((n) => n !== 'ts64');
}

/** What to time: each backend once, the native one once per requested thread count. */
interface Variant {
  name: string;
  label: string;
  threads: number | null;
}

function variants(names: readonly string[], args: BenchArgs, webgpu: WebGpuBackend | null): Variant[] {
  return names.flatMap((name): Variant[] =>
    name === 'native' && nativeAddon() !== null
      ? args.nativeThreads.map((t) => ({ name, label: t === 1 ? 'native' : `native-${t}t`, threads: t }))
      : [{ name, label: name === 'webgpu' && webgpu ? webgpuLabel(webgpu.adapter) : name, threads: null }],
  );
}

/** One pass of the selected workloads over every backend variant, appending to the given lists. */
async function runRound(args: BenchArgs, gpu: LoadedWebGpu, runs: readonly Variant[], results: CaseResult[], failures: BenchFailure[], notRun: BenchNotRun[]): Promise<void> {
  const addon = nativeAddon();
  for (const { name, label, threads } of runs) {
    const backend = getBackendByName(name);
    if (threads !== null) addon?.setThreads(threads);
    const reduced = name === 'webgpu' && gpu.status.reducedSizes;
    log(`backend ${label}: workloads ${args.workloads.join(',')}${args.quick ? ' (quick)' : ''}${reduced ? ' (reduced sizes)' : ''}`);
    const ctx: BenchContext = {
      backend,
      label,
      quick: args.quick,
      peakGflops: args.peakGflops,
      settle: settleFor(backend),
      reduced,
      onmNeurons: args.onmNeurons,
      notRun: (entry) => notRun.push({ backend: label, ...entry }),
      log,
    };
    // The default backend is the one timed, so models and tensors built without naming one land on it.
    // (Not withBackend: the workloads await, and withBackend restores the default at the first await.)
    setBackend(name);
    // A software adapter in a run that did not ask for it by name gets a time budget, so `npm run bench`
    // stays bounded on a machine without a GPU; the workload of issue 16 (k) goes first there.
    const budgetMs = reduced && args.backend === null ? (args.quick ? SOFTWARE_BUDGET_QUICK_S : SOFTWARE_BUDGET_S) * 1000 : Infinity;
    const order = reduced ? [...args.workloads].sort((x, y) => Number(y === 'k') - Number(x === 'k')) : args.workloads;
    const tBackend = performance.now();
    for (const w of order) {
      if (BACKEND_INDEPENDENT.includes(w) && label !== runs[0]!.label) continue;
      if (performance.now() - tBackend > budgetMs) {
        const reason = `the ${budgetMs / 1000} s budget of a software adapter in a run over all backends was spent; time it with --backend webgpu --workload ${w}`;
        notRun.push({ backend: label, workload: w, case: null, status: 'skipped', reason });
        log(`  ${label} ${w}: skipped (${reason})`);
        continue;
      }
      // One backend failing one workload (a kernel bug, memory exhaustion) must not hide the others' results.
      const t0 = performance.now();
      try {
        results.push(...(await RUNNERS[w](ctx)));
        log(`  ${label} ${w}: ${((performance.now() - t0) / 1000).toFixed(1)} s in all`);
      } catch (e) {
        const reason = refusalReason(backend, e);
        if (reason !== null) {
          // Work recorded before the refusal must not run inside the next workload's timing.
          await ctx.settle?.();
          notRun.push({ backend: label, workload: w, case: null, status: 'refused', reason });
          log(`  ${label} ${w}: refused (${reason})`);
          continue;
        }
        const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        failures.push({ backend: label, workload: w, error });
        log(`  ${label} ${w}: FAILED (${error})`);
      }
    }
  }
}

async function runSuite(args: BenchArgs, gpu: LoadedWebGpu): Promise<BenchReport> {
  const loadAvgStart = loadavg();
  const names = selectBackends(args);
  const runs = variants(names, args, gpu.backend);
  const failures: BenchFailure[] = [];
  const notRun: BenchNotRun[] = [];
  const addon = nativeAddon();
  const threadsBefore = addon?.info().threads ?? 1;
  let torch: TorchStatus = { available: false, python: null, version: null, threads: args.torchThreads, message: 'skipped (--no-torch)' };
  const rounds: CaseResult[][] = [];
  for (let round = 0; round < args.rounds; round++) {
    if (args.rounds > 1) log(`round ${round + 1} of ${args.rounds}`);
    const results: CaseResult[] = [];
    await runRound(args, gpu, runs, results, failures, notRun);
    addon?.setThreads(threadsBefore);
    const torchWorkloads = args.workloads.filter((w) => TORCH_WORKLOADS.includes(w));
    if (args.torch && torchWorkloads.length === 0) torch = { ...torch, message: 'skipped (no selected workload has a PyTorch reference)' };
    else if (args.torch) {
      const run = runTorch({ threads: args.torchThreads, workloads: torchWorkloads, quick: args.quick, python: args.python, onmNeurons: args.onmNeurons ?? ONM_DEFAULT_NEURONS, log });
      torch = run.status;
      mergeTorch(results, run.cases);
    }
    rounds.push(results);
  }
  const results = combineRounds(rounds);
  // A failure or a refusal that repeats in every round is reported once.
  const once = <T,>(xs: T[]): T[] => [...new Map(xs.map((x) => [JSON.stringify(x), x])).values()];
  failures.splice(0, failures.length, ...once(failures));
  notRun.splice(0, notRun.length, ...once(notRun));
  const cpu = cpus();
  return {
    suite: 'spikeflow-bench',
    version: 1,
    date: new Date().toISOString(),
    quick: args.quick,
    rounds: args.rounds,
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model.trim() ?? 'unknown',
      node: process.versions.node,
      platform: process.platform,
      arch: process.arch,
      loadAvgStart,
      loadAvgEnd: loadavg(),
    },
    peakGflops: args.peakGflops,
    backends: runs.map((r) => r.label),
    workloads: args.workloads,
    results,
    failures,
    notRun,
    webgpu: gpu.status,
    torch,
    accounting: ACCOUNTING,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  // The native addon (when built) is benchmarked with the other backends.
  registerNativeBackend();
  let args: BenchArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof ArgError) {
      process.stderr.write(`bench: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const gpu = await loadWebGpu(args);
  if (args.backend === 'webgpu' && !gpu.backend) {
    process.stderr.write(`bench: --backend webgpu: ${gpu.status.message}\n`);
    return 1;
  }
  let report: BenchReport;
  try {
    report = await runSuite(args, gpu);
  } catch (e) {
    if (e instanceof SpikeflowError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    // Dawn's threads must be gone before Node exits, or the process can abort on its way out.
    gpu.backend?.dispose();
  }
  const md = toMarkdown(report);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const dir = resolve(args.outDir ?? defaultOutDir());
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'latest.json'), json);
  writeAtomic(join(dir, 'latest.md'), md);
  process.stdout.write(args.json ? json : md);
  log(`wrote ${join(dir, 'latest.json')} and latest.md${args.outDir === null ? ' (the committed reference run is bench/results/latest.*: npm run bench:reference rewrites it)' : ''}`);
  if (report.failures.length > 0) {
    log(`bench: ${report.failures.length} workload(s) failed: ${report.failures.map((f) => `${f.backend}/${f.workload}`).join(', ')}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
