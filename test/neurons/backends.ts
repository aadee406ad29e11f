import type { Backend } from '../../src/backend/backend.js';
import { registerNativeBackend } from '../../src/backend/native/load-node.js';
import { getBackendByName } from '../../src/backend/registry.js';

/**
 * The float32 backends a model without fused kernels must agree on: every one
 * runs the generic step-rule scan (src/neurons/step/scan.ts) on its own
 * storage, so spikes and state are bit-identical. Native joins when its addon
 * is built (`skipped` says why not).
 */
export function float32Backends(): { backends: [string, Backend][]; skipped: string | null } {
  const status = registerNativeBackend();
  const names = ['ts', 'wasm', ...(status.ok ? ['native'] : [])];
  return { backends: names.map((n) => [n, getBackendByName(n)]), skipped: status.ok ? null : `native backend unavailable: ${status.reason}` };
}
