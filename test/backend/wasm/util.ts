import { createTsBackend } from '../../../src/backend/ts/backend.js';
import { createWasmBackend, type WasmBackend } from '../../../src/backend/wasm/backend.js';
import type { Backend } from '../../../src/backend/backend.js';
import type { Storage } from '../../../src/backend/storage.js';
import { Rng } from '../../../src/tensor/rng.js';

/** One wasm backend for the whole file (each instance owns its own linear memory) and the float32 reference. */
export const wasm: WasmBackend = createWasmBackend();
export const ts: Backend = createTsBackend('float32');

/** Random numbers in [-1, 1), or 0/1 spikes with the given density, as a plain array. */
export function randomValues(rng: Rng, n: number, density = -1): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = density < 0 ? rng.uniform(-1, 1) : rng.uniform(0, 1) < density ? 1 : 0;
  return out;
}

/** The same numbers in a storage of each backend. */
export function pair(values: number[]): { w: Storage; t: Storage } {
  return { w: wasm.fromArray(values), t: ts.fromArray(values) };
}
