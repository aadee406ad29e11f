import { BackendError } from '../errors.js';
import type { Backend } from './backend.js';
import { createTsBackend } from './ts/backend.js';
import { createWasmBackend } from './wasm/backend.js';

/**
 * Backend selection. `auto` picks the fastest registered backend that loads;
 * faster backends register themselves with a priority (see docs/design.md).
 */
interface Entry {
  name: string;
  priority: number;
  create: () => Backend;
  instance?: Backend;
}

const entries = new Map<string, Entry>();
let current: Backend | null = null;

export function registerBackend(name: string, priority: number, create: () => Backend): void {
  entries.set(name, { name, priority, create });
}

registerBackend('ts', 0, () => createTsBackend('float32'));
registerBackend('ts64', -1, () => createTsBackend('float64'));
// WebAssembly SIMD128 (Node and browsers). Its storage lives in wasm linear memory;
// the Trainer (and the CLI's evaluation/measurement loops) run every batch in a
// step scope (Backend.beginScope/endScope) that frees the step's temporaries
// deterministically — finalizers alone never run inside a synchronous training
// loop. `auto` tries native (registered at load, higher priority), then wasm, then ts.
registerBackend('wasm', 10, () => createWasmBackend());

export function backendNames(): string[] {
  return [...entries.values()].sort((a, b) => b.priority - a.priority).map((e) => e.name);
}

export function getBackendByName(name: string): Backend {
  const e = entries.get(name);
  if (!e) throw new BackendError(`unknown backend '${name}' (available: ${backendNames().join(', ')}, auto)`);
  if (!e.instance) e.instance = e.create();
  return e.instance;
}

/** Select the process-wide default backend by name or `auto`. */
export function setBackend(name: string): Backend {
  if (name === 'auto') {
    const candidates = [...entries.values()].filter((e) => e.priority >= 0).sort((a, b) => b.priority - a.priority);
    for (const e of candidates) {
      try {
        current = getBackendByName(e.name);
        return current;
      } catch {
        // fall through to the next candidate
      }
    }
    throw new BackendError('no backend could be loaded');
  }
  current = getBackendByName(name);
  return current;
}

export function getBackend(): Backend {
  if (!current) {
    const env = typeof process !== 'undefined' ? process.env?.SPIKEFLOW_BACKEND : undefined;
    setBackend(env && env.length > 0 ? env : 'auto');
  }
  return current!;
}

/** Run fn with another default backend, restoring the previous one afterwards. */
export function withBackend<T>(b: Backend | string, fn: () => T): T {
  const prev = current;
  current = typeof b === 'string' ? getBackendByName(b) : b;
  try {
    return fn();
  } finally {
    current = prev;
  }
}
