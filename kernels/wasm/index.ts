// Entry point of the wasm kernel module: every export here is what
// src/backend/wasm/ calls. Memory is exported and grown from JavaScript.
export { gemm, gemmScratchA, gemmScratchB, scaleInPlace } from './gemm';
export { fill, copy, binary, affine, axpy, addRowVector, sumRows, sum, countNonzero, clamp } from './elementwise';
export { eventGemm, eventGemmGradW } from './event';
export { lifForwardLeaky, lifForwardPlain, lifBackwardPlain, lifBackwardLeaky } from './lif';
export { multiLevelForward, multiLevelBackward } from './multilevel';
export { transpose } from './transpose';
export { delayKernelBuild, delayKernelBuildBackward, delaySparseForward, delayEventForward, delayEventGradKernel } from './delay';
export { adamStep, sgdStep } from './train';
export { surrogateEval } from './surrogate-eval';
export {
  attentionScratchBytes, layerNormScratchBytes, linearAttentionForward, linearAttentionBackward, rowDot, rowScale, layerNormForward, layerNormBackward,
} from './attention';
export {
  im2col, col2im, swapAxes01, addChannelBias, channelSums, channelMoments, channelCenteredDot,
  channelAffine, channelAffine2, mulBroadcast, pool2d, pool2dBackward,
} from './conv';
export { eventConv, eventConvGradW, convGradXSparse } from './conv_event';
export { wkvScratchBytes, wkvForward, wkvBackward } from './rwkv';

/** First byte after the module's static data: the JavaScript allocator starts above it. */
export function heapBase(): usize {
  return __heap_base;
}
