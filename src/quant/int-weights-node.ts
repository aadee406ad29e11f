import { loadSafetensors, saveSafetensorsAtomic } from '../interop/safetensors-node.js';
import type { SafetensorsEntry } from '../interop/safetensors.js';
import type { Module } from '../module/module.js';
import { dequantizeIntWeights, intWeightsEntries } from './int-weights.js';

/** Write a model's integer weights file (see int-weights.ts) atomically: a failed write leaves no half file. */
export function saveIntWeights(path: string, model: Module, metadata: Record<string, string> = {}): void {
  const f = intWeightsEntries(model, metadata);
  saveSafetensorsAtomic(path, f.tensors, f.metadata);
}

/** Read an integer weights file and dequantize it (errors name the file and the tensor). */
export function readIntWeights(path: string): { tensors: Map<string, SafetensorsEntry>; metadata: Record<string, string> } {
  const file = loadSafetensors(path);
  return { tensors: dequantizeIntWeights(file, path), metadata: file.metadata };
}
