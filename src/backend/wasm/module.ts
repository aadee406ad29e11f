import { BackendError } from '../../errors.js';
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

/** The kernel module's exports (signatures of kernels/wasm/index.ts; pointers are byte offsets). */
export interface KernelExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  gemm(tA: number, tB: number, M: number, N: number, K: number, alpha: number, A: number, B: number, beta: number, C: number, ap: number, bp: number): void;
  gemmScratchA(M: number, K: number): number;
  gemmScratchB(N: number, K: number): number;
  scaleInPlace(x: number, n: number, beta: number): void;
  fill(x: number, n: number, value: number): void;
  copy(src: number, dst: number, n: number): void;
  binary(op: number, a: number, b: number, out: number, n: number): void;
  affine(x: number, alpha: number, beta: number, out: number, n: number): void;
  axpy(alpha: number, x: number, y: number, n: number): void;
  addRowVector(M: number, N: number, Y: number, b: number): void;
  sumRows(M: number, N: number, X: number, beta: number, out: number): void;
  sum(x: number, n: number, squares: number): number;
  countNonzero(x: number, n: number): number;
  clamp(x: number, n: number, lo: number, hi: number): void;
  eventGemm(M: number, N: number, K: number, X: number, Wt: number, beta: number, Y: number, idx: number, val: number): void;
  eventGemmGradW(M: number, N: number, K: number, dY: number, X: number, dW: number, acc: number, idx: number, val: number): void;
  lifForwardLeaky(T: number, N: number, mode: number, beta: number, threshold: number, x: number, v0: number, h: number, spk: number, mask: number): void;
  lifForwardPlain(
    T: number, B: number, F: number, mode: number, delayedReset: number, inputLeak: number, vr: number, bS: number, tS: number,
    x: number, v0: number, beta: number, thr: number, h: number, v: number, spk: number, mask: number,
  ): void;
  lifBackwardPlain(
    T: number, B: number, F: number, mode: number, delayedReset: number, detachReset: number, inputLeak: number, vr: number, bS: number, tS: number,
    sid: number, p0: number, p1: number,
    x: number, v0: number, beta: number, thr: number, h: number, v: number, gS: number, gM: number, dx: number,
    dvC: number, dBeta: number, dThr: number,
  ): void;
  /** Delayed reset, β/θ per layer; dBeta = 0 skips the dβ/dθ sums (otherwise dThr must be a block too). */
  lifBackwardLeaky(
    T: number, N: number, mode: number, detachReset: number, inputLeak: number, vr: number, beta: number, threshold: number,
    sid: number, p0: number, p1: number,
    x: number, v0: number, trace: number, h: number, gS: number, gM: number, dx: number, dvC: number, dBeta: number, dThr: number,
  ): void;
  /** out[N, M] = transpose of A[M, N]. */
  transpose(M: number, N: number, A: number, out: number): void;
  adamStep(
    p: number, g: number, m: number, v: number, vMax: number, n: number,
    lr: number, beta1: number, beta2: number, eps: number, wd: number, decoupled: number, stepSize: number, bc2Sqrt: number,
  ): void;
  sgdStep(p: number, g: number, buf: number, initBuf: number, n: number, lr: number, momentum: number, dampening: number, nesterov: number, wd: number): void;
  /** Conv family (kernels/wasm/conv.ts): `g` points at the 12 i32s of a WindowGeometry (H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo). */
  im2col(g: number, C: number, c0: number, cg: number, n: number, x: number, cols: number): void;
  col2im(g: number, C: number, c0: number, cg: number, n: number, cols: number, dx: number): void;
  swapAxes01(A: number, B: number, inner: number, src: number, dst: number): void;
  addChannelBias(N: number, C: number, P: number, y: number, bias: number): void;
  channelSums(N: number, C: number, P: number, x: number, out: number): void;
  /** `acc`: scratch for 2·C doubles. */
  channelMoments(N: number, C: number, P: number, x: number, mean: number, variance: number, acc: number): void;
  channelCenteredDot(N: number, C: number, P: number, dy: number, x: number, mean: number, sumDy: number, sumDyXc: number, acc: number): void;
  channelAffine(N: number, C: number, P: number, x: number, a: number, b: number, y: number): void;
  channelAffine2(N: number, C: number, P: number, u: number, v: number, a: number, b: number, k: number, y: number): void;
  mulBroadcast(R: number, N: number, x: number, v: number, y: number): void;
  /** mode: 0 max (argmax required), 1 avg, 2 sum. */
  pool2d(mode: number, g: number, planes: number, countIncludePad: number, x: number, y: number, argmax: number): void;
  pool2dBackward(mode: number, g: number, planes: number, countIncludePad: number, dy: number, argmax: number, dx: number): void;
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
