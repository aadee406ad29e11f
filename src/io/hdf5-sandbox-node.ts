import { Worker } from 'node:worker_threads';
import { ConfigError, FormatError, NotFoundError, NumericError, ShapeError } from '../errors.js';
import type { Hdf5JobName, Hdf5JobRequest, Hdf5Sandbox } from './hdf5.js';

/*
 * Untrusted HDF5 files are parsed in a worker thread (hdf5-worker-node.ts)
 * with a wall-time and a memory budget. The HDF5 C library in h5wasm can spin
 * forever on a damaged file (a zeroed global heap), trap (out-of-bounds
 * access) and leave its instance corrupt, and leak a little on every error it
 * throws through the C stack; none of that can be undone inside one
 * JavaScript realm, but a worker can be terminated (which stops even a wasm
 * loop) and replaced by a fresh one with a fresh instance. One worker serves
 * the reads of a process one at a time and is replaced after a timeout, a
 * trap, any error that is not one of spikeflow's typed errors, a heap that has
 * grown past RECYCLE_HEAP, RECYCLE_FAILURES failed reads or RECYCLE_JOBS
 * reads; it is let go after IDLE_MS without work, and never keeps the process
 * alive while idle.
 */

const MiB = 2 ** 20;
/** Base budgets of one read; both grow with the file (see hdf5Budget). */
export const DEFAULT_TIMEOUT_S = 1;
export const DEFAULT_MEMORY_MIB = 256;
/** A worker whose WebAssembly heap grew past this is replaced, so memory stays flat over many files. */
const RECYCLE_HEAP = 128 * MiB;
/** Reads per worker; each error the C library throws leaks a little stack and heap. */
const RECYCLE_JOBS = 2000;
const RECYCLE_FAILURES = 100;
const IDLE_MS = 10_000;
/** A worker's own start (loading h5wasm) may take this long on a loaded machine. */
const START_MS = 60_000;

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { name: string; message: string };
  /** The library trapped or failed in a way that may have left it corrupt. */
  poisoned?: boolean;
  /** The WebAssembly heap hit the memory budget during the read. */
  overBudget?: boolean;
  heapBytes: number;
}

/**
 * Each job's module (by URL, not import: the readers stand on higher floors
 * and are loaded only inside the worker) and exported function.
 */
const JOBS: Record<Hdf5JobName, { module: string; fn: string }> = {
  nir: { module: new URL('../interop/nir/read-job.js', import.meta.url).href, fn: 'nirJob' },
  shd: { module: new URL('../data/events/shd-job-node.js', import.meta.url).href, fn: 'shdJob' },
};

const TYPED: Record<string, new (message: string) => Error> = { FormatError, NotFoundError, ConfigError, NumericError, ShapeError };

function envPositive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new ConfigError(`${name}=${raw}: expected a positive number`);
  return v;
}

function positive(v: number | undefined, what: string): number | undefined {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new ConfigError(`${what} must be a positive number, got ${v}`);
  return v;
}

/** The budgets of one read: explicit values, else the defaults (env-adjustable) scaled by the file size. */
export function hdf5Budget(job: Pick<Hdf5JobRequest, 'size' | 'timeoutMs' | 'memoryMiB'>): { timeoutMs: number; memoryMiB: number } {
  const timeoutMs = positive(job.timeoutMs, 'timeoutMs') ?? Math.round(envPositive('SPIKEFLOW_HDF5_TIMEOUT_S', DEFAULT_TIMEOUT_S) * 1000 + (job.size / (4 * MiB)) * 1000);
  const memoryMiB = positive(job.memoryMiB, 'memoryMiB') ?? Math.ceil(envPositive('SPIKEFLOW_HDF5_MEMORY_MB', DEFAULT_MEMORY_MIB) + (4 * job.size) / MiB);
  return { timeoutMs, memoryMiB };
}

