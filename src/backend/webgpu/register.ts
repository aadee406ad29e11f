/// <reference types="@webgpu/types" />
import { registerBackend } from '../registry.js';
import { GpuContext } from './context.js';
import { acquireDevice, browserGpu, type AdapterSummary } from './device.js';
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
  let acquired;
  try {
    acquired = await acquireDevice(gpu, where);
  } catch (e) {
    return { backend: null, adapter: null, reason: e instanceof Error ? e.message : String(e) };
  }
  const backend = createWebGpuBackend(new GpuContext(acquired.device, acquired.handles), acquired.adapter);
  const a = acquired.adapter;
  registerBackend('webgpu', a.fallback ? WEBGPU_FALLBACK_PRIORITY : WEBGPU_PRIORITY, () => backend);
  const reason = a.fallback
    ? `webgpu on ${a.description}: a fallback (software) adapter, used only with --backend webgpu`
    : `webgpu on ${a.description}`;
  return { backend, adapter: a, reason };
}
