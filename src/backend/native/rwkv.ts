import type { RwkvKernels } from '../kernels/rwkv.js';
import type { NativeAddon } from './addon.js';

/**
 * The WKV recurrence in the addon (kernels/native/rwkv.cc): lanes of 4 or 8
 * channels in double, threads splitting the channels, bit-identical to the
 * TypeScript reference (src/backend/ts/rwkv.ts). Float32 storage only; the
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
  };
}
