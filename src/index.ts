/**
 * spikeflow core: browser-safe (no Node built-in, no h5wasm, no zod; held by
 * test/structure/bundle.test.ts). File I/O, on-disk datasets and the CLI are in
 * `spikeflow/node` (src/node.ts), NIR in `spikeflow/nir` (src/nir.ts), the
 * config schema in `spikeflow/config` (src/config.ts).
 */
export * from './errors.js';
export type { Backend } from './backend/backend.js';
export type { Storage, Floats, DType } from './backend/storage.js';
export { registerBackend, setBackend, getBackend, getBackendByName, withBackend, backendNames } from './backend/registry.js';
export { Tensor, type TensorOptions, type NestedArray } from './tensor/tensor.js';
export { zeros, ones, full, tensor, scalar, randn, uniform, toBackend } from './tensor/create.js';
export { Rng, defaultRng, manualSeed, DEFAULT_SEED } from './tensor/rng.js';
export { sizeOf, shapeEq, fmtShape, type Shape } from './tensor/shape.js';
export { backward, noGrad, isGradEnabled, startTapeMemory, stopTapeMemory, tapeMemory, dropLiveNodes, type TapeMemory } from './autograd/tape.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './autograd/gradcheck.js';
export { add, sub, mul, scale, sum, mean, sumLeading, meanLeading } from './ops/elementwise.js';
export { reshape, flatten, repeatTime, stack, sliceLeading } from './ops/shape.js';
export { selectRows } from './ops/select.js';
export { linear } from './ops/linear.js';
export { conv1d, conv2d } from './ops/conv.js';
export { maxPool2d, avgPool2d, sumPool2d } from './ops/pool.js';
export { batchNorm } from './ops/norm.js';
export { dropout } from './ops/dropout.js';
export * from './ops/loss.js';
export { reduceOverTime, type TimeReduction } from './ops/readout.js';
export { softTargetKl } from './ops/distill.js';
export { Module, type LoadStateDictOptions } from './module/module.js';
export { Linear } from './nn/linear.js';
export { WeightedLayer, isWeightedLayer, lsqInitialStep, WEIGHT_STEP, type WeightQuantSpec } from './nn/weighted.js';
export { lsqQuantize, quantLevels, quantizeLevel, roundHalfEven, type QuantLevels, type LsqOptions } from './ops/quantize.js';
export * from './quant/index.js';
export { DelayedLinear, type DelayedLinearOptions, type DelayMode } from './nn/delay.js';
export { delayKernel, delayConv, delaySparse, delayConvExact, type DelayKernelOptions } from './ops/delay.js';
// SpikeGPT / RWKV language models (docs/spikegpt.md); the training loop and CLI are in spikeflow/node.
export { Embedding, TimeMix, ChannelMix, RwkvBlock, SPIKEGPT_NEURON, type RwkvBlockOptions } from './nn/rwkv.js';
export { wkv, tokenShiftMix, emptyWkvState } from './ops/rwkv.js';
export { Transformer, TransformerBlock, type TransformerOptions } from './nn/transformer.js';
export { causalAttention, addPositionEmbedding, gelu, type KvCache } from './ops/transformer.js';
export { embedding, heavisideArctan } from './ops/embedding.js';
export { tokenCrossEntropy, l2wrap } from './ops/lm.js';
export { CharTokenizer, splitTokens, randomWindows, type TextSplits, type TokenBatch } from './data/text.js';
export { DELAY_INTERP, type DelayInterp, type DelaySynapses } from './backend/kernels/delay.js';
export { Sequential, Residual } from './nn/containers.js';
export { Conv1d, Conv2d } from './nn/conv.js';
export { MaxPool2d, AvgPool2d, SumPool2d } from './nn/pool.js';
export { BatchNorm1d, BatchNorm2d, TdBatchNorm } from './nn/norm.js';
export { Dropout } from './nn/dropout.js';
export { Flatten } from './nn/flatten.js';
export { RepeatTime } from './nn/repeat-time.js';
export { buildModel, layerTypes, type LayerConfig, type BuildOptions, type BuiltModel } from './nn/builder.js';
export { planModel, type ModelPlan, type PlanModelOptions } from './nn/plan.js';
export * from './stream/index.js';
export * from './neurons/index.js';
export * from './encoding/index.js';
export { makeDelayPatterns, delayPatternOrders, DELAY_PATTERNS_DEFAULTS, type DelayPatternsSpec } from './data/delay-patterns.js';
export { makeDataset, subset, take, classCounts, holdOutValidation, VALIDATION_SEED, parseIdx, encodeIdx, isGzip, idxToDataset, DataLoader, batchTensor, packDigits, unpackDigits } from './data/index.js';
export type { Dataset, DatasetInit, SplitDataset, Labels, IdxArray, DataLoaderOptions, DataLoaderState, PackedSplit } from './data/index.js';
export type { Batch as DataBatch } from './data/index.js';
export { ImageAugmenter, augmentEnabled, checkAugment, cropFlipSample, normalizeDataset, normalizedFill, checkNormalize } from './data/index.js';
export type { AugmentSpec, AugmentDraw, ImageAugmenterOptions, NormalizeSpec } from './data/index.js';
export { CIFAR_SHAPE, CIFAR_PIXELS, CIFAR10_LAYOUT, CIFAR100_LAYOUT, cifarRecordBytes, cifarRecordCount, decodeCifarRecords, encodeCifarRecords } from './data/index.js';
export type { CifarLayout, CifarLabelField } from './data/index.js';
export * from './train/index.js';
export * from './analysis/index.js';
export * from './early-exit/index.js';
export { encodeSafetensors, decodeSafetensors, entryFromTensor, tensorFromEntry, type SafetensorsEntry, type SafetensorsFile, type SafetensorsDType, type DecodeSafetensorsOptions } from './interop/safetensors.js';
export { DEFAULT_LIMITS, fmtBytes, withLimits, type SizeLimits } from './io/limits.js';
export { assertFinite, firstNonFinite } from './io/finite.js';
export * from './data/events/index.js';
export * from './data/audio/index.js';
export { runInStepScope, rotatingScope, stepBackends, optimizerStateTensors } from './train/trainer.js';

