import YAML from 'yaml';
import type { RunConfig } from '../config/schema.js';
import { FormatError } from '../errors.js';
import { entryFromTensor, tensorFromEntry, type SafetensorsEntry } from '../interop/safetensors.js';
import { loadSafetensors, saveSafetensorsAtomic } from '../interop/safetensors-node.js';
import type { Module } from '../module/module.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';

/**
 * model.safetensors: parameters and buffers under their module paths
 * ('1.weight', '3.running_mean'), float32, with the resolved config in the
 * metadata — readable by Python's safetensors and by `spikeflow eval`.
 */
export function saveModelWeights(path: string, model: Module, config: RunConfig): void {
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [n, p] of model.namedParameters()) tensors.set(n, entryFromTensor(p));
  for (const [n, b] of model.namedBuffers()) tensors.set(n, entryFromTensor(b));
  saveSafetensorsAtomic(path, tensors, { format: 'spikeflow.model', config: YAML.stringify(config) });
}

/**
 * Load weights into a model: accepts a model.safetensors or a training
 * checkpoint (names prefixed 'param.' / 'buffer.'). Every model tensor must be
 * present with the same shape.
 */
export function loadModelWeights(path: string, model: Module): void {
  const file = loadSafetensors(path);
  const find = (name: string, prefix: string): SafetensorsEntry | undefined => file.tensors.get(name) ?? file.tensors.get(prefix + name);
  const apply = (named: [string, unknown][], prefix: string): void => {
    for (const [name] of named) {
      const e = find(name, prefix);
      if (!e) throw new FormatError(`${path}: tensor '${name}' missing (the file does not match this model)`);
      const [modPath, leaf] = splitName(name);
      const mod = model.namedModules().find(([p]) => p === modPath)?.[1];
      const cur = mod?.getParameter(leaf) ?? mod?.getBuffer(leaf);
      if (!mod || !cur) throw new FormatError(`${path}: tensor '${name}' has no place in the model`);
      if (!shapeEq(cur.shape, e.shape)) throw new FormatError(`${path}: tensor '${name}' has shape ${fmtShape(e.shape)}, the model expects ${fmtShape(cur.shape)}`);
      mod.setTensor(leaf, tensorFromEntry(e, cur.backend));
    }
  };
  apply(model.namedParameters(), 'param.');
  apply(model.namedBuffers(), 'buffer.');
}

function splitName(name: string): [string, string] {
  const i = name.lastIndexOf('.');
  return i < 0 ? ['', name] : [name.slice(0, i), name.slice(i + 1)];
}

/** The config stored in a model.safetensors, if any. */
export function configFromWeights(path: string): string | null {
  const file = loadSafetensors(path);
  return file.metadata['config'] ?? null;
}
