import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../src/backend/backend.js';
import type { WebGpuBackend } from '../../src/backend/webgpu/backend.js';
import type { AdapterSummary } from '../../src/backend/webgpu/device.js';
import { registerNodeWebGpuBackend } from '../../src/backend/webgpu/load-node.js';
import type { BenchArgs } from './args.js';
import type { WebGpuStatus } from './types.js';

/* The webgpu backend in the suite: finding an adapter, naming it in the rows, waiting for the device. */

/** Debian's chromium ships SwiftShader, a Vulkan driver on the CPU, which Dawn accepts (docs/design.md, WebGPU backend). */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface LoadedWebGpu {
  backend: WebGpuBackend | null;
  status: WebGpuStatus;
}

/**
 * Register the webgpu backend when the run may use it (no --backend, or
 * --backend webgpu). Dawn is asked for an adapter as it is configured; when
 * it finds none, VK_ICD_FILENAMES is unset and chromium's SwiftShader is
 * installed, it is asked again with that driver (the Vulkan loader reads the
 * variable when Dawn creates an instance), so a machine without a GPU still
 * gets webgpu rows, labelled as CPU emulation and run at reduced sizes.
 * SPIKEFLOW_WEBGPU=0 leaves webgpu out.
 */
export async function loadWebGpu(args: BenchArgs): Promise<LoadedWebGpu> {
  const none = (message: string): LoadedWebGpu => ({ backend: null, status: { available: false, adapter: null, fallback: false, reducedSizes: false, message } });
  if (args.backend !== null && args.backend !== 'webgpu') return none(`not selected (--backend ${args.backend})`);
  // Dawn's Vulkan path logs an error (and works) without a runtime directory.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'spikeflow-xdg-'));
  let r = await registerNodeWebGpuBackend();
  if (!r.backend && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD) && process.env.SPIKEFLOW_WEBGPU !== '0') {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    r = await registerNodeWebGpuBackend();
  }
  if (!r.backend || !r.adapter) return none(r.reason);
  const a = r.adapter;
  // A software adapter runs the GEMMs ~1000× slower than one native core (measured: 0.01–0.04 GFLOP/s on SwiftShader, 2 shared cores).
  const reducedSizes = a.fallback;
  const message = `${a.description}${a.fallback ? ': a fallback (software) adapter; workloads run at reduced sizes named in their case ids, and its times say nothing about a GPU' : ''}`;
  return { backend: r.backend, status: { available: true, adapter: a.description, fallback: a.fallback, reducedSizes, message } };
}

/** The row label of the webgpu backend: its adapter, and whether that adapter is a CPU emulating a GPU. */
export function webgpuLabel(a: AdapterSummary): string {
  const suffix = ` (${a.vendor}, ${a.architecture})`;
  const name = a.description.endsWith(suffix) ? a.description.slice(0, -suffix.length) : a.description;
  if (a.architecture === 'swiftshader' || /swiftshader/i.test(name)) return `webgpu (${name}, CPU emulation)`;
  return a.fallback ? `webgpu (${name}, fallback adapter)` : `webgpu (${name})`;
}

/**
 * Device completion for a backend that computes asynchronously: reading one
 * float flushes the recorded commands and resolves only after every
 * command submitted before it has run (the queue executes in order). Null
 * for the CPU backends.
 */
export function settleFor(backend: Backend): (() => Promise<void>) | null {
  if (backend.syncRead) return null;
  // Allocated outside any step scope and held by the closure, so no scope releases it.
  const probe = backend.alloc(1);
  return async () => {
    await backend.read(probe);
  };
}
