import { ConfigError, ShapeError } from '../../errors.js';
import { IF } from '../../neurons/if/index.js';
import { LIF } from '../../neurons/lif/index.js';
import { LIFNode } from '../../neurons/lifnode/index.js';
import { PLIF } from '../../neurons/plif/index.js';
import { Synaptic } from '../../neurons/synaptic/index.js';
import { isNeuron, type NeuronModule } from '../../neurons/base.js';
import { Sequential } from '../../nn/containers.js';
import { Conv1d, Conv2d } from '../../nn/conv.js';
import { Dropout } from '../../nn/dropout.js';
import { Flatten } from '../../nn/flatten.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../module/module.js';
import { AvgPool2d, SumPool2d } from '../../nn/pool.js';
import { RepeatTime } from '../../nn/repeat-time.js';
import { NirNeuron } from './neuron.js';
import { emptyGraph, nirArray, nirInts, nirString, type NirGraph, type NirPrimitive, type NirValue } from './types.js';

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
 * metadata lists what was approximated.
 */

export interface NirExportOptions {
  /** Euler step in seconds written to metadata.dt; the time constants are derived from it. */
  dt: number;
  /** Per-sample input shape (without T and B). */
  inputShape: readonly number[];
  /** Write reset-by-subtraction / no-reset / delayed-zero-after neurons as zero-reset LIFs (metadata says so). Default false. */
  approximateReset?: boolean;
}