/**
 * The process's Node flags minus those about its own entry point, which a
 * worker refuses (`node --input-type=module -e ...` is how the SHD dataset
 * loader starts its reader process).
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (/^--input-type(=|$)/.test(a)) {
      if (a === '--input-type') i++;
      continue;
    }
    if (['-e', '--eval', '-p', '--print'].includes(a)) {
      i++;
      continue;
    }
    // Heap and stack sizes are per-isolate V8 options a Worker refuses in
    // execArgv (ERR_WORKER_INVALID_EXEC_ARGV): a process started with
    // --max-old-space-size could otherwise read no HDF5 file at all. The
    // worker's own heap is bounded by resourceLimits instead.
    if (/^--(max-old-space-size|max-semi-space-size|max-heap-size|initial-heap-size|initial-old-space-size|stack-size)=/.test(a)) continue;
    out.push(a);
  }
  return out;
}

function oneLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter((l) => l.length > 0)[0] ?? 'unknown error';
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function overBudget(source: string, memoryMiB: number): FormatError {
  return new FormatError(`${source}: reading needs more than the ${memoryMiB} MiB memory budget (SPIKEFLOW_HDF5_MEMORY_MB raises it)`);
}

class WorkerSandbox implements Hdf5Sandbox {
  private worker: Worker | null = null;
  /** Settles when the current worker's h5wasm instance is up (its start does not count against a file's time budget). */
  private ready: Promise<void> = Promise.resolve();
  /** h5wasm's compiled WebAssembly.Module, once a worker has compiled it. */
  private compiled: object | null = null;
  private workerMiB = 0;
  private jobs = 0;
  private failures = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | null = null;
  private seq = 0;
  /** Workers started so far (tests and measurements read it). */
  started = 0;

  run<T>(job: Hdf5JobRequest): Promise<T> {
    const p = this.queue.then(() => this.runNow(job));
    this.queue = p.catch(() => undefined);
    return p as Promise<T>;
  }

  /** Stop the worker now (it is started again on the next read). */
  close(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.retire();
  }

  private spawn(memoryMiB: number): Worker {
    const setup = new URL('./hdf5-worker-setup-node.js', import.meta.url).href;
    const main = new URL('./hdf5-worker-node.js', import.meta.url).href;
    // The worker silences its own stdout and stderr (the library's diagnostics
    // would otherwise reach the caller's); errors come back as one line each.
    // (Parent-side stdio streams are not used: reading them keeps the process alive.)
    // Functions, not script bodies, so importing the modules has no effect
    // (package.json sideEffects stays exact); the setup runs before h5wasm loads.
    const boot = `(async () => { (await import(${JSON.stringify(setup)})).setUpHdf5Worker(); (await import(${JSON.stringify(main)})).runHdf5Worker(); })();`;
    const w = new Worker(boot, {
      eval: true,
      workerData: { compiled: this.compiled },
      execArgv: workerExecArgv(),
      resourceLimits: { maxOldGenerationSizeMb: Math.max(128, memoryMiB), maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    });
    // A late 'error' of a worker already given up on must not become an uncaught exception.
    w.on('error', () => undefined);
    // The first worker hands back h5wasm's compiled code for the later ones (hdf5-worker-setup-node.ts).
    w.on('message', (m: { compiled?: object }) => {
      if (m.compiled) this.compiled ??= m.compiled;
    });
    w.unref();
    this.started += 1;
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no answer in ${START_MS / 1000} s`)), START_MS);
      const onMessage = (m: { ready?: boolean }): void => {
        if (m.ready) finish(null);
      };
      const onExit = (code: number): void => finish(new Error(`exit code ${code}`));
      const finish = (e: Error | null): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('exit', onExit);
        if (e) reject(e);
        else resolve();
      };
      w.on('message', onMessage);
      w.on('exit', onExit);
    });
    this.ready.catch(() => undefined);
    return w;
  }

  private retire(): void {
    const w = this.worker;
    this.worker = null;
    this.jobs = 0;
    this.failures = 0;
    if (w) void w.terminate();
  }

  private async runNow(job: Hdf5JobRequest): Promise<unknown> {
    const { timeoutMs, memoryMiB } = hdf5Budget(job);
    if (this.idle) {
      clearTimeout(this.idle);
      this.idle = null;
    }
    // A worker's JavaScript heap limit is fixed when it starts.
    if (this.worker && this.workerMiB < memoryMiB) this.retire();
    if (!this.worker) {
      this.worker = this.spawn(memoryMiB);
      this.workerMiB = memoryMiB;
    }
    const w = this.worker;
    w.ref();
    try {
      await this.ready;
    } catch (e) {
      this.retire();
      throw new FormatError(`${job.source}: the HDF5 reader did not start (${oneLine((e as Error).message)})`);
    }
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (keep: boolean): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        if (this.worker !== w) return;
        if (!keep) {
          this.retire();
          return;
        }
        w.unref();
        this.idle = setTimeout(() => this.close(), IDLE_MS);
        this.idle.unref();
      };
      const onMessage = (r: Reply): void => {
        if (r.id !== id) return;
        this.jobs += 1;
        if (!r.ok) this.failures += 1;
        done(!r.poisoned && r.heapBytes <= RECYCLE_HEAP && this.jobs < RECYCLE_JOBS && this.failures < RECYCLE_FAILURES);
        if (r.ok) resolve(r.value);
        else reject(this.replyError(r, job.source, memoryMiB));
      };
      const onError = (e: Error & { code?: string }): void => {
        done(false);
        reject(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? overBudget(job.source, memoryMiB) : new FormatError(`${job.source}: the HDF5 reader crashed (${oneLine(e.message)})`));
      };
      const onExit = (code: number): void => {
        done(false);
        reject(new FormatError(`${job.source}: the HDF5 reader stopped unexpectedly (exit code ${code})`));
      };
      timer = setTimeout(() => {
        done(false);
        reject(new FormatError(`${job.source}: reading the HDF5 file took longer than ${seconds(timeoutMs)} and was stopped (damaged file? SPIKEFLOW_HDF5_TIMEOUT_S raises the limit)`));
      }, timeoutMs);
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage({ id, ...JOBS[job.job], input: job.input, capBytes: memoryMiB * MiB }, job.transfer ?? []);
    });
  }

  private replyError(r: Reply, source: string, memoryMiB: number): Error {
    const name = r.error?.name ?? 'Error';
    const message = oneLine(r.error?.message ?? 'unknown error');
    if (r.overBudget) return overBudget(source, memoryMiB);
    const Typed = TYPED[name];
    if (Typed && !r.poisoned) return new Typed(message);
    return new FormatError(`${source}: damaged HDF5 file (the HDF5 library failed: ${message})`);
  }
}

/** The process's HDF5 sandbox (one worker, started on first use). */
export const sandbox = new WorkerSandbox();
