import type { DelayKernels } from '../kernels/delay.js';
import type { WasmContext } from './context.js';

/**
 * Delay-layer density crossover on wasm (no threads, 4-lane SIMD): the event
 * path's row adds against K GEMM calls, measured at the SHD shape (bench
 * workload h; docs/design.md "Fast backends").
 */
export const WASM_DELAY_EVENT_DENSITY_THRESHOLD = 0.3;

/**
 * Delay kernels in wasm. The synapse lists of the integer-delay path are host
 * arrays: each call copies them into scratch blocks of this memory (rowPtr and
 * cols as i32, vals as f32; float64 lists go to the reference). Storages
 * that do not live in this memory go to the reference too.
 */
export function wasmDelayKernels(ctx: WasmContext, ts: DelayKernels): DelayKernels {
  const k = ctx.k;
  return {
    delayEventDensityThreshold: WASM_DELAY_EVENT_DENSITY_THRESHOLD,
    delayKernelBuild(n, K, interp, sigma, w, p, kernel) {
      if (!ctx.owns(w) || !ctx.owns(p) || !ctx.owns(kernel)) return ts.delayKernelBuild(n, K, interp, sigma, w, p, kernel);
      ctx.need(w, n, 'delayKernelBuild', 'w');
      ctx.need(p, n, 'delayKernelBuild', 'p');
      ctx.need(kernel, n * K, 'delayKernelBuild', 'kernel');
      k.delayKernelBuild(n, K, interp, sigma, w.ptr, p.ptr, kernel.ptr, ctx.scratch('delayTaps', Math.max(1, K) * 8));
    },
    delayKernelBuildBackward(n, K, interp, sigma, w, p, dKernel, dW, dP) {
      if (!ctx.owns(w) || !ctx.owns(p) || !ctx.owns(dKernel) || (dW && !ctx.owns(dW)) || (dP && !ctx.owns(dP))) {
        return ts.delayKernelBuildBackward(n, K, interp, sigma, w, p, dKernel, dW, dP);
      }
      ctx.need(w, n, 'delayKernelBuildBackward', 'w');
      ctx.need(p, n, 'delayKernelBuildBackward', 'p');
      ctx.need(dKernel, n * K, 'delayKernelBuildBackward', 'dKernel');
      if (dW) ctx.need(dW, n, 'delayKernelBuildBackward', 'dW');
      if (dP) ctx.need(dP, n, 'delayKernelBuildBackward', 'dP');
      k.delayKernelBuildBackward(n, K, interp, sigma, w.ptr, p.ptr, dKernel.ptr, dW ? dW.ptr : 0, dP ? dP.ptr : 0);
    },
    delaySparseForward(Tin, tStart, tEnd, B, syn, x, y) {
      const { K, inFeatures: I, outFeatures: O, rowPtr, cols, vals } = syn;
      if (!ctx.owns(x) || !ctx.owns(y) || !(vals instanceof Float32Array)) return ts.delaySparseForward(Tin, tStart, tEnd, B, syn, x, y);
      ctx.need(x, Tin * B * I, 'delaySparseForward', 'x');
      ctx.need(y, (tEnd - tStart) * B * O, 'delaySparseForward', 'y');
      const rows = K * I;
      const nSyn = rowPtr[rows]!;
      // The kernel scatters into its accumulator by these indices: check them here, once, as the native wrapper does.
      if (rowPtr.length < rows + 1 || rowPtr[0] !== 0 || nSyn > cols.length || nSyn > vals.length) throw new RangeError('wasm delaySparseForward: synapse lists do not match K·I rows');
      for (let r = 0; r < rows; r++) if (rowPtr[r + 1]! < rowPtr[r]!) throw new RangeError('wasm delaySparseForward: rowPtr must not decrease');
      for (let j = 0; j < nSyn; j++) if (!(cols[j]! >= 0 && cols[j]! < O)) throw new RangeError(`wasm delaySparseForward: synapse ${j} targets output ${cols[j]}, outside [0, ${O})`);
      const pRow = ctx.scratch('delayRowPtr', (rows + 1) * 4);
      const pCols = ctx.scratch('delayCols', Math.max(1, nSyn) * 4);
      const pVals = ctx.scratch('delayVals', Math.max(1, nSyn) * 4);
      const pAcc = ctx.scratch('delayAcc', Math.max(1, B * O) * 8);
      // Views after the last scratch() call: a growth of the memory detaches earlier ones.
      const buf = ctx.heap.buffer;
      new Int32Array(buf, pRow, rows + 1).set(rowPtr.subarray(0, rows + 1));
      new Int32Array(buf, pCols, nSyn).set(cols.subarray(0, nSyn));
      new Float32Array(buf, pVals, nSyn).set(vals.subarray(0, nSyn));
      k.delaySparseForward(Tin, tStart, tEnd, B, K, I, O, pRow, pCols, pVals, x.ptr, y.ptr, pAcc);
    },
    delayEventForward(T, Tout, B, I, O, K, x, kernel, y) {
      if (!ctx.owns(x) || !ctx.owns(kernel) || !ctx.owns(y)) return ts.delayEventForward(T, Tout, B, I, O, K, x, kernel, y);
      ctx.need(x, T * B * I, 'delayEventForward', 'x');
      ctx.need(kernel, K * O * I, 'delayEventForward', 'kernel');
      ctx.need(y, Tout * B * O, 'delayEventForward', 'y');
      const Wt = ctx.scratch('delayWt', Math.max(1, K * O * I) * 4);
      const start = ctx.scratch('delayStart', (T * B + 1) * 4);
      const idx = ctx.scratch('delayIdx', Math.max(1, T * B * I) * 4);
      const val = ctx.scratch('delayVal', Math.max(1, T * B * I) * 4);
      k.delayEventForward(T, Tout, B, I, O, K, x.ptr, kernel.ptr, y.ptr, Wt, start, idx, val);
    },
    delayEventGradKernel(T, Tout, B, I, O, K, x, dY, dK) {
      if (!ctx.owns(x) || !ctx.owns(dY) || !ctx.owns(dK)) return ts.delayEventGradKernel(T, Tout, B, I, O, K, x, dY, dK);
      ctx.need(x, T * B * I, 'delayEventGradKernel', 'x');
      ctx.need(dY, Tout * B * O, 'delayEventGradKernel', 'dY');
      ctx.need(dK, K * O * I, 'delayEventGradKernel', 'dK');
      const acc = ctx.scratch('delayWt', Math.max(1, O * I) * 4);
      const start = ctx.scratch('delayStart', (T * B + 1) * 4);
      const idx = ctx.scratch('delayIdx', Math.max(1, T * B * I) * 4);
      const val = ctx.scratch('delayVal', Math.max(1, T * B * I) * 4);
      k.delayEventGradKernel(T, Tout, B, I, O, K, x.ptr, dY.ptr, dK.ptr, acc, start, idx, val);
    },
  };
}
