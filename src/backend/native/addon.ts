import type { Floats } from '../storage.js';

/*
 * The raw functions of the compiled addon (kernels/native/addon.cc). Arrays are
 * the storages' Float32Arrays, computed on in place; the C++ side checks
 * element types and bounds and throws a BackendError naming the argument.
 * Kept free of Node imports so the backend object can be built anywhere the
 * addon object is available.
 */
export interface NativeAddon {
  gemm(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: Floats, aOff: number, B: Floats, bOff: number, beta: number, C: Floats, cOff: number): void;
  eventGemm(M: number, N: number, K: number, X: Floats, Wt: Floats, beta: number, Y: Floats): void;
  eventGemmGradW(M: number, N: number, K: number, dY: Floats, X: Floats, dW: Floats): void;
  /** cfg: see LIF_CFG_LENGTH in neuron.ts. */
  lifForward(cfg: Float64Array, x: Floats, v0: Floats, beta: Floats, threshold: Floats, spikes: Floats, mask: Uint8Array, h: Floats, v: Floats | null): void;
  lifBackward(
    cfg: Float64Array, x: Floats, v0: Floats, beta: Floats, threshold: Floats, spikes: Floats, mask: Uint8Array, h: Floats, v: Floats | null,
    gSpikes: Floats | null, gMem: Floats | null, dx: Floats | null, dv0: Floats | null, dBeta: Floats | null, dThreshold: Floats | null,
  ): void;
  /** hyper: [lr, momentum, dampening, weightDecay, nesterov, initBuf]. */
  sgdStep(param: Floats, grad: Floats, buf: Floats | null, hyper: Float64Array): void;
  /** hyper: [beta1, beta2, eps, weightDecay, stepSize, bc2Sqrt, decay, decoupled]. */
  adamStep(param: Floats, grad: Floats, m: Floats, v: Floats, vMax: Floats | null, hyper: Float64Array): void;
  add(a: Floats, b: Floats, out: Floats): void;
  sub(a: Floats, b: Floats, out: Floats): void;
  mul(a: Floats, b: Floats, out: Floats): void;
  affine(x: Floats, alpha: number, beta: number, out: Floats): void;
  axpy(alpha: number, x: Floats, y: Floats): void;
  addRowVector(M: number, N: number, Y: Floats, b: Floats): void;
  sumRows(M: number, N: number, X: Floats, beta: number, out: Floats): void;
  countNonzero(x: Floats): number;
  transpose(M: number, N: number, A: Floats, out: Floats): void;
  /** geometry: see packGeometry in conv.ts. */
  im2col(geometry: Float64Array, C: number, c0: number, cg: number, n: number, x: Floats, xOff: number, cols: Floats): void;
  col2im(geometry: Float64Array, C: number, c0: number, cg: number, n: number, cols: Floats, dx: Floats, dxOff: number): void;
  swapAxes01(A: number, B: number, inner: number, src: Floats, srcOff: number, dst: Floats, dstOff: number): void;
  addChannelBias(N: number, C: number, P: number, y: Floats, yOff: number, bias: Floats): void;
  channelSums(N: number, C: number, P: number, x: Floats, out: Floats): void;
  channelMoments(N: number, C: number, P: number, x: Floats, mean: Floats, variance: Floats): void;
  channelCenteredDot(N: number, C: number, P: number, dy: Floats, x: Floats, mean: Floats, sumDy: Floats, sumDyXc: Floats): void;
  channelAffine(N: number, C: number, P: number, x: Floats, a: Floats, b: Floats, y: Floats): void;
  channelAffine2(N: number, C: number, P: number, u: Floats, v: Floats, a: Floats, b: Floats, k: Floats, y: Floats): void;
  mulBroadcast(R: number, N: number, x: Floats, v: Floats, y: Floats): void;
  /** mode: see POOL_MODE_IDS in conv.ts; argmax is required in max mode. */
  pool2d(mode: number, geometry: Float64Array, planes: number, countIncludePad: boolean, x: Floats, y: Floats, argmax: Floats | null): void;
  pool2dBackward(mode: number, geometry: Float64Array, planes: number, countIncludePad: boolean, dy: Floats, argmax: Floats | null, dx: Floats): void;
  /** Instruction set in use, the best one the CPU has, and the threads GEMM and the event kernels may use (1 or 2). */
  info(): { isa: NativeIsa; detectedIsa: NativeIsa; threads: number };
  /** Lower the instruction set (tests of the fallback kernels); returns the one now active. */
  setIsa(isa: NativeIsa): NativeIsa;
  /** Threads for GEMM and the event kernels, 1 or 2 (set at load from SPIKEFLOW_THREADS, default 2 on a multi-core machine); returns the value now used. */
  setThreads(n: number): number;
  /** Errors are thrown as `new ctor(message)` from then on. */
  setErrorClass(ctor: new (message: string) => Error): void;
}

export type NativeIsa = 'avx512' | 'avx2' | 'scalar';

/** Every function the TypeScript side calls; a stale build missing one is rejected at load. */
export const NATIVE_FUNCTIONS: readonly (keyof NativeAddon)[] = [
  'gemm', 'eventGemm', 'eventGemmGradW', 'lifForward', 'lifBackward', 'sgdStep', 'adamStep',
  'add', 'sub', 'mul', 'affine', 'axpy', 'addRowVector', 'sumRows', 'countNonzero', 'transpose',
  'im2col', 'col2im', 'swapAxes01', 'addChannelBias', 'channelSums', 'channelMoments', 'channelCenteredDot',
  'channelAffine', 'channelAffine2', 'mulBroadcast', 'pool2d', 'pool2dBackward',
  'info', 'setIsa', 'setThreads', 'setErrorClass',
];
