import type { RwkvKernels } from '../kernels/rwkv.js';
import type { Storage } from '../storage.js';
import type { WasmContext } from './context.js';

/**
 * The WKV recurrence in wasm (kernels/wasm/rwkv.ts): f64 scalar code with
 * sgExp, bit-identical to the TypeScript reference. Storages the module does
 * not own, or sizes past the i32 kernels' range, take the reference.
 */

const INDEX_LIMIT = 2 ** 30;

function dims(...xs: number[]): boolean {
  return xs.every((x) => Number.isInteger(x) && x >= 0 && x < INDEX_LIMIT);
}

export function wasmRwkvKernels(ctx: WasmContext, ts: RwkvKernels): RwkvKernels {
  const k = ctx.k;
  const owns = (...ss: Storage[]): boolean => ss.every((s) => ctx.owns(s));
  const p = (s: Storage): number => (ctx.owns(s) ? s.ptr : 0);
  return {
    wkvForward(T, B, C, kk, v, w, u, s0, y, s1) {
      if (!owns(kk, v, w, u, s0, y, s1) || !dims(T, B, C, T * B * C)) return ts.wkvForward(T, B, C, kk, v, w, u, s0, y, s1);
      const what = 'wkvForward', total = T * B * C;
      ctx.need(kk, total, what, 'k');
      ctx.need(v, total, what, 'v');
      ctx.need(w, C, what, 'w');
      ctx.need(u, C, what, 'u');
      ctx.need(s0, 3 * B * C, what, 's0');
      ctx.need(y, total, what, 'y');
      ctx.need(s1, 3 * B * C, what, 's1');
      k.wkvForward(T, B, C, p(kk), p(v), p(w), p(u), p(s0), p(y), p(s1));
    },
    wkvBackward(T, B, C, kk, v, w, u, s0, gy, gk, gv, gw, gu) {
      if (!owns(kk, v, w, u, s0, gy, gk, gv, gw, gu) || !dims(T, B, C, T * B * C)) return ts.wkvBackward(T, B, C, kk, v, w, u, s0, gy, gk, gv, gw, gu);
      const what = 'wkvBackward', total = T * B * C;
      for (const [s, n, name] of [[kk, total, 'k'], [v, total, 'v'], [w, C, 'w'], [u, C, 'u'], [s0, 3 * B * C, 's0'], [gy, total, 'gy'], [gk, total, 'gk'], [gv, total, 'gv'], [gw, C, 'gw'], [gu, C, 'gu']] as const) ctx.need(s, n, what, name);
      const scratch = ctx.scratch('wkv', k.wkvScratchBytes(T, C));
      k.wkvBackward(T, B, C, p(kk), p(v), p(w), p(u), p(s0), p(gy), p(gk), p(gv), p(gw), p(gu), scratch);
    },
    // The block's elementwise passes run the reference's loops on views of the
    // module's memory (about a quarter of a SpikeGPT step on ts); the native
    // addon has lane kernels for them (rwkv_mix.cc), wasm ones are not written yet.
    tokenShiftForward: ts.tokenShiftForward,
    tokenShiftBackward: ts.tokenShiftBackward,
    sigmoidGateForward: ts.sigmoidGateForward,
    sigmoidGateBackward: ts.sigmoidGateBackward,
    reluSquareForward: ts.reluSquareForward,
    reluSquareBackward: ts.reluSquareBackward,
  };
}