// Registries and building a session from a config object (browser-safe; the
// zod config schema stays where it is above, the Node dataset loaders register
// from spikeflow/node).
export { Registry, type RegistryEntry } from './registry/registry.js';
export { readOptions, readConfigOptions, type OptionSpec, type OptionDef, type OptionValues } from './registry/options.js';
export { layerRegistry, defineLayer, makeLayer, type LayerEntry, type LayerContext, type LayerPlan, type PlanContext } from './nn/layers.js';
export { neuronLayerType, type NeuronLayerType } from './nn/builder.js';
export { lossRegistry, defineLoss, makeLoss, makePredict, makeScores, makeStepLoss, type LossEntry, type LossConfig } from './train/losses.js';
export { optimizerRegistry, defineOptimizer, makeOptimizer, type OptimizerEntry, type OptimizerConfig } from './train/optim/registry.js';
export { schedulerRegistry, defineScheduler, makeScheduler, makeSchedule, WARMUP_OPTIONS, type SchedulerEntry, type SchedulerConfig, type ScheduleContext } from './train/scheduler-registry.js';
export { datasetRegistry, type DatasetEntry, type DatasetRequest } from './data/registry.js';
export { buildSession, checkDataConfig, datasetRequest, loadConfigData, isTemporalDataset, makeLoader, tensorBatches, trainBatches, checkpointRngs, sessionTrainer, trainStages, stageSession, type TrainStage, type Session, type BuildSessionOptions } from './config/session.js';
export { attachTeacher, evaluateTeacher, type TeacherSource, type Teacher, type Distillation } from './config/teacher.js';

// Plots as SVG strings from plain data (browser-safe; PNG in spikeflow/node).
export * from './viz/index.js';
