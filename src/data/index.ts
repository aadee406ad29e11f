// Browser-safe part of the data layer. File loaders live in *-node.ts files
// (idx-node, mnist-embedded-node, load-node) and are exported from the Node entry.
export { makeDataset, subset, take, classCounts, type Dataset, type DatasetInit, type SplitDataset, type Labels } from './dataset.js';
export { holdOutValidation, VALIDATION_SEED } from './validation.js';
export { parseIdx, encodeIdx, isGzip, idxToDataset, type IdxArray, type IdxDType, type IdxData, type IdxPairFiles } from './idx.js';
export { DataLoader, batchTensor, type Batch, type DataLoaderOptions, type DataLoaderState } from './loader.js';
export { packDigits, unpackDigits, type PackedSplit } from './mnist-pack.js';
export { ImageAugmenter, augmentEnabled, checkAugment, cropFlipSample, type AugmentSpec, type AugmentDraw, type ImageAugmenterOptions } from './augment.js';
export { normalizeDataset, normalizedFill, checkNormalize, type NormalizeSpec } from './normalize.js';
export {
  CIFAR_SHAPE,
  CIFAR_PIXELS,
  CIFAR10_LAYOUT,
  CIFAR100_LAYOUT,
  cifarRecordBytes,
  cifarRecordCount,
  decodeCifarRecords,
  encodeCifarRecords,
  type CifarLayout,
  type CifarLabelField,
} from './cifar.js';
