import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendError } from '../../errors.js';
import { registerBackend } from '../registry.js';
import { NATIVE_FUNCTIONS, type NativeAddon } from './addon.js';
import { createNativeBackend } from './backend.js';

/** Where `npm install` (node-gyp) puts the addon, relative to the package root. */
export const NATIVE_ADDON_RELATIVE_PATH = 'build/Release/spikeflow_native.node';

/** Priority of `native` for `auto` (above wasm and ts). */
export const NATIVE_PRIORITY = 20;

export interface NativeLoadResult {
  addon: NativeAddon | null;
  /** One line: what loaded (instruction set, threads), or why nothing did. */
  reason: string;
}

/** The package root: the nearest folder above this module holding package.json (independent of the cwd). */
function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, 'package.json'))) return d;
    const up = dirname(d);
    if (up === d) return dirname(fileURLToPath(import.meta.url));
    d = up;
  }
}

export function defaultNativeAddonPath(): string {
  return join(packageRoot(), NATIVE_ADDON_RELATIVE_PATH);
}

/**
 * GEMM/event-kernel threads: SPIKEFLOW_THREADS (1 or 2) when set, else 2 on a
 * machine with at least two CPUs. Two threads make the 784-1000-10 training
 * step 1.3× faster here (69 → 52 ms, bench b); the pool waits passively, so
 * a busy second core costs the split, not a spinning thread.
 */
export function defaultThreads(): number {
  const env = process.env.SPIKEFLOW_THREADS;
  if (env !== undefined && env.length > 0) return Number(env) >= 2 ? 2 : 1;
  return availableParallelism() >= 2 ? 2 : 1;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim();
}

/**
 * Loads the compiled addon; never throws. SPIKEFLOW_NATIVE=0 skips it (the
 * fallback test and users who want the wasm/ts path use this).
 */
export function loadNativeAddon(path: string = defaultNativeAddonPath()): NativeLoadResult {
  if (process.env.SPIKEFLOW_NATIVE === '0') return { addon: null, reason: 'native backend disabled by SPIKEFLOW_NATIVE=0' };
  if (!existsSync(path)) return { addon: null, reason: `native addon not built: ${path} is missing (run \`npm run build:native\`)` };
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)(path);
  } catch (e) {
    return { addon: null, reason: `native addon not loadable: ${firstLine(e)}` };
  }
  const missing = NATIVE_FUNCTIONS.filter((f) => typeof (mod as Record<string, unknown> | null)?.[f] !== 'function');
  if (missing.length > 0) return { addon: null, reason: `native addon at ${path} is stale (lacks ${missing.join(', ')}); run \`npm run build:native\`` };
  const addon = mod as NativeAddon;
  addon.setErrorClass(BackendError);
  addon.setThreads(defaultThreads());
  const info = addon.info();
  return { addon, reason: `native addon loaded (${info.isa}, ${info.threads} thread${info.threads === 1 ? '' : 's'} for GEMM and event kernels)` };
}

let registered: NativeLoadResult | null = null;

/**
 * Registers the `native` backend (priority 20) when the addon loads. Returns
 * ok and a one-line reason for `spikeflow info`. Idempotent once it succeeded;
 * a failed attempt registers nothing, so `auto` picks the next backend.
 */
export function registerNativeBackend(opts: { path?: string } = {}): { ok: boolean; reason: string } {
  if (registered?.addon) return { ok: true, reason: registered.reason };
  const r = loadNativeAddon(opts.path);
  if (!r.addon) return { ok: false, reason: r.reason };
  registered = r;
  const addon = r.addon;
  registerBackend('native', NATIVE_PRIORITY, () => createNativeBackend(addon));
  return { ok: true, reason: r.reason };
}

/** The loaded addon (after a successful registerNativeBackend), for benchmarks and tests that tune it. */
export function nativeAddon(): NativeAddon | null {
  return registered?.addon ?? null;
}
