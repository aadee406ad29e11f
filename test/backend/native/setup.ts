import type { Backend } from '../../../src/backend/backend.js';
import type { NativeAddon, NativeIsa } from '../../../src/backend/native/addon.js';
import { nativeAddon, registerNativeBackend } from '../../../src/backend/native/load-node.js';
import { getBackendByName } from '../../../src/backend/registry.js';
import { ArrayStorage } from '../../../src/backend/storage.js';
import type { Rng } from '../../../src/tensor/rng.js';

/** Shared setup of the native-backend tests: they skip, saying why, when the addon is not built. */
const status = registerNativeBackend();
export const skipReason: string | false = status.ok ? false : `native backend unavailable: ${status.reason}`;

export function native(): Backend {
  return getBackendByName('native');
}

export function addon(): NativeAddon {
  const a = nativeAddon();
  if (!a) throw new Error('native addon not loaded');
  return a;
}

const ORDER: NativeIsa[] = ['scalar', 'avx2', 'avx512'];

/** Runs fn once per instruction set this CPU supports (so the fallback kernels are tested too), then restores the best one. */
export function forEachIsa(fn: (isa: NativeIsa) => void): void {
  const a = addon();
  const best = a.info().detectedIsa;
  try {
    for (const isa of ORDER.slice(0, ORDER.indexOf(best) + 1)) {
      assertEq(a.setIsa(isa), isa, 'setIsa');
      fn(isa);
    }
  } finally {
    a.setIsa(best);
  }
}

function assertEq<T>(a: T, b: T, what: string): void {
  if (a !== b) throw new Error(`${what}: ${String(a)} !== ${String(b)}`);
}

export function randArray(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  return a;
}

/** 0/1 spikes with the given density, optionally with some non-binary values mixed in. */
export function spikeArray(rng: Rng, n: number, density: number, nonBinary = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) if (rng.random() < density) a[i] = rng.random() < nonBinary ? rng.uniform(-2, 2) : 1;
  return a;
}

export const st = (a: Float32Array): ArrayStorage => new ArrayStorage(a);

/** Exact equality of two float arrays (bitwise up to the sign of zero; NaN equals NaN). */
export function assertSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (a !== e && !(Number.isNaN(a) && Number.isNaN(e))) throw new Error(`${what}[${i}]: got ${a}, expected ${e} (must be identical)`);
  }
}
