import { ConfigError } from '../../errors.js';
import type { NeuronModule } from '../../neurons/base.js';
import type { NirImportContext } from '../../neurons/entry.js';
import { neuronRegistry } from '../../neurons/registry.js';
import type { LayerConfig } from '../../nn/builder.js';
import { Sequential } from '../../nn/containers.js';
import { Conv1d, Conv2d } from '../../nn/conv.js';
import { Flatten } from '../../nn/flatten.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../module/module.js';
import { AvgPool2d, SumPool2d } from '../../nn/pool.js';
import { tensor } from '../../tensor/create.js';
import { Rng } from '../../tensor/rng.js';
import { resolveDt } from './executor.js';
import { convGeometry, pair, planGraph, type Unit } from './graph.js';
import { nirNeuronFromNode } from './neuron.js';
import type { NirArray, NirGraph } from './types.js';
import { arrayField, ints } from './validate.js';

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
 */

export interface NirImportOptions {
  /** Euler step; default the graph's metadata 'dt'. */
  dt?: number;
  /** Map to existing spikeflow neurons where exact (default true); false always uses NirNeuron. */
  preferNative?: boolean;
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

function chain(graph: NirGraph): Unit[] {
  const plan = planGraph(graph);
  const { units, links } = plan;
  if (plan.inputs.length !== 1 || plan.outputs.length !== 1) throw new ConfigError(`NIR import: the graph must have one Input and one Output (has ${plan.inputs.length} and ${plan.outputs.length}); run it with the executor instead`);
  const delayed = links.find((l) => l.delayed);
  if (delayed) throw new ConfigError(`NIR import: the graph has a recurrent edge '${units[delayed.from]!.name}' → '${units[delayed.to]!.name}'; only chains become a Sequential (the executor runs any graph)`);
  const out: Unit[] = [];
  let cur = plan.inputs[0]!;
  const seen = new Set<number>();
  for (;;) {
    seen.add(cur);
    out.push(units[cur]!);
    if (cur === plan.outputs[0]) break;
    const next = links.filter((l) => l.from === cur);
    if (next.length !== 1) throw new ConfigError(`NIR import: node '${units[cur]!.name}' has ${next.length} outgoing edges; only chains become a Sequential`);
    const to = next[0]!.to;
    if (links.filter((l) => l.to === to).length !== 1) throw new ConfigError(`NIR import: node '${units[to]!.name}' has several inputs; only chains become a Sequential`);
    cur = to;
  }
  if (seen.size !== units.length) {
    const rest = units.filter((_, i) => !seen.has(i)).map((u) => u.name);
    throw new ConfigError(`NIR import: nodes off the Input → Output chain: ${rest.join(', ')}`);
  }
  return out;
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
  const dt = resolveDt(graph, opts.dt, 'NIR import');
  const preferNative = opts.preferNative ?? true;
  const units = chain(graph);
  const rng = new Rng(0);
  const modules: Module[] = [];
  const layers: LayerConfig[] = [];
  const mapping: string[] = [];
  for (const u of units) {
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
        throw new ConfigError(`NIR import: ${where} has no spikeflow layer (Scale, Delay and Threshold run only in the executor)`);
    }
  }
  return { model: new Sequential(modules), layers, inputShape: [...units[0]!.outShape], outputShape: [...units[units.length - 1]!.inShape], dt, mapping };
}
