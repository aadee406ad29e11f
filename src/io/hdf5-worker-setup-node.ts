import { parentPort, workerData } from 'node:worker_threads';

/*
 * What the HDF5 sandbox worker (hdf5-worker-node.ts) changes in its own realm
 * before h5wasm is loaded (the worker's boot code calls setUpHdf5Worker, then
 * imports the worker module, which imports h5wasm).
 *
 * - Silence: diagnostics of the C library and of Emscripten (an abort prints a
 *   line before it throws) must not reach the caller's terminal; the error
 *   that comes back says what went wrong, in one line.
 * - Memory budget: Emscripten grows the heap through
 *   WebAssembly.Memory.prototype.grow, replaced here by a version that refuses
 *   to pass the cap, so the C library sees a failed malloc and reports it
 *   instead of taking gigabytes.
 * - Compiled code shared: compiling h5wasm's 3 MB of WebAssembly is most of a
 *   worker's start. The first worker hands its compiled module to the host,
 *   which gives it to every later worker (a fresh instance, fresh memory, the
 *   same immutable code), so replacing a worker after a trap is cheap.
 */

/** The heap cap of the current job, and whether the job hit it. */
export const budget = { cap: Number.POSITIVE_INFINITY, refused: false };

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}
interface WasmApi {
  Memory: { prototype: WasmMemory };
  instantiate(source: unknown, imports?: unknown): Promise<unknown>;
}

export function setUpHdf5Worker(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.write = (() => true) as typeof stream.write;
  }
  // The root tsconfig has no DOM lib, which declares WebAssembly's classes.
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

  const grow = wasm.Memory.prototype.grow;
  wasm.Memory.prototype.grow = function (this: WasmMemory, delta: number): number {
    if (this.buffer.byteLength + delta * 65536 > budget.cap) {
      budget.refused = true;
      throw new RangeError('the HDF5 memory budget is spent');
    }
    return grow.call(this, delta);
  };

  const compiled = (workerData as { compiled?: object } | null)?.compiled ?? null;
  const instantiate = wasm.instantiate;
  let first = true;
  wasm.instantiate = async function (source: unknown, imports?: unknown): Promise<unknown> {
    // Only h5wasm's main module is shared (later calls would be plugins).
    if (!first) return instantiate.call(wasm, source, imports);
    first = false;
    if (compiled) return { module: compiled, instance: await instantiate.call(wasm, compiled, imports) };
    const result = (await instantiate.call(wasm, source, imports)) as { module: object };
    parentPort?.postMessage({ compiled: result.module });
    return result;
  };
}
