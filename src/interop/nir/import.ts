import { ConfigError, SpikeflowError } from '../../errors.js';
import type { NeuronModule } from '../../neurons/base.js';
import type { NirImportContext } from '../../neurons/entry.js';
import { neuronRegistry } from '../../neurons/registry.js';
import type { LayerConfig } from '../../nn/builder.js';
import { Sequential } from '../../nn/containers.js';
import { Conv1d, Conv2d } from '../../nn/conv.js';
import { DelayedLinear } from '../../nn/delay.js';
import { Flatten } from '../../nn/flatten.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../module/module.js';
import { AvgPool2d, SumPool2d } from '../../nn/pool.js';
import { tensor } from '../../tensor/create.js';
import { Rng } from '../../tensor/rng.js';
import { resolveDt } from './executor.js';
import { delaySteps } from './delay.js';
import { convGeometry, pair, planGraph, type Link, type Unit } from './graph.js';
import { nirNeuronFromNode } from './neuron.js';
import type { NirArray, NirGraph } from './types.js';
import { arrayField, ints } from './validate.js';
import { checkNirValues } from './values.js';

/*
 * NIR graph → spikeflow Sequential. The graph must be a chain from its Input
 * to its Output. Each neuron node becomes an existing spikeflow neuron where
 * that class computes exactly the Euler update of §3 (input gain 1, zero
 * leak and reset potentials), else a NirNeuron that carries the gains:
 *
 *   LIF, v_leak = v_reset = 0, r·dt/τ = 1         → LIF  { β = 1 − dt/τ, θ, reset zero, same step }
 *   IF,  v_reset = 0, r·dt = 1                    → IF   { θ, hard reset to 0 }
 *   CubaLIF, v_leak = v_reset = 0, w_in·dt/τ_syn = 1, r·dt/τ_mem = 1
 *                                                 → Synaptic { α = 1 − dt/τ_syn, β = 1 − dt/τ_mem, θ, reset zero, same step }
 *   any other LIF / LI / IF / I / CubaLIF / CubaLI → NirNeuron
 *
 * Delays: the branches Linear/Affine → Delay (or a bare Delay: identity
 * weights) that leave one node and all enter the next one are one
 * DelayedLinear in mode 'fixed' (how the exporter writes such a layer;
 * delay.ts). The chain is then read through that bundle.
 */

export interface NirImportOptions {
  /** Euler step; default the graph's metadata 'dt'. */
  dt?: number;
  /** Map to existing spikeflow neurons where exact (default true); false always uses NirNeuron. */
  preferNative?: boolean;
  /** Names the graph in messages (the file path); default 'NIR import'. */
  source?: string;
  /** Import weights and biases holding NaN / ±Infinity (default false: refused, naming the node and the field). */
  allowNonFinite?: boolean;
}

export interface NirImportResult {
  model: Sequential;
  /** Layer configs that rebuild the model with buildModel (neurons of type 'nir' need the factory registration of createNirNeuron). */
  layers: LayerConfig[];
  /** Per-sample input shape. */
  inputShape: number[];
  outputShape: number[];
  dt: number;
  /** One line per layer: NIR node → spikeflow layer. */
  mapping: string[];
}

/** One branch of a delay bundle: its weight node (null: a bare Delay, identity weights) and its Delay node. */
interface Branch {
  weight: Unit | null;
  delay: Unit;
}

/** A step of the chain: one node, or the Linear → Delay branches between two nodes (one DelayedLinear). */
type Step = { kind: 'unit'; unit: Unit } | { kind: 'delays'; from: Unit; branches: Branch[]; to: Unit };

/**
 * The branches leaving `from` when they form a delay bundle: every edge out
 * of `from` goes to a Delay, or to a Linear/Affine whose only edge goes to a
 * Delay; each of these nodes has that one input; every Delay's only edge
 * goes to one common node, whose inputs are exactly these Delays. null when
 * the edges out of `from` are anything else.
 */
function delayBundle(from: number, units: Unit[], links: Link[]): { branches: Branch[]; to: number } | null {
  const outs = (i: number): Link[] => links.filter((l) => l.from === i);
  const ins = (i: number): Link[] => links.filter((l) => l.to === i);
  const first = outs(from);
  if (first.length === 0) return null;
  const branches: { weight: number | null; delay: number }[] = [];
  for (const l of first) {
    let d = l.to;
    let w: number | null = null;
    const t = units[d]!.node.type;
    if (t === 'Linear' || t === 'Affine') {
      const next = outs(d);
      if (next.length !== 1 || ins(d).length !== 1) return null;
      w = d;
      d = next[0]!.to;
    }
    if (units[d]!.node.type !== 'Delay' || ins(d).length !== 1 || outs(d).length !== 1) return null;
    branches.push({ weight: w, delay: d });
  }
  const to = outs(branches[0]!.delay)[0]!.to;
  if (branches.some((b) => outs(b.delay)[0]!.to !== to) || ins(to).length !== branches.length) return null;
  return { branches: branches.map((b) => ({ weight: b.weight === null ? null : units[b.weight]!, delay: units[b.delay]! })), to };
}

