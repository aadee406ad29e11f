import { ConfigError, ShapeError } from '../../errors.js';
import { isNeuron, type NeuronModule } from '../../neurons/base.js';
import type { NirExportContext } from '../../neurons/entry.js';
import { neuronRegistry } from '../../neurons/registry.js';
import { Sequential } from '../../nn/containers.js';
import { Conv1d, Conv2d } from '../../nn/conv.js';
import { DelayedLinear } from '../../nn/delay.js';
import { Dropout } from '../../nn/dropout.js';
import { Flatten } from '../../nn/flatten.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../module/module.js';
import { AvgPool2d, SumPool2d } from '../../nn/pool.js';
import { RepeatTime } from '../../nn/repeat-time.js';
import type { WeightedLayer } from '../../nn/weighted.js';
import { noGrad } from '../../autograd/tape.js';
import { branchNodes, splitByDelay } from './delay.js';
import { emptyGraph, nirArray, nirInts, nirString, type NirGraph, type NirPrimitive, NIR_PRIMITIVE_TYPES, type NirPrimitiveType } from './types.js';

/*
 * spikeflow network → NIR graph (a chain Input → layers → Output). Neurons are
 * written in the Euler convention of §3 with dt recorded in the graph's
 * metadata, so that an importer using the same dt reproduces the spikes:
 *
 *   LIF (Leaky β, θ, zero reset)       → LIF τ = dt/(1−β), r = 1/(1−β), v_leak = v_reset = 0   (β = 1: IF r = 1/dt)
 *   Synaptic (α, β, zero reset)        → CubaLIF τ_syn = dt/(1−α), w_in = 1/(1−α), τ_mem = dt/(1−β), r = 1/(1−β)
 *   IF (hard reset)                    → IF r = 1/dt, v_reset = vReset
 *   LIFNode / PLIF (τ in steps)        → LIF τ = τ_steps·dt, v_leak = v_reset = vReset, r = 1 (decayInput) or τ_steps
 *
 * NIR resets to v_reset; reset by subtraction (snnTorch's default) and "no
 * reset" have no NIR node. Such layers are refused unless `approximateReset`
 * is set, in which case they are written as zero-reset LIFs and the graph's
 * metadata lists what was approximated. NIR simulators (and runNir) spike at
 * v > v_threshold; a layer that fires at v ≥ v_threshold (SpikingJelly's rule,
 * the IF/LIFNode/PLIF default) is written, since the two differ only where v
 * lands exactly on the threshold, and listed among the approximations.
 *
 * DelayedLinear (integer delay per synapse) → one Linear/Affine → Delay branch
 * per distinct delay, all into the next node (delay.ts; docs/nir.md). Delays
 * are d·dt seconds. Learned positions are written as round(positions), which
 * is what eval mode runs (roundAtEval, the default); a layer that evaluates
 * unrounded is refused unless `roundDelays` accepts the rounding as an approximation.
 */

export interface NirExportOptions {
  /** Euler step in seconds written to metadata.dt; the time constants are derived from it. */
  dt: number;
  /** Per-sample input shape (without T and B). */
  inputShape: readonly number[];
  /** Write reset-by-subtraction / no-reset / delayed-zero-after neurons as zero-reset LIFs (metadata says so). Default false. */
  approximateReset?: boolean;
  /**
   * Export DelayedLinear layers whose learned positions are not rounded yet
   * with the rounded delays (what eval mode runs when roundAtEval is set;
   * the model is not changed). Default false: such layers are refused.
   */
  roundDelays?: boolean;
}

