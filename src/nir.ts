/**
 * `spikeflow/nir`: NIR interchange (read, write, validate, run, import to and
 * export from spikeflow modules). A subpath of its own because reading and
 * writing .nir files pulls in h5wasm (several MB), which a browser bundle of the
 * core should not carry. File helpers on disk (readNirFile, writeNirFile) are
 * in `spikeflow/node`.
 */

// Importing this entry registers the NIR-discretised neuron (type 'nir') with
// the neuron factory, so the layer configs the NIR importer produces can be
// built. Imported directly, not only through the re-exports below: bundlers
// prune side-effect-free modules (package.json "sideEffects"), and a bare
// `import 'spikeflow/nir'` uses none of the re-exported names.
import './interop/nir/neuron.js';

export * from './interop/nir/index.js';
