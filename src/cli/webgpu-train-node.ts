import type { Backend } from '../backend/backend.js';
import { registerNativeBackend } from '../backend/native/load-node.js';
import { backendNames, getBackendByName, withBackend } from '../backend/registry.js';
import { registerNodeWebGpuBackend } from '../backend/webgpu/load-node.js';
import type { RunConfig } from '../config/schema.js';
import { buildSession, sessionTrainer, type Session } from '../config/session.js';
import { ConfigError } from '../errors.js';
import type { Trainer } from '../train/trainer.js';
import type { SplitDataset } from '../data/dataset.js';

// The layer probe lives in a browser-safe file (the playground's worker runs it too).
export { probeSession } from './webgpu-probe.js';

/*
 * `spikeflow train` on a backend without synchronous reads (webgpu; see
 * docs/design.md, "WebGPU backend"): the backend is registered only when a
 * run names it (so `auto` never lands on a GPU a model might not run on),
 * the model is probed layer by layer before the run folder exists, and a
 * host mirror — the same config built on a CPU backend — receives the device
 * state once per epoch for everything that reads tensors on the host
 * (checkpoint, weights, finite check, measurements, plots, confusion matrix).
 */

/** Register the webgpu backend when the config asks for it; a ConfigError with Dawn's reason when there is no adapter. */
export async function ensureWebGpu(config: RunConfig): Promise<void> {
  if (config.backend !== 'webgpu' || backendNames().includes('webgpu')) return;
  const r = await registerNodeWebGpuBackend();
  if (!r.backend) {
    throw new ConfigError(
      `backend: 'webgpu' is not available here (${r.reason}); without a GPU, Chromium's SwiftShader works: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (needs libvulkan1)`,
    );
  }
}

/** What the first slice of webgpu training does not cover, refused before anything is written. */
export function refuseUnsupported(opts: { resume?: string; weights?: string; scheduled: boolean; distill: boolean }): void {
  const no = (what: string): never => {
    throw new ConfigError(`${what} is not supported on the webgpu backend yet; train on a CPU backend (--backend native, wasm or ts)`);
  };
  if (opts.resume !== undefined) no('--resume');
  if (opts.weights !== undefined) no('--weights');
  if (opts.scheduled) no('train.timestep_schedule');
  if (opts.distill) no('train.distill');
}

export interface HostMirror {
  session: Session;
  trainer: Trainer;
}

/**
 * The same config built on the fastest CPU backend that loads (native, else
 * wasm) from the same loaded data (`data` as loadSessionData returned it:
 * buildSession holds out the validation split itself).
 */
export function hostMirror(config: RunConfig, data: SplitDataset): HostMirror {
  const cpu = getBackendByName(registerNativeBackend().ok ? 'native' : 'wasm');
  return withBackend(cpu, () => {
    const session = buildSession(config, { data, backend: cpu });
    return { session, trainer: sessionTrainer(session).trainer };
  });
}

/**
 * Destroy the device of a finished run, so Dawn's handles do not keep the
 * process alive (as `spikeflow info` does). Other backends: nothing to do.
 */
export function releaseDevice(backend: Backend): void {
  if (backend.name === 'webgpu' && 'dispose' in backend && typeof backend.dispose === 'function') (backend.dispose as () => void)();
}
