/** Shapes of what the suite produces (stdout JSON, bench/results/latest.json). */

export const WORKLOAD_IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

export const WORKLOAD_TITLES: Record<WorkloadId, string> = {
  a: 'GEMM shapes of the 784-1000-10 net',
  b: 'training step, LIF 784-1000-10, T=25, B=128',
  c: 'inference (noGrad), LIF 784-1000-10, T=25, B=128',
  d: 'dense vs event-driven 784→1000 propagation, [3200, 784] spikes',
  e: 'conv SNN training step, 28×28, T=8, B=32',
  f: 'streaming latency per time step, LIF 784-1000-10, B=1',
  g: 'event representations (ToFrame, ToVoxelGrid) on 1M events, target < 50 ms',
  h: 'learnable-delay layer (DCLS), SHD configuration: 140→256, K=25, T=100+12',
  i: 'spiking-transformer training steps (Spikformer SSA, SDT SDSA), FMNIST examples, T=4, B=64',
  j: 'SpikeGPT (kjv example): training step T=128 B=16, and one generated token (batch 1)',
  k: 'Open Neuromorphic SNN library benchmark: Linear(n→n) + LIF, T=500, B=16, forward and backward timed apart',
};

/** The work one iteration does, counted explicitly (see the notes of each case). */
export interface WorkCount {
  /** Arithmetic operations this implementation performs per iteration (adds, multiplies, compares in neuron scans). */
  flops: number;
  /** The same computation done fully dense (every linear/conv as 2·M·N·K); what the PyTorch reference performs. */
  denseFlops: number;
  /** Bytes read + written by the memory-bound kernels, when that is what the case measures; null otherwise. */
  bytes: number | null;
  /** How flops/bytes were counted. */
  note: string;
}

export interface TorchTiming {
  medianMs: number;
  minMs: number;
  maxMs: number;
  reps: number;
  /** Dense-equivalent GFLOP/s (PyTorch performs every product densely). */
  gflops: number | null;
  /** spikeflow median time / PyTorch median time (> 1: spikeflow is slower). */
  ratio: number;
  note?: string;
}

export interface CaseResult {
  workload: WorkloadId;
  /** Stable id shared with the PyTorch reference, e.g. `gemm-nt-128x784x1000`. */
  case: string;
  /** The reference case this one is compared with when it is not its own id (two ways of running one computation share one PyTorch timing). */
  torchCase?: string;
  title: string;
  backend: string;
  reps: number;
  warmup: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Samples (whole input sequences) processed per iteration. */
  samplesPerIter: number;
  samplesPerSec: number;
  work: WorkCount;
  /** work.flops / median time. */
  gflops: number;
  /** gflops / the single-core peak. */
  peakFraction: number;
  /** work.bytes / median time, when bytes are counted. */
  gbPerSec: number | null;
  /** Case-specific facts (measured densities, which path ran). */
  extra: Record<string, number | string | boolean>;
  torch: TorchTiming | null;
}

export interface TorchStatus {
  available: boolean;
  /** Interpreter that has torch, when found. */
  python: string | null;
  version: string | null;
  threads: number;
  /** Why it is absent or failed. */
  message: string;
}

/**
 * A workload or case that did not run on a backend, and why: `refused` when
 * the backend refuses an operation it needs (webgpu without a kernel, or a
 * host read it cannot do synchronously), `skipped` when the suite chose not
 * to run it there (a size the backend cannot hold or would take far too
 * long on). Neither makes the run fail.
 */
export interface BenchNotRun {
  backend: string;
  workload: WorkloadId;
  /** The case, or null when the whole workload did not run. */
  case: string | null;
  status: 'refused' | 'skipped';
  reason: string;
}

/** Whether the suite found a WebGPU adapter, which, and whether its rows use the reduced sizes. */
export interface WebGpuStatus {
  available: boolean;
  /** Adapter description (e.g. `SwiftShader driver 5.0.0 (google, swiftshader)`), when available. */
  adapter: string | null;
  /** A fallback (software) adapter such as SwiftShader. */
  fallback: boolean;
  /** Rows ran at the reduced sizes a CPU-emulated GPU finishes in seconds (case ids name the sizes). */
  reducedSizes: boolean;
  /** One line: the adapter, or why there is none, or why it was not timed. */
  message: string;
}

/** A workload that threw on a backend; the suite records it and goes on. */
export interface BenchFailure {
  backend: string;
  workload: WorkloadId;
  error: string;
}

export interface BenchReport {
  suite: 'spikeflow-bench';
  version: 1;
  date: string;
  quick: boolean;
  /** Times the workloads and the PyTorch reference alternated (--rounds; absent in reports from before it existed). */
  rounds?: number;
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    platform: string;
    arch: string;
    /** 1, 5 and 15 minute load averages when the suite started and ended (other work on the machine inflates timings). */
    loadAvgStart: number[];
    loadAvgEnd: number[];
  };
  /** GFLOP/s of one core's fp32 GEMM on this machine, the reference for `peakFraction`. */
  peakGflops: number;
  backends: string[];
  workloads: WorkloadId[];
  results: CaseResult[];
  /** Workloads that failed (the run exits with status 1 when this is not empty). */
  failures: BenchFailure[];
  /** Workloads and cases refused or skipped on a backend (not failures). */
  notRun: BenchNotRun[];
  webgpu: WebGpuStatus;
  torch: TorchStatus;
  /** How FLOPs and bytes are counted, per workload. */
  accounting: string[];
}
