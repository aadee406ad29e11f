// The browser's backend choice (chooseBrowserBackend) and the adapter rule it
// shares with `auto` in Node (summarize): webgpu only on a hardware adapter,
// SwiftShader recognised by the fallback flag or by its name when a browser
// hides the flag, a forced webgpu taking SwiftShader, and every missing piece
// (no navigator.gpu, no adapter, a failing requestDevice) answered with wasm
// and the reason. Fake GPU objects for the decisions; then Dawn on
// SwiftShader for the real adapter (skipped without one, as the suite is).
/// <reference types="@webgpu/types" />
import test from 'node:test';
import assert from 'node:assert/strict';
import { backendNames, setBackend } from '../../../src/backend/registry.js';
import { summarize } from '../../../src/backend/webgpu/device.js';
import { nodeGpu } from '../../../src/backend/webgpu/load-node.js';
import { chooseBrowserBackend } from '../../../src/backend/webgpu/register.js';
import { useSwiftShaderIfUnset } from './helpers.js';

interface FakeInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** The WebGPU default buffer limits (256 MiB, 128 MiB), as an adapter reports them. */
const FAKE_LIMITS = { maxBufferSize: 268435456, maxStorageBufferBindingSize: 134217728 };

/** A GPU whose only adapter has `info`; requestDevice fails (the decisions before a device are what is tested here). */
function fakeGpu(info: FakeInfo | null, opts: { throws?: boolean } = {}): { gpu: GPU; calls: { adapter: number; device: number } } {
  const calls = { adapter: 0, device: 0 };
  const adapter = info && {
    info: { vendor: '', architecture: '', device: '', description: '', ...info },
    limits: FAKE_LIMITS,
    requestDevice: async () => {
      calls.device++;
      throw new Error('fake adapter: no device');
    },
  };
  const gpu = {
    requestAdapter: async () => {
      calls.adapter++;
      if (opts.throws) throw new Error('adapter request blocked');
      return adapter;
    },
  };
  return { gpu: gpu as unknown as GPU, calls };
}

