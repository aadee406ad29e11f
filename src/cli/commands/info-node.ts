import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backendNames, getBackend } from '../../backend/registry.js';
import { packageRoot } from '../../config/load-node.js';
import { registerNativeBackend } from '../../backend/native/load-node.js';
import { registerNodeWebGpuBackend } from '../../backend/webgpu/load-node.js';

export interface InfoOptions {
  json?: boolean;
}

/** The installed package's version (package.json), for `spikeflow --version` and `info`. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export async function runInfo(opts: InfoOptions): Promise<void> {
  const pkg = { version: packageVersion() };
  const native = registerNativeBackend();
  const active = getBackend();
  // Probed after the active backend is chosen: training does not run on webgpu
  // yet (docs/design.md, "WebGPU backend"), so `auto` must not pick it here either.
  const gpu = await registerNodeWebGpuBackend();
  gpu.backend?.dispose();
  const info = {
    spikeflow: pkg.version,
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    backends: backendNames().filter((n) => n !== 'ts64'),
    active: active.name,
    reason: process.env.SPIKEFLOW_BACKEND
      ? `selected by SPIKEFLOW_BACKEND=${process.env.SPIKEFLOW_BACKEND}`
      : `auto: fastest backend that loaded (${active.name})`,
    eventDensityThreshold: active.eventDensityThreshold,
    native: native.reason,
    webgpu: gpu.reason,
  };
  if (opts.json) {
    process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    return;
  }
  process.stdout.write(
    [
      `spikeflow ${info.spikeflow} (node ${info.node}, ${info.platform})`,
      `backends available: ${info.backends.join(', ')}`,
      `active backend: ${info.active} — ${info.reason}`,
      `native: ${info.native}`,
      `webgpu: ${info.webgpu}`,
      `event-driven propagation below ${(100 * info.eventDensityThreshold).toFixed(0)}% input density`,
    ].join('\n') + '\n',
  );
}
