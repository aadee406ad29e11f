/** Weight quantization (docs/quantization.md): the public, browser-safe part. */
export { quantizeModel, quantizedLayers, selectLayers, weightedLayers, type QuantizedLayer } from './apply.js';
export { QUANTIZE_OPTIONS, QUANT_METHODS, PTQ_METHODS, isPostTraining, quantizeOptionsFromSection, quantizeSectionFromOptions, type QuantizeOptions, type QuantizeSection, type QuantMethod } from './options.js';
export { calibrateMse, clipValues, percentileOf, ptqStep, stepsFromClip, MSE_RATIOS, type MseCalibration } from './ptq.js';
export { modelSize, describeModelSize, formatBytes, type ModelSize, type LayerSize } from './size.js';
export { intWeightsEntries, dequantizeIntWeights, isIntWeightsFile, packInt4, unpackInt4, intContainer, INT_WEIGHTS_FORMAT } from './int-weights.js';
export { expandCounts, virtualStepForward, countCodingOf, type CountCoding } from './virtual-steps.js';
