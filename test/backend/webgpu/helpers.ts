import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { registerNodeWebGpuBackend } from '../../../src/backend/webgpu/load-node.js';
import type { WebGpuBackend } from '../../../src/backend/webgpu/backend.js';
import type { Storage } from '../../../src/backend/storage.js';
import { Rng } from '../../../src/tensor/rng.js';

/*
 * The webgpu suite's device. Without a GPU, Debian's chromium package ships
 * SwiftShader (a Vulkan driver on the CPU), which Dawn accepts: when
 * VK_ICD_FILENAMES is unset and that driver exists, the suite points the
 * Vulkan loader at it (the variable is read when Dawn creates its instance,
 * so setting it here, before the first adapter request, is enough). No
 * adapter: the tests skip with the reason, except under CI, where a missing
 * adapter fails (.ci/run installs chromium and libvulkan1).
 */

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let loaded: Promise<{ backend: WebGpuBackend | null; reason: string }> | null = null;

/** Point Dawn's Vulkan loader at chromium's SwiftShader unless the environment names a driver; call before the first adapter request. */
export function useSwiftShaderIfUnset(): void {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  // Dawn's Vulkan path logs an error (and works) without a runtime dir.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'spikeflow-xdg-'));
}

function load(): Promise<{ backend: WebGpuBackend | null; reason: string }> {
  if (!loaded) {
    useSwiftShaderIfUnset();
    loaded = registerNodeWebGpuBackend().then((r) => ({ backend: r.backend, reason: r.reason }));
  }
  return loaded;
}

/** The webgpu backend, or null after marking the test skipped (a failure under CI). */
export async function webgpuOrSkip(t: TestContext): Promise<WebGpuBackend | null> {
  const { backend, reason } = await load();
  if (backend) return backend;
  if (process.env.CI) assert.fail(`no WebGPU adapter, and CI must run the webgpu suite (.ci/run installs chromium's SwiftShader and libvulkan1): ${reason}`);
  t.skip(reason);
  return null;
}

/** Uniform values in [lo, hi) from a seeded generator. */
export function randoms(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.random();
  return out;
}

/** Spike-like values: 1 with probability `density`, else 0. */
export function spikes(rng: Rng, n: number, density: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.random() < density ? 1 : 0;
  return out;
}

/** Read a storage of the GPU backend back to the host. */
export async function readBack(be: WebGpuBackend, s: Storage): Promise<Float32Array> {
  return (await be.read(s)) as Float32Array;
}

/** Largest |a − e| / (1 + |e|) over the arrays, and where. */
export function maxRelErr(a: ArrayLike<number>, e: ArrayLike<number>): { err: number; at: number } {
  assert.equal(a.length, e.length, `length ${a.length} != ${e.length}`);
  let err = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - e[i]!) / (1 + Math.abs(e[i]!));
    if (!(d <= err)) {
      err = d;
      at = i;
    }
  }
  return { err, at };
}

/** Fails with the first offending index when the arrays differ by more than tol relative to 1 + |expected|. */
export function assertNear(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  const { err, at } = maxRelErr(actual, expected);
  if (!(err <= tol)) assert.fail(`${what}: error ${err.toExponential(2)} > ${tol} at [${at}]: got ${actual[at]}, expected ${expected[at]}`);
}
