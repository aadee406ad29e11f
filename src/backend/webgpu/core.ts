import { BackendError } from '../../errors.js';
import type { CoreKernels } from '../kernels/core.js';
import type { GpuContext } from './context.js';
import {
  addRowVectorSpec, affineSpec, axpySpec, binarySpec, eventGemmGradWSpec, eventGemmSpec, fillSpec, gemmSpec, GEMM_TILE, ReduceKind, reduceSpec, sumRowsSpec,
  transposeSpec,
} from './core-wgsl.js';
import { grid1d } from './kernel.js';

/*
 * CoreKernels on the GPU: each call checks its operands (webgpu storage, long
 * enough) and records one dispatch (or a buffer copy) into the open encoder.
 * Nothing waits for the GPU. The scalar kernels cannot return a number without
 * waiting, so they throw and name the device-side `reduceInto`.
 */

const GEMMS = [gemmSpec(false, false), gemmSpec(false, true), gemmSpec(true, false), gemmSpec(true, true)] as const;

function scalarRefused(kernel: string): never {
  throw new BackendError(
    `webgpu ${kernel}: a GPU backend cannot return a number synchronously; ` +
      `use reduceInto('${kernel}', x, out, offset, scale) to keep the result on the device and read it with \`await tensor.read()\``,
  );
}

export function webgpuCoreKernels(ctx: GpuContext): CoreKernels {
  const g = ctx.gpu.bind(ctx);
  const grid2d = (cols: number, rows: number, wx: number, wy: number): [number, number] => [Math.ceil(cols / wx), Math.ceil(rows / wy)];

  function binary(op: number, name: string, a: Parameters<CoreKernels['add']>[0], b: Parameters<CoreKernels['add']>[1], out: Parameters<CoreKernels['add']>[2]): void {
    const n = out.length;
    ctx.need(a, n, name, 'a');
    ctx.need(b, n, name, 'b');
    ctx.run(binarySpec, [g(a, name, 'a').buffer, g(b, name, 'b').buffer, g(out, name, 'out').buffer], [n, op], grid1d(n));
  }

  return {
    gemm(tA, tB, M, N, K, alpha, A, aOff, B, bOff, beta, C, cOff) {
      ctx.need(A, aOff + M * K, 'gemm', 'A');
      ctx.need(B, bOff + K * N, 'gemm', 'B');
      ctx.need(C, cOff + M * N, 'gemm', 'C');
      const spec = GEMMS[(tA ? 2 : 0) + (tB ? 1 : 0)];
      ctx.run(spec, [g(A, 'gemm', 'A').buffer, g(B, 'gemm', 'B').buffer, g(C, 'gemm', 'C').buffer], [M, N, K, aOff, bOff, cOff, alpha, beta], [
        Math.ceil(N / GEMM_TILE),
        Math.ceil(M / GEMM_TILE),
      ]);
    },
    eventGemm(M, N, K, X, Wt, beta, Y) {
      ctx.need(X, M * K, 'eventGemm', 'X');
      ctx.need(Wt, K * N, 'eventGemm', 'Wt');
      ctx.need(Y, M * N, 'eventGemm', 'Y');
      ctx.run(eventGemmSpec, [g(X, 'eventGemm', 'X').buffer, g(Wt, 'eventGemm', 'Wt').buffer, g(Y, 'eventGemm', 'Y').buffer], [M, N, K, beta], grid2d(N, M, 64, 4));
    },
    eventGemmGradW(M, N, K, dY, X, dW) {
      ctx.need(dY, M * N, 'eventGemmGradW', 'dY');
      ctx.need(X, M * K, 'eventGemmGradW', 'X');
      ctx.need(dW, N * K, 'eventGemmGradW', 'dW');
      ctx.run(eventGemmGradWSpec, [g(dY, 'eventGemmGradW', 'dY').buffer, g(X, 'eventGemmGradW', 'X').buffer, g(dW, 'eventGemmGradW', 'dW').buffer], [M, N, K], grid2d(K, N, 64, 4));
    },
    transpose(M, N, A, out) {
      ctx.need(A, M * N, 'transpose', 'A');
      ctx.need(out, M * N, 'transpose', 'out');
      ctx.run(transposeSpec, [g(A, 'transpose', 'A').buffer, g(out, 'transpose', 'out').buffer], [M, N], grid2d(N, M, 64, 4));
    },
    fill(x, value) {
      ctx.run(fillSpec, [g(x, 'fill', 'x').buffer], [x.length, value], grid1d(x.length));
    },
    copy(src, srcOff, dst, dstOff, n) {
      ctx.need(src, srcOff + n, 'copy', 'source');
      ctx.need(dst, dstOff + n, 'copy', 'destination');
      const s = g(src, 'copy', 'source'), d = g(dst, 'copy', 'destination');
      if (s === d && srcOff !== dstOff && Math.abs(srcOff - dstOff) < n) {
        // copyBufferToBuffer refuses overlapping ranges of one buffer: go through a temporary.
        const tmp = ctx.alloc(n, false);
        ctx.copy(s.buffer, srcOff, tmp.buffer, 0, n);
        ctx.copy(tmp.buffer, 0, d.buffer, dstOff, n);
        tmp.release('a temporary of copy');
        return;
      }
      if (s === d && srcOff === dstOff) return;
      ctx.copy(s.buffer, srcOff, d.buffer, dstOff, n);
    },
    add(a, b, out) {
      binary(0, 'add', a, b, out);
    },
    sub(a, b, out) {
      binary(1, 'sub', a, b, out);
    },
    mul(a, b, out) {
      binary(2, 'mul', a, b, out);
    },
    affine(x, alpha, beta, out) {
      ctx.need(x, out.length, 'affine', 'x');
      ctx.run(affineSpec, [g(x, 'affine', 'x').buffer, g(out, 'affine', 'out').buffer], [out.length, alpha, beta], grid1d(out.length));
    },
    axpy(alpha, x, y) {
      ctx.need(x, y.length, 'axpy', 'x');
      ctx.run(axpySpec, [g(x, 'axpy', 'x').buffer, g(y, 'axpy', 'y').buffer], [y.length, alpha], grid1d(y.length));
    },
    addRowVector(M, N, Y, b) {
      ctx.need(Y, M * N, 'addRowVector', 'Y');
      ctx.need(b, N, 'addRowVector', 'b');
      ctx.run(addRowVectorSpec, [g(b, 'addRowVector', 'b').buffer, g(Y, 'addRowVector', 'Y').buffer], [M * N, N], grid1d(M * N));
    },
    sumRows(M, N, X, beta, out) {
      ctx.need(X, M * N, 'sumRows', 'X');
      ctx.need(out, N, 'sumRows', 'out');
      ctx.run(sumRowsSpec, [g(X, 'sumRows', 'X').buffer, g(out, 'sumRows', 'out').buffer], [N, M, beta], grid1d(N));
    },
    reduceInto(kind, x, out, outOff, scale) {
      ctx.need(out, outOff + 1, 'reduceInto', 'out');
      ctx.run(reduceSpec, [g(x, 'reduceInto', 'x').buffer, g(out, 'reduceInto', 'out').buffer], [x.length, ReduceKind[kind], outOff, scale], [1]);
    },
    sum() {
      return scalarRefused('sum');
    },
    sumSquares() {
      return scalarRefused('sumSquares');
    },
    countNonzero() {
      return scalarRefused('countNonzero');
    },
  };
}