const SWIFTSHADER_CHROMIUM: FakeInfo = { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true }; // as Chromium 150 reports it (measured)
const HARDWARE: FakeInfo = { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100', isFallbackAdapter: false };

test('summarize: SwiftShader is a fallback adapter by the flag (either place) or by its name; a hardware adapter is not', () => {
  const of = (info: FakeInfo, legacy?: boolean) => summarize({ info: { vendor: '', architecture: '', device: '', description: '', ...info }, limits: FAKE_LIMITS, ...(legacy !== undefined ? { isFallbackAdapter: legacy } : {}) } as unknown as GPUAdapter);
  assert.deepEqual(of(SWIFTSHADER_CHROMIUM), { description: 'unnamed adapter (google, swiftshader)', vendor: 'google', architecture: 'swiftshader', fallback: true, software: 'SwiftShader, a CPU emulation', maxBufferBytes: 134217728 });
  // A browser that leaves the flag out still names the implementation.
  assert.equal(of({ vendor: 'google', architecture: 'swiftshader' }).software, 'SwiftShader, a CPU emulation');
  assert.equal(of({ description: 'SwiftShader Device (Subzero)', vendor: 'google' }).fallback, true);
  assert.equal(of({ description: 'llvmpipe (LLVM 15.0.6, 256 bits)', vendor: 'mesa' }).software, "Mesa's CPU rasterizer");
  // The flag alone (an older runtime puts it on the adapter).
  assert.match(of({ vendor: 'acme' }, true).software ?? '', /fallback adapter/);
  assert.match(of({ vendor: 'acme', isFallbackAdapter: true }).software ?? '', /fallback adapter/);
  const hw = of(HARDWARE);
  assert.equal(hw.fallback, false);
  assert.equal(hw.software, null);
  assert.equal(hw.description, 'NVIDIA H100 (nvidia, hopper)');
});

test('chooseBrowserBackend: wasm with the reason wherever webgpu is missing or software; a forced webgpu says it was asked for', async () => {
  // No navigator.gpu at all.
  assert.deepEqual(await chooseBrowserBackend('auto', undefined), { name: 'wasm', backend: null, adapter: null, reason: 'this browser has no WebGPU (navigator.gpu)' });
  assert.equal((await chooseBrowserBackend('webgpu', undefined)).reason, 'webgpu was asked for, but this browser has no WebGPU (navigator.gpu)');
  // navigator.gpu without an adapter (headless Chromium with --disable-gpu, measured).
  const none = await chooseBrowserBackend('auto', fakeGpu(null).gpu);
  assert.deepEqual([none.name, none.reason], ['wasm', 'WebGPU has no adapter (no GPU or driver WebGPU can use)']);
  const forcedNone = await chooseBrowserBackend('webgpu', fakeGpu(null).gpu);
  assert.deepEqual([forcedNone.name, forcedNone.reason], ['wasm', 'webgpu was asked for, but WebGPU has no adapter (no GPU or driver WebGPU can use)']);
  assert.match((await chooseBrowserBackend('auto', fakeGpu(null, { throws: true }).gpu)).reason, /requestAdapter failed: adapter request blocked/);
  // SwiftShader: not chosen on its own, and no device is opened for it.
  const sw = fakeGpu(SWIFTSHADER_CHROMIUM);
  const soft = await chooseBrowserBackend('auto', sw.gpu);
  assert.deepEqual([soft.name, soft.reason, soft.adapter?.architecture], ['wasm', 'WebGPU adapter is SwiftShader, a CPU emulation', 'swiftshader']);
  assert.equal(sw.calls.device, 0, 'no device requested for a software adapter');
  // A hardware adapter is taken: a device is requested (here it fails, and the page gets wasm with requestDevice's error).
  const hw = fakeGpu(HARDWARE);
  const failed = await chooseBrowserBackend('auto', hw.gpu);
  assert.equal(hw.calls.device, 1, 'a device requested on the hardware adapter');
  assert.equal(failed.name, 'wasm');
  assert.match(failed.reason, /requestDevice on NVIDIA H100 \(nvidia, hopper\) failed: fake adapter: no device/);
  // Forced webgpu on SwiftShader asks for the device too.
  const forcedSw = fakeGpu(SWIFTSHADER_CHROMIUM);
  assert.match((await chooseBrowserBackend('webgpu', forcedSw.gpu)).reason, /^webgpu was asked for, but .*requestDevice/);
  assert.equal(forcedSw.calls.device, 1);
  // wasm asked for: WebGPU is not touched.
  const untouched = fakeGpu(HARDWARE);
  assert.deepEqual(await chooseBrowserBackend('wasm', untouched.gpu), { name: 'wasm', backend: null, adapter: null, reason: 'asked for' });
  assert.deepEqual(untouched.calls, { adapter: 0, device: 0 });
  assert.ok(!backendNames().includes('webgpu'), 'nothing registered by a choice that answered wasm');
});

test('chooseBrowserBackend on a real SwiftShader adapter (Dawn): auto answers wasm, a forced webgpu registers the backend below auto', async (t) => {
  useSwiftShaderIfUnset();
  const { gpu, reason } = await nodeGpu();
  if (!gpu) return t.skip(reason);
  const auto = await chooseBrowserBackend('auto', gpu, 'Node process');
  if (auto.adapter === null) return t.skip(auto.reason);
  if (!auto.adapter.fallback) return t.skip(`a hardware adapter here (${auto.adapter.description}): the SwiftShader case does not apply`);
  assert.equal(auto.name, 'wasm');
  assert.equal(auto.reason, 'WebGPU adapter is SwiftShader, a CPU emulation');
  assert.ok(!backendNames().includes('webgpu'));
  const forced = await chooseBrowserBackend('webgpu', gpu, 'Node process');
  try {
    assert.equal(forced.name, 'webgpu');
    assert.equal(forced.backend?.name, 'webgpu');
    assert.equal(forced.reason, 'asked for, on SwiftShader, a CPU emulation: slower than wasm');
    // Registered below auto's floor: `auto` still picks a CPU backend.
    assert.ok(backendNames().includes('webgpu'));
    assert.notEqual(setBackend('auto').name, 'webgpu');
  } finally {
    forced.backend?.dispose();
  }
});
