import type { RwkvKernels } from '../kernels/rwkv.js';
import type { NativeAddon } from './addon.js';

/**
 * The WKV recurrence in the addon (kernels/native/rwkv.cc): lanes of 4 or 8
 * channels in double, threads splitting the channels, bit-identical to the
 * TypeScript reference (src/backend/ts/rwkv.ts); the block's elementwise
 * passes likewise (kernels/native/rwkv_mix.cc). Float32 storage only; the
 * addon rejects anything else, naming the argument.
 */
export function nativeRwkvKernels(addon: NativeAddon): RwkvKernels {
  return {
    wkvForward(T, B, C, k, v, w, u, s0, y, s1) {
      addon.wkvForward(T, B, C, k.data, v.data, w.data, u.data, s0.data, y.data, s1.data);
    },
    wkvBackward(T, B, C, k, v, w, u, s0, gy, gk, gv, gw, gu) {
      addon.wkvBackward(T, B, C, k.data, v.data, w.data, u.data, s0.data, gy.data, gk.data, gv.data, gw.data, gu.data);
    },
    tokenShiftForward(T, B, C, x, prev, mu, out) {
      addon.tokenShiftForward(T, B, C, x.data, prev ? prev.data : null, mu.data, out.data);
    },
    tokenShiftBackward(T, B, C, x, prev, mu, g, dx, dMu) {
      addon.tokenShiftBackward(T, B, C, x.data, prev ? prev.data : null, mu.data, g.data, dx ? dx.data : null, dMu ? dMu.data : null);
    },
    sigmoidGateForward(n, r, y, out, sig) {
      addon.sigmoidGateForward(n, r.data, y.data, out.data, sig.data);
    },
    sigmoidGateBackward(n, g, y, sig, dr, dy) {
      addon.sigmoidGateBackward(n, g.data, y.data, sig.data, dr ? dr.data : null, dy ? dy.data : null);
    },
    reluSquareForward(n, x, out) {
      addon.reluSquareForward(n, x.data, out.data);
    },
    reluSquareBackward(n, x, g, dx) {
      addon.reluSquareBackward(n, x.data, g.data, dx.data);
    },
  };
}