function chain(graph: NirGraph): Step[] {
  const plan = planGraph(graph);
  const { units, links } = plan;
  if (plan.inputs.length !== 1 || plan.outputs.length !== 1) throw new ConfigError(`NIR import: the graph must have one Input and one Output (has ${plan.inputs.length} and ${plan.outputs.length}); run it with the executor instead`);
  const delayed = links.find((l) => l.delayed);
  if (delayed) throw new ConfigError(`NIR import: the graph has a recurrent edge '${units[delayed.from]!.name}' → '${units[delayed.to]!.name}'; only chains become a Sequential (the executor runs any graph)`);
  const out: Step[] = [];
  let cur = plan.inputs[0]!;
  const seen = new Set<number>();
  for (;;) {
    seen.add(cur);
    out.push({ kind: 'unit', unit: units[cur]! });
    if (cur === plan.outputs[0]) break;
    const bundle = delayBundle(cur, units, links);
    if (bundle) {
      for (const b of bundle.branches) {
        if (b.weight) seen.add(units.indexOf(b.weight));
        seen.add(units.indexOf(b.delay));
      }
      out.push({ kind: 'delays', from: units[cur]!, branches: bundle.branches, to: units[bundle.to]! });
      cur = bundle.to;
      continue;
    }
    const next = links.filter((l) => l.from === cur);
    if (next.length !== 1) throw new ConfigError(`NIR import: node '${units[cur]!.name}' has ${next.length} outgoing edges; only chains become a Sequential (and Linear → Delay branches that all enter one node)`);
    const to = next[0]!.to;
    if (links.filter((l) => l.to === to).length !== 1) throw new ConfigError(`NIR import: node '${units[to]!.name}' has several inputs; only chains become a Sequential (and Linear → Delay branches that all leave one node)`);
    cur = to;
  }
  if (seen.size !== units.length) {
    const rest = units.filter((_, i) => !seen.has(i)).map((u) => u.name);
    throw new ConfigError(`NIR import: nodes off the Input → Output chain: ${rest.join(', ')}`);
  }
  return out;
}

/**
 * A delay bundle as one DelayedLinear (mode 'fixed'): synapse (o, i) takes
 * the weight and delay of the one branch whose weight there is non-zero
 * (a bare Delay contributes the identity). Refused when two branches weigh
 * the same synapse (a DelayedLinear has one delay per synapse) or a bias
 * sits behind a non-zero delay (the layer's bias acts from step 0). Synapses
 * of weight 0 everywhere get delay 0: their delay cannot be seen.
 */
