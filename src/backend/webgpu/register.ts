/// <reference types="@webgpu/types" />
import { registerBackend } from '../registry.js';
import { GpuContext } from './context.js';
import { acquireDevice, browserGpu, findAdapter, openDevice, summarize, type AcquiredDevice, type AdapterSummary } from './device.js';
import { createWebGpuBackend, type WebGpuBackend } from './backend.js';

/*
 * Registering `webgpu` is asynchronous (adapter and device requests are), so
 * it is a call the entry point awaits, not a side effect of loading the
 * registry: the browser playground calls it with `navigator.gpu`, the Node
 * side through load-node.ts with the `webgpu` package's GPU object.
 */

/** Above native (20): a hardware GPU is the fastest backend there is. */
export const WEBGPU_PRIORITY = 30;
/** Registered but never chosen by `auto` (a software adapter such as SwiftShader). */
export const WEBGPU_FALLBACK_PRIORITY = -1;

export interface WebGpuLoadResult {
  backend: WebGpuBackend | null;
  adapter: AdapterSummary | null;
  /** One line: the adapter and whether `auto` may pick it, or why there is no webgpu backend. */
  reason: string;
}

/**
 * Acquire a device from `gpu` (default: the browser's `navigator.gpu`) and
 * register the `webgpu` backend. Never throws: without WebGPU the result says
 * why and nothing is registered.
 */
export async function registerWebGpuBackend(gpu: GPU | undefined = browserGpu(), where = 'browser'): Promise<WebGpuLoadResult> {
  if (!gpu) return { backend: null, adapter: null, reason: `webgpu unavailable: no WebGPU in this ${where}` };
  let acquired: AcquiredDevice;
  try {
    acquired = await acquireDevice(gpu, where);
  } catch (e) {
    return { backend: null, adapter: null, reason: e instanceof Error ? e.message : String(e) };
  }
  const backend = registerAcquired(acquired);
  const a = acquired.adapter;
  const reason = a.fallback
    ? `webgpu on ${a.description}: a fallback adapter (${a.software}), used only with --backend webgpu`
    : `webgpu on ${a.description}`;
  return { backend, adapter: a, reason };
}

/** The backend on an acquired device, registered as `webgpu`: above native for a hardware adapter, below `auto`'s floor for a software one. */
function registerAcquired(acquired: AcquiredDevice): WebGpuBackend {
  const backend = createWebGpuBackend(new GpuContext(acquired.device, acquired.handles), acquired.adapter);
  registerBackend('webgpu', acquired.adapter.fallback ? WEBGPU_FALLBACK_PRIORITY : WEBGPU_PRIORITY, () => backend);
  return backend;
}

/** What a browser page may ask for (the playground's `?backend=`): `auto` lets chooseBrowserBackend decide. */
export type BrowserBackendRequest = 'auto' | 'webgpu' | 'wasm';

export interface BrowserBackendChoice {
  /** The backend to train on. */
  name: 'webgpu' | 'wasm';
  /** The registered webgpu backend when `name` is 'webgpu', else null (no device was opened, or it failed). */
  backend: WebGpuBackend | null;
  /** The adapter the browser offered, when it offered one. */
  adapter: AdapterSummary | null;
  /** Why this backend, one phrase for the page: "WebGPU adapter is SwiftShader, a CPU emulation". */
  reason: string;
}

/**
 * The browser's backend before any model is known: webgpu when the browser
 * offers a hardware adapter and a device opens on it, else wasm. The adapter
 * rule is summarize()'s, the one `auto` follows in Node: a software adapter
 * (SwiftShader) is never chosen on its own, since it is slower than wasm.
 * `request` 'webgpu' takes a software adapter too; where there is no adapter
 * or device it still answers wasm, with the reason, so a page asked for the
 * GPU keeps working and says why it could not. `request` 'wasm' opens
 * nothing. Registers `webgpu` only when the answer is webgpu. Never throws.
 * Whether the model's layers run there is the caller's next question (the
 * layer probe, src/cli/webgpu-probe.ts).
 */
export async function chooseBrowserBackend(request: BrowserBackendRequest, gpu: GPU | undefined = browserGpu(), where = 'browser'): Promise<BrowserBackendChoice> {
  const forced = request === 'webgpu';
  const wasm = (why: string, adapter: AdapterSummary | null = null): BrowserBackendChoice => ({
    name: 'wasm',
    backend: null,
    adapter,
    reason: forced ? `webgpu was asked for, but ${why}` : why,
  });
  if (request === 'wasm') return { name: 'wasm', backend: null, adapter: null, reason: 'asked for' };
  if (!gpu) return wasm(`this ${where} has no WebGPU (navigator.gpu)`);
  const found = await findAdapter(gpu);
  if (!found.adapter) return wasm(`WebGPU has ${found.missing}`);
  const summary = summarize(found.adapter);
  if (summary.software && !forced) return wasm(`WebGPU adapter is ${summary.software}`, summary);
  let acquired: AcquiredDevice;
  try {
    acquired = await openDevice(gpu, found.adapter, where);
  } catch (e) {
    return wasm(e instanceof Error ? e.message : String(e), summary);
  }
  const backend = registerAcquired(acquired);
  const reason = summary.software
    ? `asked for, on ${summary.software}: slower than wasm`
    : `hardware adapter ${summary.description}`;
  return { name: 'webgpu', backend, adapter: summary, reason };
}
