import type { Module } from '../module/module.js';
import { sizeOf, type Shape } from '../tensor/shape.js';

/**
 * How the operation counter treats a layer. Layers are identified by their
 * `kind` string, not their class, so that analysis does not import every layer
 * implementation (and keeps working for layers added later under known names).
 */
export type LayerCategory = 'synaptic' | 'norm' | 'pool' | 'neuron' | 'add' | 'free' | 'op' | 'unknown';

/** Weighted layers whose cost is `output elements · Π weight.shape[1:]` MACs per step. */
const SYNAPTIC = new Set(['Linear', 'Conv1d', 'Conv2d', 'Conv3d']);
/** Layers that cost nothing at inference: reshapes, identity in eval, the time repeat (a copy or a broadcast). */
const FREE = new Set(['Dropout', 'Dropout1d', 'Dropout2d', 'Flatten', 'Unflatten', 'Reshape', 'Identity', 'RepeatTime']);

/**
 * Parameter-free products inside composite layers, which report their own
 * measured costs (Module.forwardParts): the spiking attentions' products, the
 * RWKV layer's WKV recurrence and receptance gates, the softmax transformer's
 * causal attention and GELU. Every one listed here is counted; a kind left
 * out is reported as uncounted and priced at zero.
 */
const OPS = new Set(['LinearAttention', 'TokenDot', 'ChannelMask', 'WKV', 'SigmoidGate', 'CausalAttention', 'GELU']);

export function categorize(kind: string, isNeuron: boolean): LayerCategory {
  if (isNeuron) return 'neuron';
  if (OPS.has(kind)) return 'op';
  if (SYNAPTIC.has(kind)) return 'synaptic';
  if (FREE.has(kind)) return 'free';
  if (kind === 'Add') return 'add';
  if (/BatchNorm/i.test(kind)) return 'norm';
  if (/Pool/.test(kind)) return 'pool';
  return 'unknown';
}

/** A numeric window size from a describe() value: 3 → 3, [2, 2] → 4. */
function windowFrom(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  if (Array.isArray(v) && v.length > 0 && v.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    return (v as number[]).reduce((a, b) => a * b, 1);
  }
  return null;
}

/**
 * Cells per pooling window: from the module's settings when it reports a kernel
 * size (`kernelSize`, `kernel_size` or `kernel`), else the ratio of input to
 * output spatial size, which is exact for the usual non-overlapping pools.
 * For a 1-D pool reporting a scalar kernel the scalar is the window; a 2-D pool
 * reporting a scalar k has a k×k window.
 */
export function poolWindowOf(m: Module, inShape: Shape, outShape: Shape): number | null {
  if (categorize(m.kind, false) !== 'pool') return null;
  const d = m.describe();
  for (const key of ['kernelSize', 'kernel_size', 'kernel']) {
    const w = windowFrom(d[key]);
    if (w !== null) {
      const k = d[key];
      return typeof k === 'number' && /2d$/.test(m.kind) ? w * w : typeof k === 'number' && /3d$/.test(m.kind) ? w * w * w : w;
    }
  }
  const outCells = sizeOf(outShape.slice(2));
  if (outCells === 0) return 0;
  return Math.max(1, Math.round(sizeOf(inShape.slice(2)) / outCells));
}
