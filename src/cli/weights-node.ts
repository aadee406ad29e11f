import YAML from 'yaml';
import type { RunConfig } from '../config/schema.js';
import { loadSafetensors } from '../interop/safetensors-node.js';
import { saveWeights, weightsFromFile } from '../interop/weights-node.js';
import type { Module } from '../module/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { WEIGHT_STEP } from '../nn/weighted.js';
import { quantizedLayers } from '../quant/apply.js';
import { dequantizeIntWeights, isIntWeightsFile } from '../quant/int-weights.js';

export interface LoadModelWeightsOptions {
  /**
   * A float file (no `weight_step` tensors at all) may fill a model with
   * quantized layers: their steps are initialised from the loaded weights
   * (LSQ's rule), as when quantization-aware training starts from a trained
   * float model (`train --weights`). Default false: every tensor must be there.
   */
  floatIntoQuantized?: boolean;
  /** Load NaN / ±Infinity weights too (the CLI's --allow-non-finite); default false: a NumericError names the file and the tensor. */
  allowNonFinite?: boolean;
}

/**
 * model.safetensors: parameters and buffers under their module paths
 * ('1.weight', '3.running_mean'), float32, with the resolved config in the
 * metadata — readable by Python's safetensors and by `spikeflow eval`.
 */
export function saveModelWeights(path: string, model: Module, config: RunConfig): void {
  saveWeights(path, model, { metadata: { config: YAML.stringify(config) } });
}

/**
 * Load weights into a model: accepts a model.safetensors or a training
 * checkpoint (names prefixed 'param.' / 'buffer.'). Every model tensor must be
 * present with the same shape (errors name the file and the tensor).
 *
 * The names are module paths of a Sequential, and the model builder inserts
 * parameterless layers of its own — a Flatten before a linear layer when the
 * dataset's samples are not flat, a RepeatTime under direct encoding — so the
 * same layers can sit at other positions than in the model that wrote the file
 * (a NIR import has no Flatten: '0.weight' there is '1.weight' for MNIST's
 * [1, 28, 28]). When the names do not match as they are, the file's layers are
 * matched to the model's in order, and only where both have the same
 * parameterised layers with the same tensor names and shapes.
 */
export function loadModelWeights(path: string, model: Module, opts: LoadModelWeightsOptions = {}): void {
  const file = loadSafetensors(path, { allowNonFinite: opts.allowNonFinite ?? false });
  // An integer weights file (model.int.safetensors) is dequantized first: q·step in the step's dtype.
  const given = weightsFromFile(isIntWeightsFile(file.metadata) ? dequantizeIntWeights(file, path) : file.tensors, model);
  const own = model.stateDict();
  const quantized = quantizedLayers(model);
  const fromFloat = opts.floatIntoQuantized === true && quantized.length > 0 && ![...given.keys()].some((n) => n === WEIGHT_STEP || n.endsWith(`.${WEIGHT_STEP}`));
  if (fromFloat) {
    // Placeholders so the names match; the steps are recomputed below from the weights just loaded.
    for (const [n, t] of own) if (n === WEIGHT_STEP || n.endsWith(`.${WEIGHT_STEP}`)) given.set(n, t);
  }
  const exact = [...own.keys()].every((n) => given.has(n));
  model.loadStateDict(exact ? given : (alignByLayer(given, own) ?? given), { where: path });
  if (fromFloat) for (const [, m] of quantized) m.setWeightQuantizer(m.weightQuantizer);
}

/** Group tensor names by their top-level layer ('3.weight' → '3' / 'weight'), in layer order. */
function byLayer(names: Iterable<string>): [string, string[]][] | null {
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const i = n.indexOf('.');
    if (i < 0) return null;
    const head = n.slice(0, i);
    if (!/^\d+$/.test(head)) return null;
    const g = groups.get(head) ?? [];
    g.push(n.slice(i + 1));
    groups.set(head, g);
  }
  return [...groups].sort((a, b) => Number(a[0]) - Number(b[0])).map(([h, rest]) => [h, rest.sort()]);
}

/** The file's tensors renamed onto the model's layers, or null when the layers do not correspond one to one. */
function alignByLayer(given: Map<string, Tensor>, own: Map<string, Tensor>): Map<string, Tensor> | null {
  const a = byLayer(given.keys());
  const b = byLayer(own.keys());
  if (!a || !b || a.length !== b.length) return null;
  const out = new Map<string, Tensor>();
  for (let k = 0; k < a.length; k++) {
    const [fh, fr] = a[k]!;
    const [mh, mr] = b[k]!;
    if (fr.length !== mr.length || fr.some((r, i) => r !== mr[i])) return null;
    for (const r of fr) {
      const t = given.get(`${fh}.${r}`)!;
      const cur = own.get(`${mh}.${r}`)!;
      if (t.shape.length !== cur.shape.length || t.shape.some((d, i) => d !== cur.shape[i])) return null;
      out.set(`${mh}.${r}`, t);
    }
  }
  return out;
}

/** The config stored in a model.safetensors, if any. */
export function configFromWeights(path: string): string | null {
  // Only the header's config is read here; the numbers are checked when the weights are loaded.
  const file = loadSafetensors(path, { allowNonFinite: true });
  return file.metadata['config'] ?? null;
}
