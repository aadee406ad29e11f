/** NIR interchange (browser-safe): read, write, analyse, run, import to and export from spikeflow modules. */
export * from './types.js';
export { NIR_SCHEMA, type FieldSpec, type FieldKind } from './schema.js';
export { readNir, type ReadNirOptions, type ReadNirResult } from './read.js';
export { writeNir, SPIKEFLOW_NIR_VERSION, type WriteNirOptions } from './write.js';
export { validateGraph } from './validate.js';
export { planGraph, type Plan, type Unit, type Link } from './graph.js';
export { runNir, resolveDt, type NirSequence, type RunNirOptions, type NirRunResult } from './executor.js';
export { NirNeuron, createNirNeuron, nirNeuronFromNode, NIR_NEURON_TYPES, type NirNeuronOptions, type NirNeuronType } from './neuron.js';
export { featureAffine } from './feature-affine.js';
export { nirToModule, type NirImportOptions, type NirImportResult } from './import.js';
export { moduleToNir, type NirExportOptions, type NirExportResult } from './export.js';
export { splitByDelay, branchNodes, delaySteps, type DelayBranch } from './delay.js';
export { summarizeNir, renderNirSummary, type NirSummary, type NirNodeSummary } from './summary.js';
