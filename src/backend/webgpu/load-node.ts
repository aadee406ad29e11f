/// <reference types="@webgpu/types" />
import { registerWebGpuBackend, type WebGpuLoadResult } from './register.js';

/*
 * WebGPU in Node through the optional `webgpu` package (Dawn). Imported
 * dynamically so spikeflow installs and runs without it; nothing else in the
 * package refers to it.
 */

interface DawnModule {
  create(flags: string[]): GPU;
}

/** The `webgpu` package's GPU object, or the reason it is missing. */
export async function nodeGpu(): Promise<{ gpu: GPU | null; reason: string }> {
  if (process.env.SPIKEFLOW_WEBGPU === '0') return { gpu: null, reason: 'webgpu disabled by SPIKEFLOW_WEBGPU=0' };
  let mod: DawnModule;
  try {
    // A variable specifier keeps bundlers and tsc from resolving the optional package.
    const name = 'webgpu';
    mod = (await import(name)) as DawnModule;
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    return { gpu: null, reason: `webgpu unavailable: the optional package 'webgpu' did not load (${msg})` };
  }
  try {
    return { gpu: mod.create([]), reason: 'ok' };
  } catch (e) {
    return { gpu: null, reason: `webgpu unavailable: the 'webgpu' package could not start Dawn (${e instanceof Error ? e.message : String(e)})` };
  }
}

/** Load Dawn, acquire a device and register `webgpu` (see register.ts). Never throws. */
export async function registerNodeWebGpuBackend(): Promise<WebGpuLoadResult> {
  const { gpu, reason } = await nodeGpu();
  if (!gpu) return { backend: null, adapter: null, reason };
  return registerWebGpuBackend(gpu, 'Node process');
}