function bundleToLayer(step: Extract<Step, { kind: 'delays' }>, dt: number, rng: Rng): { m: DelayedLinear; cfg: LayerConfig; how: string } {
  const names = step.branches.map((b) => `'${(b.weight ?? b.delay).name}'`).join(', ');
  const where = `delay branches ${names} ('${step.from.name}' → '${step.to.name}')`;
  const inShape = step.branches[0]!.weight?.inShape ?? step.branches[0]!.delay.inShape;
  const outShape = step.branches[0]!.delay.outShape;
  if (inShape.length !== 1 || outShape.length !== 1) throw new ConfigError(`NIR import: ${where} map [${inShape.join(', ')}] → [${outShape.join(', ')}]; DelayedLinear takes flat features (add a Flatten)`);
  const I = inShape[0]!, O = outShape[0]!;
  const weight = new Float64Array(O * I), delays = new Int32Array(O * I);
  const owner = new Array<string | null>(O * I).fill(null);
  let bias: Float64Array | null = null;
  for (const b of step.branches) {
    const dWhere = `node '${b.delay.name}' (Delay)`;
    const steps = delaySteps(b.delay.node, dt, `NIR import: ${dWhere}`, true);
    const name = (b.weight ?? b.delay).name;
    const set = (o: number, i: number, w: number): void => {
      const s = o * I + i;
      if (owner[s] !== null) throw new ConfigError(`NIR import: ${where}: synapse (out ${o}, in ${i}) has weights in '${owner[s]}' and '${name}'; a DelayedLinear has one delay per synapse`);
      owner[s] = name;
      weight[s] = w;
      delays[s] = steps[o]!;
    };
    if (!b.weight) {
      if (I !== O) throw new ConfigError(`NIR import: ${dWhere} has ${O} elements, its input ${I}`);
      for (let o = 0; o < O; o++) set(o, o, 1);
      continue;
    }
    const lw = `node '${b.weight.name}' (${b.weight.node.type})`;
    const W = arrayField(b.weight.node, 'weight', lw).data;
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) if (W[o * I + i] !== 0) set(o, i, W[o * I + i]!);
    if (b.weight.node.type === 'Affine') {
      const bv = arrayField(b.weight.node, 'bias', lw).data;
      for (let o = 0; o < O; o++) {
        if (bv[o] === 0) continue;
        if (steps[o] !== 0) throw new ConfigError(`NIR import: ${lw}: bias ${bv[o]} at output ${o} passes a Delay of ${steps[o]} steps; a DelayedLinear adds its bias from step 0 (put the bias on a delay-0 branch)`);
        // Biases of several delay-0 branches add up, as NIR sums the branches.
        (bias ??= new Float64Array(O))[o]! += bv[o]!;
      }
      bias ??= new Float64Array(O);
    }
  }
  let maxDelay = 0;
  for (let s = 0; s < O * I; s++) if (delays[s]! > maxDelay) maxDelay = delays[s]!;
  const m = new DelayedLinear(I, O, rng, { maxDelay, mode: 'fixed', delays, bias: bias !== null });
  m.setTensor('weight', tensor(weight, [O, I]));
  if (bias) m.setTensor('bias', tensor(bias, [O]));
  const distinct = new Set<number>();
  for (let s = 0; s < O * I; s++) if (weight[s] !== 0) distinct.add(delays[s]!);
  return {
    m,
    cfg: { type: 'delay_linear', out: O, max_delay: maxDelay, mode: 'fixed', bias: bias !== null },
    how: `DelayedLinear(${I} → ${O}, fixed delays ${[...distinct].sort((a, b) => a - b).join('/')} steps, ${step.branches.length} branch${step.branches.length === 1 ? '' : 'es'})`,
  };
}

function setWeights(m: Module, name: string, a: NirArray): void {
  m.setTensor(name, tensor(a.data, a.shape));
}

