import { ConfigError } from '../errors.js';
import type { Module } from '../module/module.js';
import { isWeightedLayer, type WeightedLayer } from '../nn/weighted.js';
import { quantLevels } from '../ops/quantize.js';
import type { QuantizeOptions, QuantMethod } from './options.js';
import { ptqStep } from './ptq.js';

/*
 * Quantizing a built model: walk its modules, pick the weighted layers
 * (Linear, Conv1d, Conv2d — also the children of composite layers), leave
 * out the first and last ones and the excluded paths as the options say, and
 * attach a weight quantizer to each of the rest.
 */

/** One layer that got a quantizer. */
export interface QuantizedLayer {
  /** Module path ('3', '2.attn.q'). */
  path: string;
  kind: string;
  layer: WeightedLayer;
  /** This layer's width (`bits`, or `first_last_bits` for the first and last layers). */
  bits: number;
  perChannel: boolean;
  method: QuantMethod;
}

/** The weighted layers of a model in module order (the order of the forward for a Sequential), with their paths. */
export function weightedLayers(model: Module): [string, WeightedLayer][] {
  return model.namedModules().filter((e): e is [string, WeightedLayer] => isWeightedLayer(e[1]));
}

/** Whether `path` is `prefix` or lies under it ('2.body.0' is under '2'). */
function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + '.');
}

/**
 * The layers the options select with their bit widths, in module order: the
 * weighted layers less the excluded ones; the first and last at
 * `firstLastBits` when skip_first / skip_last leave them out and that is
 * set, else not at all. ConfigErrors name the option and list the weighted layers.
 */
export function selectLayers(model: Module, o: Pick<QuantizeOptions, 'bits' | 'skipFirst' | 'skipLast' | 'exclude' | 'firstLastBits'>, where = 'model.quantize'): [string, WeightedLayer, number][] {
  const all = weightedLayers(model);
  const paths = all.map(([p, m]) => `${p} (${m.kind})`).join(', ') || 'none';
  if (all.length === 0) throw new ConfigError(`${where}: the model has no weighted layer (Linear, Conv1d, Conv2d) to quantize`);
  for (const ex of o.exclude) {
    if (!all.some(([p]) => under(p, ex))) throw new ConfigError(`${where}.exclude: '${ex}' is no weighted layer of this model, nor holds one (weighted layers: ${paths})`);
  }
  const chosen: [string, WeightedLayer, number][] = [];
  all.forEach(([p, m], i) => {
    if (o.exclude.some((ex) => under(p, ex))) return;
    const skipped = (o.skipFirst && i === 0) || (o.skipLast && i === all.length - 1);
    if (!skipped) chosen.push([p, m, o.bits]);
    else if (o.firstLastBits !== null) chosen.push([p, m, o.firstLastBits]);
  });
  if (chosen.length === 0) {
    throw new ConfigError(
      `${where}: skip_first: ${o.skipFirst}, skip_last: ${o.skipLast} and exclude leave no layer to quantize (weighted layers: ${paths}); set skip_first or skip_last to false, or give first_last_bits`,
    );
  }
  return chosen;
}

/**
 * Attach weight quantizers as `model.quantize` describes: LSQ (a learned step,
 * initialised to 2·mean|w|/√Qp per channel) or a post-training method (a fixed
 * step from the current weights: minmax / percentile; mse starts from minmax
 * and is refined by `calibrateMse` on data). Call after the model is built and
 * before the optimizer is made. Returns the quantized layers.
 */
export function quantizeModel(model: Module, o: QuantizeOptions, where = 'model.quantize'): QuantizedLayer[] {
  const out: QuantizedLayer[] = [];
  for (const [path, layer, bits] of selectLayers(model, o, where)) {
    const learnStep = o.method === 'lsq';
    const step = learnStep ? undefined : ptqStep(layer.weight, quantLevels(bits), o.perChannel, o.method === 'percentile' ? { percentile: o.percentile } : {});
    layer.setWeightQuantizer({ bits, perChannel: o.perChannel, learnStep }, step);
    out.push({ path, kind: layer.kind, layer, bits, perChannel: o.perChannel, method: o.method });
  }
  return out;
}

/** The layers of a model that carry a weight quantizer, with their paths. */
export function quantizedLayers(model: Module): [string, WeightedLayer][] {
  return weightedLayers(model).filter(([, m]) => m.weightQuantizer !== null);
}