export interface NirExportResult {
  graph: NirGraph;
  /** Human-readable notes on approximations (empty when the export is exact). */
  approximations: string[];
  /** Notes that change no number but matter to whoever runs the graph (delay layers' tail steps). */
  notes: string[];
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Per-neuron values of a per-layer number, a per-neuron list, or a parameter tensor. */
/**
 * The weight a layer computes with: a quantized layer's is q·step, written as
 * floats on its grid (NIR has no integer weights; the graph is still exact).
 */
function exportedWeight(m: WeightedLayer): ArrayLike<number> {
  return m.weightQuantizer ? noGrad(() => m.effectiveWeight()).data : m.weight.data;
}

function perNeuron(v: number | readonly number[] | ArrayLike<number>, F: number, what: string): Float64Array {
  if (typeof v === 'number') return new Float64Array(F).fill(v);
  const a = Float64Array.from(v as ArrayLike<number>);
  if (a.length === 1) return new Float64Array(F).fill(a[0]!);
  if (a.length !== F) throw new ShapeError(`${what}: ${a.length} values for ${F} neurons`);
  return a;
}

function flatLayers(m: Module): [string, Module][] {
  if (m instanceof Sequential) return m.children().flatMap(([n, c]) => flatLayers(c).map(([p, x]): [string, Module] => [p ? `${n}.${p}` : n, x]));
  return [['', m]];
}

interface Ctx {
  dt: number;
  approx: boolean;
  notes: string[];
}

function resetCheck(where: string, ok: boolean, what: string, ctx: Ctx): Record<string, string> {
  if (ok) return {};
  if (!ctx.approx)
    throw new ConfigError(
      `${where}: ${what} has no NIR equivalent (NIR neurons reset to v_reset on the spiking step); use reset 'zero' (same-step, or delayed for LIF) or pass approximateReset / --approximate-reset to write it as a zero-reset neuron`,
    );
  ctx.notes.push(`${where}: ${what} written as reset to v_reset = 0`);
  return { approximated_reset: what };
}

/** Kinds of neuron whose registry entry can write a NIR node. */
function exportableKinds(): string[] {
  return neuronRegistry.list().filter((e) => e.nir?.toNir).map((e) => e.kind);
}

/** A neuron layer's node, from its model's NIR mapping (src/neurons/<model>/nir.ts). */
function neuronNode(where: string, n: NeuronModule, shape: number[], ctx: Ctx): NirPrimitive {
  const F = shape.reduce((a, b) => a * b, 1);
  const toNir = neuronRegistry.list().find((e) => e.kind === n.kind)?.nir?.toNir;
  if (!toNir) throw new ConfigError(`${where}: ${n.kind} neurons have no NIR node (exportable: ${exportableKinds().join(', ')})`);
  const ectx: NirExportContext = {
    dt: ctx.dt,
    where,
    features: F,
    perNeuron: (v, what) => perNeuron(v, F, `${where}: ${what}`),
    reset: (exact, what) => resetCheck(where, exact, what, ctx),
    approximate: (key, what) => {
      ctx.notes.push(`${where}: ${what}`);
      return { [key]: what };
    },
  };
  const node = toNir(n, ectx);
  const fields: NirPrimitive['fields'] = {};
  for (const [k, v] of Object.entries(node.fields)) fields[k] = nirArray(v, shape, 'float32');
  const metadata: NirPrimitive['metadata'] = {};
  for (const [k, v] of Object.entries(node.metadata)) metadata[k] = nirString(v);
  if (!(NIR_PRIMITIVE_TYPES as readonly string[]).includes(node.type)) throw new ConfigError(`${where}: the model's NIR mapping wrote node type '${node.type}', which NIR does not define`);
  return { type: node.type as NirPrimitiveType, fields, metadata };
}

/** Export a Sequential (or a single layer) to a NIR graph. */
export function moduleToNir(model: Module, opts: NirExportOptions): NirExportResult {
  if (!(Number.isFinite(opts.dt) && opts.dt > 0)) throw new ConfigError(`NIR export: dt must be a positive number, got ${opts.dt}`);
  const ctx: Ctx = { dt: opts.dt, approx: opts.approximateReset ?? false, notes: [] };
  const g = emptyGraph();
  let shape = [...opts.inputShape];
  g.nodes.set('input', { type: 'Input', fields: { shape: nirInts(shape) }, metadata: {} });
  // The nodes the next layer reads (several after a delay layer: NIR sums a node's inputs).
  let prev = ['input'];
  const used = new Set(['input', 'output']);
  const add = (base: string, node: NirPrimitive, from: readonly string[]): string => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    g.nodes.set(name, node);
    for (const p of from) g.edges.push([p, name]);
    return name;
  };
  const push = (base: string, node: NirPrimitive): void => {
    prev = [add(base, node, prev)];
  };
  const notes: string[] = [];
  let tail = 0;
  flatLayers(model).forEach(([path, m], idx) => {
    const where = `layer ${path || idx} (${m.kind})`;
    const tag = `${m.kind.toLowerCase()}_${path.replace(/\./g, '_') || idx}`;
    if (m instanceof RepeatTime || m instanceof Dropout) return; // identities at inference (NIR has no time axis to repeat)
    if (m instanceof DelayedLinear) {
      if (shape.length !== 1 || shape[0] !== m.inFeatures) throw new ShapeError(`NIR export: ${where} expects ${m.inFeatures} features, the network gives ${fmt(shape)}`);
      if (!m.rounded) {
        // With roundAtEval (the default) eval mode runs round(positions): that is the model, exactly.
        // Without it eval spreads each synapse over taps, which NIR cannot express: only on request, recorded.
        if (!m.roundAtEval) {
          if (!opts.roundDelays) throw new ConfigError(`NIR export: ${where} evaluates unrounded delay positions (round_at_eval false), which NIR cannot express; call round() on the layer first, or pass roundDelays / --round-delays to export round(positions) as an approximation`);
          ctx.notes.push(`${where}: learned positions written rounded; the layer evaluates unrounded (roundAtEval false)`);
        }
      }
      const O = m.outFeatures, I = m.inFeatures;
      const from = prev;
      const ends: string[] = [];
      for (const b of splitByDelay(m.weight.data, m.delays(), O, I, m.bias ? m.bias.data : null)) {
        const nodes = branchNodes(b, O, I, opts.dt);
        const w = add(`${tag}_d${b.steps}`, nodes.weight, from);
        ends.push(add(`${tag}_d${b.steps}_delay`, nodes.delay, [w]));
      }
      prev = ends;
      shape = [O];
      if (m.tail > 0) {
        tail += m.tail;
        notes.push(`${where}: tail ${m.tail}: the layer emits ${m.tail} steps after its input ends; feed that many zero steps after the input to get them from the graph`);
      }
    } else if (m instanceof Linear) {
      if (shape.length !== 1 || shape[0] !== m.inFeatures) throw new ShapeError(`NIR export: ${where} expects ${m.inFeatures} features, the network gives ${fmt(shape)}`);
      const w = nirArray(exportedWeight(m), m.weight.shape);
      const node: NirPrimitive = m.bias ? { type: 'Affine', fields: { weight: w, bias: nirArray(m.bias.data, m.bias.shape) }, metadata: {} } : { type: 'Linear', fields: { weight: w }, metadata: {} };
      push(tag, node);
      shape = [m.outFeatures];
    } else if (m instanceof Conv1d || m instanceof Conv2d) {
      const out = m.outputShape(shape);
      const bias = m.bias ? nirArray(m.bias.data, m.bias.shape) : nirArray(new Float64Array(m.outChannels), [m.outChannels]);
      push(tag, {
        type: m instanceof Conv1d ? 'Conv1d' : 'Conv2d',
        fields: {
          weight: nirArray(exportedWeight(m), m.weight.shape),
          bias,
          stride: nirInts(m.stride),
          padding: typeof m.padding === 'string' ? nirString(m.padding) : nirInts(m.padding),
          dilation: nirInts(m.dilation),
          groups: nirInts([m.groups], true),
          input_shape: nirInts(shape.slice(1)),
        },
        metadata: {},
      });
      shape = out;
    } else if (m instanceof SumPool2d || m instanceof AvgPool2d) {
      if (m instanceof AvgPool2d && !m.countIncludePad && m.padding.some((p) => p > 0)) throw new ConfigError(`NIR export: ${where} averages without counting padding; NIR's AvgPool2d divides by the window size`);
      const out = m.outputShape(shape);
      push(tag, { type: m instanceof SumPool2d ? 'SumPool2d' : 'AvgPool2d', fields: { kernel_size: nirInts(m.kernelSize), stride: nirInts(m.stride), padding: nirInts(m.padding) }, metadata: {} });
      shape = out;
    } else if (m instanceof Flatten) {
      const out = m.outputShape(shape);
      push(tag, { type: 'Flatten', fields: { start_dim: nirInts([m.startDim], true), end_dim: nirInts([m.endDim], true), input_type: nirInts(shape) }, metadata: {} });
      shape = out;
    } else if (isNeuron(m)) {
      push(tag, neuronNode(`NIR export: ${where}`, m, shape, ctx));
    } else throw new ConfigError(`NIR export: ${where} has no NIR node (exportable: Linear, DelayedLinear, Conv1d, Conv2d, SumPool2d, AvgPool2d, Flatten, Dropout/RepeatTime (skipped), LIF-family neurons)`);
  });
  g.nodes.set('output', { type: 'Output', fields: { shape: nirInts(shape) }, metadata: {} });
  for (const p of prev) g.edges.push([p, 'output']);
  g.metadata['dt'] = { kind: 'array', dtype: 'float64', shape: [], data: Float64Array.of(opts.dt) };
  g.metadata['reset'] = nirString('to_v_reset_same_step');
  g.metadata['exporter'] = nirString('spikeflow');
  if (ctx.notes.length > 0) g.metadata['approximations'] = nirString(ctx.notes.join('; '));
  if (tail > 0) g.metadata['delay_tail_steps'] = { kind: 'array', dtype: 'int64', shape: [], data: Float64Array.of(tail) };
  return { graph: g, approximations: ctx.notes, notes };
}