function neuronLayer(u: Unit, dt: number, preferNative: boolean): { m: NeuronModule; cfg: LayerConfig; how: string } {
  const n = u.node;
  const where = `node '${u.name}' (${n.type})`;
  const feats = [...u.outShape];
  if (preferNative) {
    // The first model whose NIR mapping takes this node exactly (src/neurons/<model>/nir.ts).
    const ctx: NirImportContext = { dt, where, features: feats, field: (k) => arrayField(n, k, where).data };
    for (const e of neuronRegistry.list()) {
      const nir = e.nir;
      if (!nir?.fromNir || !nir.nodeTypes?.includes(n.type)) continue;
      const r = nir.fromNir(n.type, ctx);
      if (r) return { m: r.layer, cfg: r.config, how: r.how };
    }
  }
  const m = nirNeuronFromNode(n, dt, feats);
  const opts = m.toOptions();
  const cfg: LayerConfig = { type: 'nir' };
  for (const [k, v] of Object.entries(opts)) cfg[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  return { m, cfg, how: `NirNeuron (${n.type}, exact Euler with gains)` };
}

/** Turn a chain-shaped NIR graph into a spikeflow Sequential with the same spikes. */
export function nirToModule(graph: NirGraph, opts: NirImportOptions = {}): NirImportResult {
  try {
    return importGraph(graph, opts);
  } catch (e) {
    // The graph checks deep inside name the node and field but not the file; prefix it once, keeping the error's class.
    const source = opts.source;
    if (source !== undefined && e instanceof SpikeflowError && !e.message.startsWith(`${source}:`)) {
      const Cls = e.constructor as new (message: string) => SpikeflowError;
      throw new Cls(`${source}: ${e.message}`);
    }
    throw e;
  }
}

function importGraph(graph: NirGraph, opts: NirImportOptions): NirImportResult {
  // τ ≤ 0, non-finite thresholds and (unless allowed) non-finite weights are refused before anything is built.
  checkNirValues(graph, opts.source ?? 'NIR import', { allowNonFinite: opts.allowNonFinite ?? false });
  const dt = resolveDt(graph, opts.dt, 'NIR import');
  const preferNative = opts.preferNative ?? true;
  const steps = chain(graph);
  const rng = new Rng(0);
  const modules: Module[] = [];
  const layers: LayerConfig[] = [];
  const mapping: string[] = [];
  for (const step of steps) {
    if (step.kind === 'delays') {
      const r = bundleToLayer(step, dt, rng);
      modules.push(r.m);
      layers.push(r.cfg);
      mapping.push(`${step.branches.map((b) => [b.weight?.name, b.delay.name].filter(Boolean).join(' → ')).join(', ')} → ${r.how}`);
      continue;
    }
    const u = step.unit;
    const n = u.node;
    const where = `node '${u.name}' (${n.type})`;
    const add = (m: Module, cfg: LayerConfig, how: string): void => {
      modules.push(m);
      layers.push(Object.fromEntries(Object.entries(cfg).filter(([, v]) => v !== undefined)) as LayerConfig);
      mapping.push(`${u.name} (${n.type}) → ${how}`);
    };
    switch (n.type) {
      case 'Input':
      case 'Output':
        break;
      case 'Affine':
      case 'Linear': {
        const w = arrayField(n, 'weight', where);
        if (u.inShape.length !== 1) throw new ConfigError(`NIR import: ${where} receives shape [${u.inShape.join(', ')}]; spikeflow's Linear takes flat features (add a Flatten)`);
        const m = new Linear(w.shape[1]!, w.shape[0]!, rng, { bias: n.type === 'Affine' });
        setWeights(m, 'weight', w);
        if (n.type === 'Affine') setWeights(m, 'bias', arrayField(n, 'bias', where));
        add(m, { type: 'linear', out: w.shape[0]!, bias: n.type === 'Affine' }, `Linear(${w.shape[1]} → ${w.shape[0]})`);
        break;
      }
      case 'Conv1d':
      case 'Conv2d': {
        const g = convGeometry(n, where, u.inShape);
        const pad = n.fields['padding']!;
        const padding = pad.kind === 'string' ? (pad.value as 'same' | 'valid') : g.padBefore;
        const o = { stride: g.stride, padding, dilation: g.dilation, groups: g.groups, bias: true };
        const m = g.dims === 1 ? new Conv1d(g.cin, g.cout, g.kernel, rng, o) : new Conv2d(g.cin, g.cout, g.kernel, rng, o);
        setWeights(m, 'weight', arrayField(n, 'weight', where));
        setWeights(m, 'bias', arrayField(n, 'bias', where));
        add(m, { type: n.type.toLowerCase(), out_channels: g.cout, kernel_size: g.kernel, stride: g.stride, padding, dilation: g.dilation, groups: g.groups }, `${n.type}(${g.cin} → ${g.cout})`);
        break;
      }
      case 'SumPool2d':
      case 'AvgPool2d': {
        const k = pair(ints(n, 'kernel_size', where)), s = pair(ints(n, 'stride', where)), p = pair(ints(n, 'padding', where));
        const m = n.type === 'SumPool2d' ? new SumPool2d(k, { stride: s, padding: p }) : new AvgPool2d(k, { stride: s, padding: p, countIncludePad: true });
        add(m, { type: n.type.toLowerCase(), kernel_size: k, stride: s, padding: p }, n.type);
        break;
      }
      case 'Flatten': {
        const s = ints(n, 'start_dim', where)[0]!, e = ints(n, 'end_dim', where)[0]!;
        add(new Flatten({ startDim: s, endDim: e }), { type: 'flatten' }, `Flatten(${s}, ${e})`);
        if (u.outShape.length !== 1) throw new ConfigError(`NIR import: ${where} leaves shape [${u.outShape.join(', ')}]; only full flattening is supported by the config builder`);
        break;
      }
      case 'LIF':
      case 'LI':
      case 'IF':
      case 'I':
      case 'CubaLIF':
      case 'CubaLI': {
        const r = neuronLayer(u, dt, preferNative);
        add(r.m, r.cfg, r.how);
        break;
      }
      default:
        throw new ConfigError(`NIR import: ${where} has no spikeflow layer (Scale and Threshold run only in the executor; a Delay imports when its branch leaves one node and enters the next)`);
    }
  }
  const first = steps[0]!, last = steps[steps.length - 1]!;
  if (first.kind !== 'unit' || last.kind !== 'unit') throw new ConfigError('NIR import: the chain must start at its Input and end at its Output');
  return { model: new Sequential(modules), layers, inputShape: [...first.unit.outShape], outputShape: [...last.unit.inShape], dt, mapping };
}
