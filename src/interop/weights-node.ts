import type { Module } from '../module/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { entryFromTensor, tensorFromEntry, type SafetensorsEntry } from './safetensors.js';
import { loadSafetensors, saveSafetensorsAtomic } from './safetensors-node.js';

/*
 * Weights files for any module: its stateDict() as safetensors (the format
 * `spikeflow train` writes as model.safetensors and Python's safetensors
 * reads), names = module paths ('0.weight', '3.running_mean').
 */

export interface SaveWeightsOptions {
  /** String metadata stored in the file header (spikeflow adds format: 'spikeflow.model'). */
  metadata?: Record<string, string>;
}

/** Write `module.stateDict()` to `path` atomically (a failed write leaves the old file or none). */
export function saveWeights(path: string, module: Module, opts: SaveWeightsOptions = {}): void {
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [n, t] of module.stateDict()) tensors.set(n, entryFromTensor(t));
  saveSafetensorsAtomic(path, tensors, { format: 'spikeflow.model', ...(opts.metadata ?? {}) });
}

export interface LoadWeightsOptions {
  /** Every tensor of the module must be in the file and every tensor of the file in the module (default true). */
  strict?: boolean;
  /** Load NaN / ±Infinity values too (default false: a NumericError names the file, the tensor and the first bad index). */
  allowNonFinite?: boolean;
}

/**
 * Read a weights file into `module` (see `Module.loadStateDict`: errors name
 * the file and the tensor, and a failed load changes nothing). Accepts a
 * training checkpoint too, whose names carry 'param.' / 'buffer.' prefixes.
 * Returns the file's metadata.
 */
export function loadWeights(path: string, module: Module, opts: LoadWeightsOptions = {}): Record<string, string> {
  const file = loadSafetensors(path, { allowNonFinite: opts.allowNonFinite ?? false });
  module.loadStateDict(weightsFromFile(file.tensors, module), { strict: opts.strict ?? true, where: path });
  return file.metadata;
}

/** The file's tensors under module names: checkpoint prefixes dropped, each on its module tensor's backend. */
export function weightsFromFile(entries: ReadonlyMap<string, SafetensorsEntry>, module: Module): Map<string, Tensor> {
  const own = module.stateDict();
  const isCheckpoint = [...entries.keys()].some((n) => n.startsWith('param.') || n.startsWith('buffer.'));
  const out = new Map<string, Tensor>();
  for (const [name, e] of entries) {
    if (isCheckpoint && !name.startsWith('param.') && !name.startsWith('buffer.')) continue; // optimizer state, rng, ...
    const n = isCheckpoint ? name.replace(/^(param|buffer)\./, '') : name;
    out.set(n, tensorFromEntry(e, own.get(n)?.backend));
  }
  return out;
}