export interface NirExportResult {
  graph: NirGraph;
  /** Human-readable notes on approximations (empty when the export is exact). */
  approximations: string[];
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Per-neuron values of a per-layer number, a per-neuron list, or a parameter tensor. */
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

function resetCheck(where: string, ok: boolean, what: string, ctx: Ctx): Record<string, NirValue> {
  if (ok) return {};
  if (!ctx.approx)
    throw new ConfigError(
      `${where}: ${what} has no NIR equivalent (NIR neurons reset to v_reset on the spiking step); use reset 'zero' (same-step, or delayed for LIF) or pass approximateReset / --approximate-reset to write it as a zero-reset neuron`,
    );
  ctx.notes.push(`${where}: ${what} written as reset to v_reset = 0`);
  return { approximated_reset: nirString(what) };
}

function neuronNode(where: string, n: NeuronModule, shape: number[], ctx: Ctx): NirPrimitive {
  const F = shape.reduce((a, b) => a * b, 1);
  const dt = ctx.dt;
  const arr = (v: Float64Array): NirValue => nirArray(v, shape, 'float32');
  const fill = (x: number): Float64Array => new Float64Array(F).fill(x);
  if (n instanceof NirNeuron) {
    if (Math.abs(n.dt - dt) > 1e-12 * dt) throw new ConfigError(`${where}: NirNeuron was built for dt = ${n.dt}, exporting with dt = ${dt}`);
    return n.toNirNode();
  }
  if (n instanceof LIF || n instanceof Synaptic) {
    const o = n.opts;
    const reset = o.reset;
    const syn = n instanceof Synaptic;
    // Leaky's delayed zero reset zeroes the previous membrane before the leak: the same spikes as a same-step reset.
    // Synaptic's delayed zero reset zeroes the freshly charged membrane instead, which NIR cannot express.
    const exact = reset === 'zero' && (!syn || !o.resetDelay);
    const md = resetCheck(where, exact, reset === 'subtract' ? 'reset by subtraction' : reset === 'none' ? 'no reset' : "Synaptic's delayed zero reset (reset_delay: true)", ctx);
    const beta = perNeuron(n.getParameter('beta')?.toArray().map((b) => Math.min(1, Math.max(0, b))) ?? o.beta, F, `${where}: beta`);
    const theta = perNeuron(n.getParameter('threshold')?.toArray() ?? o.threshold, F, `${where}: threshold`);
    md['spikeflow_layer'] = nirString(n.kind);
    if (syn) {
      const desc = n.describe();
      const alpha = perNeuron(n.getParameter('alpha')?.toArray().map((a) => Math.min(1, Math.max(0, a))) ?? (desc['alpha'] as number | number[]), F, `${where}: alpha`);
      if (alpha.some((a) => a >= 1) || beta.some((b) => b >= 1)) throw new ConfigError(`${where}: α = 1 or β = 1 means an infinite time constant, which CubaLIF cannot express`);
      return {
        type: 'CubaLIF',
        fields: {
          tau_syn: arr(alpha.map((a) => dt / (1 - a))),
          tau_mem: arr(beta.map((b) => dt / (1 - b))),
          r: arr(beta.map((b) => 1 / (1 - b))),
          v_leak: arr(fill(0)),
          v_threshold: arr(theta),
          v_reset: arr(fill(0)),
          w_in: arr(alpha.map((a) => 1 / (1 - a))),
        },
        metadata: md,
      };
    }
    if (beta.every((b) => b === 1)) return { type: 'IF', fields: { r: arr(fill(1 / dt)), v_threshold: arr(theta), v_reset: arr(fill(0)) }, metadata: md };
    if (beta.some((b) => b >= 1)) throw new ConfigError(`${where}: β = 1 on some neurons only (an infinite time constant) cannot be written`);
    return {
      type: 'LIF',
      fields: { tau: arr(beta.map((b) => dt / (1 - b))), r: arr(beta.map((b) => 1 / (1 - b))), v_leak: arr(fill(0)), v_threshold: arr(theta), v_reset: arr(fill(0)) },
      metadata: md,
    };
  }
  if (n instanceof IF || n instanceof LIFNode || n instanceof PLIF) {
    const c = n.cfr;
    const md = resetCheck(where, c.reset === 'zero', c.reset === 'subtract' ? 'soft reset (subtraction)' : 'no reset', ctx);
    if (c.vReset !== 0) Object.assign(md, resetCheck(where, false, `vReset = ${c.vReset} (spikeflow starts the membrane at vReset, NIR simulators at 0)`, ctx));
    md['spikeflow_layer'] = nirString(n.kind);
    const theta = perNeuron(c.threshold, F, `${where}: threshold`);
    if (n instanceof IF) return { type: 'IF', fields: { r: arr(fill(1 / dt)), v_threshold: arr(theta), v_reset: arr(fill(c.vReset)) }, metadata: md };
    const tauSteps = n instanceof LIFNode ? fill(n.tau) : perNeuron(n.getParameter('w')!.toArray().map((w) => 1 + Math.exp(-w)), F, `${where}: w`);
    const decayInput = n.decayInput;
    return {
      type: 'LIF',
      fields: { tau: arr(tauSteps.map((t) => t * dt)), r: arr(decayInput ? fill(1) : tauSteps), v_leak: arr(fill(c.vReset)), v_threshold: arr(theta), v_reset: arr(fill(c.vReset)) },
      metadata: md,
    };
  }
  throw new ConfigError(`${where}: ${n.kind} neurons have no NIR node (exportable: LIF, Synaptic, IF, LIFNode, PLIF, NirNeuron)`);
}

/** Export a Sequential (or a single layer) to a NIR graph. */
export function moduleToNir(model: Module, opts: NirExportOptions): NirExportResult {
  if (!(Number.isFinite(opts.dt) && opts.dt > 0)) throw new ConfigError(`NIR export: dt must be a positive number, got ${opts.dt}`);
  const ctx: Ctx = { dt: opts.dt, approx: opts.approximateReset ?? false, notes: [] };
  const g = emptyGraph();
  let shape = [...opts.inputShape];
  g.nodes.set('input', { type: 'Input', fields: { shape: nirInts(shape) }, metadata: {} });
  let prev = 'input';
  const used = new Set(['input', 'output']);
  const push = (base: string, node: NirPrimitive): void => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    g.nodes.set(name, node);
    g.edges.push([prev, name]);
    prev = name;
  };
  flatLayers(model).forEach(([path, m], idx) => {
    const where = `layer ${path || idx} (${m.kind})`;
    const tag = `${m.kind.toLowerCase()}_${path.replace(/\./g, '_') || idx}`;
    if (m instanceof RepeatTime || m instanceof Dropout) return; // identities at inference (NIR has no time axis to repeat)
    if (m instanceof Linear) {
      if (shape.length !== 1 || shape[0] !== m.inFeatures) throw new ShapeError(`NIR export: ${where} expects ${m.inFeatures} features, the network gives ${fmt(shape)}`);
      const w = nirArray(m.weight.data, m.weight.shape);
      const node: NirPrimitive = m.bias ? { type: 'Affine', fields: { weight: w, bias: nirArray(m.bias.data, m.bias.shape) }, metadata: {} } : { type: 'Linear', fields: { weight: w }, metadata: {} };
      push(tag, node);
      shape = [m.outFeatures];
    } else if (m instanceof Conv1d || m instanceof Conv2d) {
      const out = m.outputShape(shape);
      const bias = m.bias ? nirArray(m.bias.data, m.bias.shape) : nirArray(new Float64Array(m.outChannels), [m.outChannels]);
      push(tag, {
        type: m instanceof Conv1d ? 'Conv1d' : 'Conv2d',
        fields: {
          weight: nirArray(m.weight.data, m.weight.shape),
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
    } else throw new ConfigError(`NIR export: ${where} has no NIR node (exportable: Linear, Conv1d, Conv2d, SumPool2d, AvgPool2d, Flatten, Dropout/RepeatTime (skipped), LIF-family neurons)`);
  });
  g.nodes.set('output', { type: 'Output', fields: { shape: nirInts(shape) }, metadata: {} });
  g.edges.push([prev, 'output']);
  g.metadata['dt'] = { kind: 'array', dtype: 'float64', shape: [], data: Float64Array.of(opts.dt) };
  g.metadata['reset'] = nirString('to_v_reset_same_step');
  g.metadata['exporter'] = nirString('spikeflow');
  if (ctx.notes.length > 0) g.metadata['approximations'] = nirString(ctx.notes.join('; '));
  return { graph: g, approximations: ctx.notes };
}
