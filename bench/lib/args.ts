import { WORKLOAD_IDS, type WorkloadId } from './types.js';

export interface BenchArgs {
  json: boolean;
  backend: string | null;
  workloads: WorkloadId[];
  quick: boolean;
  torch: boolean;
  torchThreads: number;
  /** Interpreter for the reference (default: the first of python3, /usr/bin/python3 that imports torch). */
  python: string | null;
  /** Folder for latest.json / latest.md (null: bench/results/local/, git-ignored). */
  outDir: string | null;
  peakGflops: number;
  /** GEMM/event thread counts the native backend is timed with (each gets its own rows: native, native-2t). */
  nativeThreads: number[];
  /** Workload (k): the layer width, null for the default (1024; 64 on a software GPU adapter). */
  onmNeurons: number | null;
  /** Times the workloads and the PyTorch reference alternate (bench/lib/rounds.ts); 1 by default. */
  rounds: number;
  help: boolean;
}

export const USAGE = `usage: node dist/bench/run.js [options]   (npm run bench -- [options])

  --workload a,b,...   workloads to run (default all):
                         a GEMM shapes   b training step   c inference
                         d dense vs event-driven   e conv SNN step   f streaming latency
                         g event transforms (ToFrame/ToVoxelGrid, 1M events; run once)
                         h delay layer   i spiking transformers   j SpikeGPT
                         k Open Neuromorphic benchmark: Linear(n→n) + LIF, T=500, B=16,
                           forward and backward timed apart
  --backend NAME       one backend (default: every registered backend except ts64, plus
                         webgpu when Dawn finds an adapter, SwiftShader included:
                         a software adapter runs reduced sizes; SPIKEFLOW_WEBGPU=0 leaves it out)
  --quick              fewer repetitions (smoke test)
  --json               print the JSON report on stdout instead of the table
  --no-torch           skip the PyTorch reference
  --torch-threads N    PyTorch threads (default 1)
  --python PATH        Python for the reference (default: python3, else /usr/bin/python3, whichever has torch)
  --out DIR            where latest.json / latest.md go (default bench/results/local,
                         git-ignored; --out bench/results replaces the committed reference run)
  --peak GFLOPS        single-core fp32 GEMM peak used for "% peak" (default 190)
  --native-threads L   thread counts for the native backend, e.g. 1 or 1,2 (default 1,2;
                         rows for 2 threads are labelled native-2t)
  --onm-neurons N      width n of workload k (default 1024; the published benchmark is
                         16384, also 4096 and 8192; PyTorch runs the same n)
  --rounds N           run the workloads and then the PyTorch reference N times in
                         alternation (default 1); each case reports the median of the
                         rounds' medians and of their ratios (round_ratios in its notes)
  -h, --help           this text`;

export class ArgError extends Error {}

function value(argv: readonly string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new ArgError(`${flag} needs a value`);
  return v;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const a: BenchArgs = { json: false, backend: null, workloads: [...WORKLOAD_IDS], quick: false, torch: true, torchThreads: 1, python: null, outDir: null, peakGflops: 190, nativeThreads: [1, 2], onmNeurons: null, rounds: 1, help: false };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    switch (f) {
      case '--json': a.json = true; break;
      case '--quick': a.quick = true; break;
      case '--no-torch': a.torch = false; break;
      case '-h':
      case '--help': a.help = true; break;
      case '--backend': a.backend = value(argv, i++, f); break;
      case '--out': a.outDir = value(argv, i++, f); break;
      case '--python': a.python = value(argv, i++, f); break;
      case '--workload':
      case '--workloads': {
        const ws = value(argv, i++, f).split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
        const bad = ws.filter((w) => !(WORKLOAD_IDS as readonly string[]).includes(w));
        if (bad.length > 0 || ws.length === 0) throw new ArgError(`${f}: unknown workload '${bad.join(',')}' (known: ${WORKLOAD_IDS.join(',')})`);
        a.workloads = WORKLOAD_IDS.filter((w) => ws.includes(w));
        break;
      }
      case '--rounds': {
        const n = Number(value(argv, i++, f));
        if (!Number.isInteger(n) || n < 1 || n > 20) throw new ArgError(`${f}: expected an integer from 1 to 20, got '${argv[i]}'`);
        a.rounds = n;
        break;
      }
      case '--torch-threads': {
        const n = Number(value(argv, i++, f));
        if (!Number.isInteger(n) || n < 1) throw new ArgError(`${f}: expected a positive integer, got '${argv[i]}'`);
        a.torchThreads = n;
        break;
      }
      case '--native-threads': {
        const ts = value(argv, i++, f).split(',').map((x) => Number(x.trim()));
        if (ts.length === 0 || ts.some((t) => t !== 1 && t !== 2)) throw new ArgError(`${f}: expected 1, 2 or 1,2, got '${argv[i]}'`);
        a.nativeThreads = [...new Set(ts)];
        break;
      }
      case '--onm-neurons': {
        const n = Number(value(argv, i++, f));
        // Linear needs at least two outputs; beyond 65536 the weight alone would be 16 GiB.
        if (!Number.isInteger(n) || n < 2 || n > 65536) throw new ArgError(`${f}: expected an integer from 2 to 65536, got '${argv[i]}'`);
        a.onmNeurons = n;
        break;
      }
      case '--peak': {
        const n = Number(value(argv, i++, f));
        if (!(n > 0)) throw new ArgError(`${f}: expected a positive number, got '${argv[i]}'`);
        a.peakGflops = n;
        break;
      }
      default:
        throw new ArgError(`unknown option '${f}'`);
    }
  }
  return a;
}
