/// <reference types="@webgpu/types" />
import { BackendError } from '../../errors.js';

/*
 * Adapter and device acquisition, the same for the browser (`navigator.gpu`)
 * and Node (the `webgpu` package's `create()`, see load-node.ts): both hand
 * over a GPU object and the rest is standard WebGPU.
 */

/** What `spikeflow info` and the registry need to know about the adapter. */
export interface AdapterSummary {
  /** One line: description or device, vendor, architecture. */
  description: string;
  vendor: string;
  architecture: string;
  /**
   * A software or otherwise limited adapter (SwiftShader says so): usable when
   * asked for by name, never picked by `auto`.
   */
  fallback: boolean;
  /**
   * The largest buffer spikeflow's device can bind to a kernel, in bytes
   * (the smaller of maxBufferSize and maxStorageBufferBindingSize; the device
   * is requested with the adapter's own limits). Storage is pooled in
   * power-of-two buckets, so a tensor of n float32 fits when the power of two
   * at or above 4·n bytes is within this.
   */
  maxBufferBytes: number;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: AdapterSummary;
  /**
   * The GPU and adapter objects, which must stay reachable as long as the
   * device is used: with Dawn in Node, a garbage-collected GPU object takes
   * its native instance with it and the next wait on the device crashes the
   * process (measured: 2 of 6 runs aborted with the GPU object dropped, 0 of
   * 30 with it held).
   */
  handles: readonly object[];
}

/** The GPU object of a browser, or undefined (no WebGPU there, or not a browser). */
export function browserGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu;
}

export function summarize(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const name = info.description || info.device || 'unnamed adapter';
  const vendor = info.vendor || 'unknown vendor';
  const architecture = info.architecture || 'unknown architecture';
  // isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo; read whichever the runtime has.
  const legacy = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const fallback = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? legacy ?? false;
  const maxBufferBytes = Math.min(adapter.limits.maxBufferSize, adapter.limits.maxStorageBufferBindingSize);
  return { description: `${name} (${vendor}, ${architecture})`, vendor, architecture, fallback, maxBufferBytes };
}

/** Request a high-performance adapter and a device with the adapter's buffer-size limits (the rest default). Throws a BackendError saying what was missing. */
export async function acquireDevice(gpu: GPU, where: string): Promise<AcquiredDevice> {
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    throw new BackendError(`webgpu (${where}): requestAdapter failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!adapter) throw new BackendError(`webgpu (${where}): no adapter (no GPU or driver WebGPU can use)`);
  const summary = summarize(adapter);
  let device: GPUDevice;
  try {
    // The WebGPU defaults cap a buffer at 256 MiB and a storage binding at 128 MiB (32 M floats), far
    // below what a GPU holds (a 16384×16384 weight is 1 GiB): ask for what the adapter allows.
    const { maxBufferSize, maxStorageBufferBindingSize } = adapter.limits;
    device = await adapter.requestDevice({ label: 'spikeflow', requiredLimits: { maxBufferSize, maxStorageBufferBindingSize } });
  } catch (e) {
    throw new BackendError(`webgpu (${where}): requestDevice on ${summary.description} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { device, adapter: summary, handles: [gpu, adapter] };
}
