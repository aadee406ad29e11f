import { BackendError } from '../../errors.js';
import type { KernelFunctions } from './exports.generated.js';
import { KERNELS_WASM_BASE64 } from './kernels.generated.js';

/*
 * Instantiates the compiled AssemblyScript kernels (kernels/wasm/). The
 * WebAssembly API is reached through globalThis with a minimal local type, so
 * the core needs neither DOM typings nor node: modules. Compilation is
 * synchronous (the module is ~16 KiB, far below the main-thread limits of
 * browsers), because backends are created synchronously by the registry.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Grows by `pages` of 64 KiB; returns the previous size in pages; throws when refused. */
  grow(pages: number): number;
}

/**
 * The kernel module's exports: its functions (typings generated from the wasm
 * section of kernels/manifest.mjs, checked there against kernels/wasm/index.ts)
 * and the memory the compiler exports.
 */
export interface KernelExports extends KernelFunctions {
  readonly memory: WasmMemory;
}

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A fresh instance of the kernel module (one per backend: each owns its linear memory). */
export function instantiateKernels(): KernelExports {
  const wa = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wa) throw new BackendError('wasm backend: this JavaScript engine has no WebAssembly');
  const bytes = decodeBase64(KERNELS_WASM_BASE64);
  if (!wa.validate(bytes)) throw new BackendError('wasm backend: the kernel module does not validate (the engine lacks WebAssembly SIMD128 or bulk memory)');
  const instance = new wa.Instance(new wa.Module(bytes), {});
  return instance.exports as KernelExports;
}
