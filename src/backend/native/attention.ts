import type { AttentionKernels } from '../kernels/attention.js';
import type { NativeAddon } from './addon.js';

/**
 * Spiking-transformer kernels in the addon (kernels/native/attention.cc):
 * linear attention built from the nonzeros of Q, K, V (AVX-512/AVX2 rows,
 * rows of the batch split between the two threads above ~2·10⁶ operations),
 * the token dot product and channel mask, and layer normalisation over the
 * channels of each token. Every result is bit-identical to the TypeScript
 * reference (src/backend/ts/attention.ts): sums in double, each output's
 * terms in the reference's order, one rounding. Storage is float32 here; the
 * addon rejects anything else, naming the argument.
 */
export function nativeAttentionKernels(addon: NativeAddon): AttentionKernels {
  return {
    linearAttentionForward(R, heads, dh, N, scale, q, k, v, G, out) {
      addon.linearAttentionForward(R, heads, dh, N, scale, q.data, k.data, v.data, G.data, out.data);
    },
    linearAttentionBackward(R, heads, dh, N, scale, q, k, v, G, dOut, dQ, dK, dV) {
      addon.linearAttentionBackward(R, heads, dh, N, scale, q.data, k.data, v.data, G.data, dOut.data, dQ ? dQ.data : null, dK ? dK.data : null, dV ? dV.data : null);
    },
    rowDot(M, N, a, b, out) {
      addon.rowDot(M, N, a.data, b.data, out.data);
    },
    rowScale(M, N, x, s, out) {
      addon.rowScale(M, N, x.data, s.data, out.data);
    },
    layerNormForward(R, C, N, eps, x, gamma, beta, stats, out) {
      addon.layerNormForward(R, C, N, eps, x.data, gamma ? gamma.data : null, beta ? beta.data : null, stats.data, out.data);
    },
    layerNormBackward(R, C, N, x, gamma, stats, dY, dX, dGamma, dBeta) {
      addon.layerNormBackward(R, C, N, x.data, gamma ? gamma.data : null, stats.data, dY.data, dX.data, dGamma ? dGamma.data : null, dBeta ? dBeta.data : null);
    },
  };
}
