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
   * A software or otherwise limited adapter (the runtime says so, or it is a
   * known CPU implementation such as SwiftShader): usable when asked for by
   * name, never picked by `auto` or by the playground on its own.
   */
  fallback: boolean;
  /**
   * Why `fallback` is set, as a phrase ("SwiftShader, a CPU emulation"); null
   * for a hardware adapter.
   */
  software: string | null;
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

/**
 * CPU implementations of a GPU API, by the words their adapters report in
 * vendor, architecture, device or description. SwiftShader (Chromium's and
 * Dawn's software Vulkan) says `isFallbackAdapter` in every runtime measured
 * (Dawn in Node, Chromium 150), but a browser may hide that flag or blank
 * the description, so the names are checked as well: a CPU emulation is
 * slower than the wasm backend (~90x slower than even the ts reference,
 * docs/design.md), and choosing it on its own would be a regression.
 */
const SOFTWARE_ADAPTERS: ReadonlyArray<{ pattern: RegExp; what: string }> = [
  { pattern: /swiftshader/i, what: 'SwiftShader, a CPU emulation' },
  { pattern: /llvmpipe|lavapipe|softpipe/i, what: "Mesa's CPU rasterizer" },
  { pattern: /microsoft basic render/i, what: "Windows' CPU rasterizer (WARP)" },
];

/** An adapter's identity and whether it is a hardware GPU (the one rule `auto` in Node and the playground share). */
export function summarize(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const name = info.description || info.device || 'unnamed adapter';
  const vendor = info.vendor || 'unknown vendor';
  const architecture = info.architecture || 'unknown architecture';
  // isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo; read whichever the runtime has.
  const legacy = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const flagged = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? legacy ?? false;
  const words = [info.vendor, info.architecture, info.device, info.description].join(' ');
  const known = SOFTWARE_ADAPTERS.find((s) => s.pattern.test(words));
  const software = known ? known.what : flagged ? 'a fallback adapter (software or limited, as the browser reports it)' : null;
  const maxBufferBytes = Math.min(adapter.limits.maxBufferSize, adapter.limits.maxStorageBufferBindingSize);
  return { description: `${name} (${vendor}, ${architecture})`, vendor, architecture, fallback: software !== null, software, maxBufferBytes };
}

/** A high-performance adapter, or why there is none (a phrase: "no adapter (…)"). Never throws. */
export async function findAdapter(gpu: GPU): Promise<{ adapter: GPUAdapter; missing: null } | { adapter: null; missing: string }> {
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    return adapter ? { adapter, missing: null } : { adapter: null, missing: 'no adapter (no GPU or driver WebGPU can use)' };
  } catch (e) {
    return { adapter: null, missing: `requestAdapter failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** findAdapter's adapter; a BackendError saying what was missing otherwise. */
export async function requestAdapter(gpu: GPU, where: string): Promise<GPUAdapter> {
  const found = await findAdapter(gpu);
  if (!found.adapter) throw new BackendError(`webgpu (${where}): ${found.missing}`);
  return found.adapter;
}

/** A device with the adapter's buffer-size limits (the rest default) on an adapter `requestAdapter` gave. Throws a BackendError naming the adapter. */
export async function openDevice(gpu: GPU, adapter: GPUAdapter, where: string): Promise<AcquiredDevice> {
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

/** Request a high-performance adapter and a device with its buffer-size limits. Throws a BackendError saying what was missing. */
export async function acquireDevice(gpu: GPU, where: string): Promise<AcquiredDevice> {
  return openDevice(gpu, await requestAdapter(gpu, where), where);
}
