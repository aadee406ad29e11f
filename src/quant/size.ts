import type { Module } from '../module/module.js';
import { quantizedLayers } from './apply.js';

/*
 * Model size at stored width: every tensor of the state dict (what
 * model.safetensors holds: parameters and buffers) at 32 bits, except the
 * weights of quantized layers, at their b bits. The steps (scales) are
 * float32 tensors and count at 32 bits like the biases.
 */

export interface LayerSize {
  path: string;
  bits: number;
  weights: number;
}

export interface ModelSize {
  /** Numbers stored (every element of the state dict). */
  values: number;
  /** Of which quantized weights. */
  quantizedValues: number;
  bits: number;
  /** bits / 8. */
  bytes: number;
  /** The same state dict, everything at 32 bits. */
  fp32Bytes: number;
  /** fp32Bytes / bytes. */
  compression: number;
  /** The quantized layers' weights. */
  layers: LayerSize[];
}

const FLOAT_BITS = 32;

export function modelSize(model: Module): ModelSize {
  const qbits = new Map<string, number>();
  const layers: LayerSize[] = [];
  for (const [path, m] of quantizedLayers(model)) {
    const bits = m.weightQuantizer!.bits;
    qbits.set(path ? `${path}.weight` : 'weight', bits);
    layers.push({ path, bits, weights: m.weight.size });
  }
  let values = 0, quantizedValues = 0, bits = 0;
  for (const [name, t] of model.stateDict()) {
    values += t.size;
    const b = qbits.get(name);
    if (b !== undefined) quantizedValues += t.size;
    bits += t.size * (b ?? FLOAT_BITS);
  }
  const fp32Bytes = (values * FLOAT_BITS) / 8;
  const bytes = bits / 8;
  return { values, quantizedValues, bits, bytes, fp32Bytes, compression: bytes > 0 ? fp32Bytes / bytes : 1, layers };
}

/** '12.3 kB (int4 weights; 7.41× smaller than float32)' — bytes with their unit. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toPrecision(3)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toPrecision(3)} kB`;
  return `${bytes} B`;
}

/** One line for logs and `info`-style output: size at stored width, against float32. */
export function describeModelSize(s: ModelSize): string {
  if (s.quantizedValues === 0) return `${formatBytes(s.bytes)} (float32)`;
  const widths = [...new Set(s.layers.map((l) => l.bits))].sort((a, b) => a - b).map((b) => `int${b}`).join('/');
  return `${formatBytes(s.bytes)} (${s.quantizedValues} weights in ${widths}, the rest float32; ${s.compression.toFixed(2)}× smaller than float32 ${formatBytes(s.fp32Bytes)})`;
}
