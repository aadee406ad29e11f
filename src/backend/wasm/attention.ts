import type { AttentionKernels } from '../kernels/attention.js';
import type { Storage } from '../storage.js';
import type { WasmContext } from './context.js';

/*
 * AttentionKernels on wasm (kernels/wasm/attention.ts), bit-identical to the
 * TypeScript reference (f64 sums, each output's terms in the reference's
 * order). Like conv.ts, a call whose storages live elsewhere, or whose sizes
 * the i32 kernels cannot represent, runs the reference on the `.data` views.
 * Sizes are checked with ctx.need first: a wasm kernel would silently write
 * into a neighbouring tensor.
 */

/** Bound on the sizes the i32 kernels take (byte offsets of elements stay below 2^32). */
const INDEX_LIMIT = 2 ** 30;

function dims(...xs: number[]): boolean {
  return xs.every((x) => Number.isInteger(x) && x >= 0 && x < INDEX_LIMIT);
}

/** The per-row scratch (about 60 bytes per element of one row's [C, N] block, 24 per element of a head's dh × dh) stays far inside the 32-bit heap. */
function rowFits(C: number, N: number, dh = 0): boolean {
  return (C * N + dh * dh) * 64 < 2 ** 31;
}

export function wasmAttentionKernels(ctx: WasmContext, ts: AttentionKernels): AttentionKernels {
  const k = ctx.k;
  const owns = (...ss: (Storage | null)[]): boolean => ss.every((s) => s === null || ctx.owns(s));
  const ptr = (s: Storage | null): number => (s === null ? 0 : ctx.owns(s) ? s.ptr : 0);
  return {
    linearAttentionForward(R, heads, dh, N, scale, q, kk, v, G, out) {
      const C = heads * dh;
      if (!owns(q, kk, v, G, out) || !dims(R, heads, dh, N, C) || !rowFits(C, N, dh)) return ts.linearAttentionForward(R, heads, dh, N, scale, q, kk, v, G, out);
      const what = 'linearAttentionForward', total = R * C * N;
      ctx.need(q, total, what, 'q');
      ctx.need(kk, total, what, 'k');
      ctx.need(v, total, what, 'v');
      ctx.need(G, R * heads * dh * dh, what, 'G');
      ctx.need(out, total, what, 'out');
      const scratch = ctx.scratch('attention', Math.max(16, k.attentionScratchBytes(C, N, dh)));
      k.linearAttentionForward(R, heads, dh, N, scale, ptr(q), ptr(kk), ptr(v), ptr(G), ptr(out), scratch);
    },
    linearAttentionBackward(R, heads, dh, N, scale, q, kk, v, G, dOut, dQ, dK, dV) {
      const C = heads * dh;
      if (!owns(q, kk, v, G, dOut, dQ, dK, dV) || !dims(R, heads, dh, N, C) || !rowFits(C, N, dh)) {
        return ts.linearAttentionBackward(R, heads, dh, N, scale, q, kk, v, G, dOut, dQ, dK, dV);
      }
      const what = 'linearAttentionBackward', total = R * C * N;
      ctx.need(q, total, what, 'q');
      ctx.need(kk, total, what, 'k');
      ctx.need(v, total, what, 'v');
      ctx.need(G, R * heads * dh * dh, what, 'G');
      ctx.need(dOut, total, what, 'dOut');
      if (dQ) ctx.need(dQ, total, what, 'dQ');
      if (dK) ctx.need(dK, total, what, 'dK');
      if (dV) ctx.need(dV, total, what, 'dV');
      const scratch = ctx.scratch('attention', Math.max(16, k.attentionScratchBytes(C, N, dh)));
      k.linearAttentionBackward(R, heads, dh, N, scale, ptr(q), ptr(kk), ptr(v), ptr(G), ptr(dOut), ptr(dQ), ptr(dK), ptr(dV), scratch);
    },
    rowDot(M, N, a, b, out) {
      if (!owns(a, b, out) || !dims(M, N)) return ts.rowDot(M, N, a, b, out);
      ctx.need(a, M * N, 'rowDot', 'a');
      ctx.need(b, M * N, 'rowDot', 'b');
      ctx.need(out, M, 'rowDot', 'out');
      k.rowDot(M, N, ptr(a), ptr(b), ptr(out));
    },
    rowScale(M, N, x, s, out) {
      if (!owns(x, s, out) || !dims(M, N)) return ts.rowScale(M, N, x, s, out);
      ctx.need(x, M * N, 'rowScale', 'x');
      ctx.need(s, M, 'rowScale', 's');
      ctx.need(out, M * N, 'rowScale', 'out');
      k.rowScale(M, N, ptr(x), ptr(s), ptr(out));
    },
    layerNormForward(R, C, N, eps, x, gamma, beta, stats, out) {
      if (!owns(x, gamma, beta, stats, out) || !dims(R, C, N) || !rowFits(C, N)) return ts.layerNormForward(R, C, N, eps, x, gamma, beta, stats, out);
      const what = 'layerNormForward', total = R * C * N;
      ctx.need(x, total, what, 'x');
      if (gamma) ctx.need(gamma, C, what, 'gamma');
      if (beta) ctx.need(beta, C, what, 'beta');
      ctx.need(stats, 2 * R * N, what, 'stats');
      ctx.need(out, total, what, 'out');
      const scratch = ctx.scratch('layerNorm', Math.max(16, k.layerNormScratchBytes(C, N)));
      k.layerNormForward(R, C, N, eps, ptr(x), ptr(gamma), ptr(beta), ptr(stats), ptr(out), scratch);
    },
    layerNormBackward(R, C, N, x, gamma, stats, dY, dX, dGamma, dBeta) {
      if (!owns(x, gamma, stats, dY, dX, dGamma, dBeta) || !dims(R, C, N) || !rowFits(C, N)) {
        return ts.layerNormBackward(R, C, N, x, gamma, stats, dY, dX, dGamma, dBeta);
      }
      const what = 'layerNormBackward', total = R * C * N;
      ctx.need(x, total, what, 'x');
      if (gamma) ctx.need(gamma, C, what, 'gamma');
      ctx.need(stats, 2 * R * N, what, 'stats');
      ctx.need(dY, total, what, 'dY');
      ctx.need(dX, total, what, 'dX');
      if (dGamma) ctx.need(dGamma, C, what, 'dGamma');
      if (dBeta) ctx.need(dBeta, C, what, 'dBeta');
      const scratch = ctx.scratch('layerNorm', Math.max(16, k.layerNormScratchBytes(C, N)));
      k.layerNormBackward(R, C, N, ptr(x), ptr(gamma), ptr(stats), ptr(dY), ptr(dX), ptr(dGamma), ptr(dBeta), scratch);
    },
  };
}
