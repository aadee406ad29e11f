/** Node-only parts of spikeflow: datasets on disk, file I/O, config files, the CLI entry. */
import { registerNativeBackend } from './backend/native/load-node.js';

// Importing the Node entry makes the native addon (when built) available to `auto`.
registerNativeBackend();
export { registerNativeBackend, loadNativeAddon } from './backend/native/load-node.js';
export { loadDataset, DATASET_NAMES, type DatasetName, type LoadDatasetOptions } from './data/load-node.js';
export { loadIdxDataset, readIdxFile, locateFashionMnist, FASHION_MNIST_SYSTEM_DIR, IDX_FILES } from './data/idx-node.js';
export { loadEmbeddedMnist, EMBEDDED_MNIST_SIZES } from './data/mnist-embedded-node.js';
export { loadCifar10, loadCifar100, locateCifar, CIFAR10_FILES, CIFAR100_FILES, type CifarVariant, type CifarLoadOptions } from './data/cifar-node.js';
export { saveSafetensorsAtomic, loadSafetensors } from './interop/safetensors-node.js';
export { saveWeights, loadWeights, weightsFromFile, type SaveWeightsOptions, type LoadWeightsOptions } from './interop/weights-node.js';
export { saveIntWeights, readIntWeights } from './quant/int-weights-node.js';
export { writeFileAtomic } from './io/atomic-node.js';
export { svgToPng, type PngOptions } from './viz/png-node.js';
export { saveCheckpoint, loadCheckpoint, saveTrainerCheckpoint, loadTrainerCheckpoint, type LoadCheckpointOptions } from './train/checkpoint-node.js';
export { loadConfig, parseConfigText, applyOverrides } from './config/load-node.js';
export { main } from './cli/main.js';
export { readNirFile, writeNirFile } from './interop/nir/file-node.js';
export * from './data/events/index-node.js';
export * from './data/audio/index-node.js';
