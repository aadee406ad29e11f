import { ConfigError, ShapeError } from '../../errors.js';
import type { Link, Plan } from './graph.js';
import { nirArray, sizeOfShape, type NirPrimitive } from './types.js';
import { arrayField } from './validate.js';

/*
 * Synaptic delays in NIR (docs/nir.md §"Synaptic delays").
 *
 * A DelayedLinear layer gives every synapse (o, i) a weight and an integer
 * delay d(o, i) in steps. NIR has no such layer, but it has a Delay node
 * (y(t) = x(t − τ), τ per element, in seconds) and sums the inputs of a node,
 * so the layer is written as one branch per distinct delay d:
 *
 *     source → Linear/Affine [out, in] (the weights whose delay is d, zeros elsewhere)
 *            → Delay (delay = d·dt seconds for every output)  → next node
 *
 * Branches are listed in the order of the layer's own integer path, delay
 * descending, and the bias rides on the delay-0 branch (an Affine; added with
 * zero weights when no synapse has delay 0) — a bias behind a Delay of d > 0
 * would be missing from the first d steps, while the layer adds it on every one.
 *
 * The executor sums such branches as the layer does (see `fuseDelayBranches`),
 * and the importer folds them back into one DelayedLinear (`bundleToLayer`).
 */

/** One branch of a delay layer: the weights of the synapses with this delay. */
export interface DelayBranch {
  /** Delay in steps. */
  steps: number;
  /** [out, in] row-major, zero where a synapse has another delay. */
  weight: Float64Array;
  /** Only on the delay-0 branch of a layer with a bias. */
  bias: Float64Array | null;
}

/**
 * Split a layer's weights [out, in] by their integer delays into branches,
 * delay descending. Synapses of weight 0 contribute nothing and make no
 * branch; the delay-0 branch exists whenever there is a bias (it carries it)
 * or no other branch (so the next node still has an input).
 */
export function splitByDelay(weight: ArrayLike<number>, delays: ArrayLike<number>, outFeatures: number, inFeatures: number, bias: ArrayLike<number> | null): DelayBranch[] {
  const n = outFeatures * inFeatures;
  if (weight.length !== n || delays.length !== n) throw new ShapeError(`splitByDelay: ${weight.length} weights and ${delays.length} delays for ${outFeatures}×${inFeatures} synapses`);
  const byDelay = new Map<number, Float64Array>();
  for (let s = 0; s < n; s++) {
    const w = weight[s]!;
    if (w === 0) continue;
    const d = delays[s]!;
    if (!(Number.isInteger(d) && d >= 0)) throw new ConfigError(`splitByDelay: synapse ${s} has delay ${d}, not a non-negative integer of steps`);
    let row = byDelay.get(d);
    if (!row) byDelay.set(d, (row = new Float64Array(n)));
    row[s] = w;
  }
  if ((bias || byDelay.size === 0) && !byDelay.has(0)) byDelay.set(0, new Float64Array(n));
  return [...byDelay.entries()]
    .sort(([a], [b]) => b - a)
    .map(([steps, w]) => ({ steps, weight: w, bias: steps === 0 && bias ? Float64Array.from(bias) : null }));
}

/** The NIR nodes of one branch: the weight node and its Delay node (delay in seconds, float32 as the other parameters). */
export function branchNodes(b: DelayBranch, outFeatures: number, inFeatures: number, dt: number): { weight: NirPrimitive; delay: NirPrimitive } {
  const w = nirArray(b.weight, [outFeatures, inFeatures]);
  const weight: NirPrimitive = b.bias ? { type: 'Affine', fields: { weight: w, bias: nirArray(b.bias, [outFeatures]) }, metadata: {} } : { type: 'Linear', fields: { weight: w }, metadata: {} };
  const delay: NirPrimitive = { type: 'Delay', fields: { delay: nirArray(new Float64Array(outFeatures).fill(b.steps * dt), [outFeatures]) }, metadata: {} };
  return { weight, delay };
}

/**
 * Steps of every element of a Delay node: round(delay / dt). With `exact`
 * (the importer) a delay that is not a whole number of steps is refused; the
 * tolerance admits a float32-stored d·dt (relative error 6e-8).
 */
export function delaySteps(node: NirPrimitive, dt: number, where: string, exact = false): Int32Array {
  const v = arrayField(node, 'delay', where).data;
  const out = new Int32Array(v.length);
  for (let j = 0; j < v.length; j++) {
    const x = v[j]! / dt;
    const r = Math.round(x);
    if (!(r >= 0) || !Number.isFinite(x)) throw new ShapeError(`${where}: field 'delay' holds ${v[j]} at index ${j}, not a delay >= 0`);
    if (r > 0x3fffffff) throw new ShapeError(`${where}: field 'delay' holds ${v[j]} s at index ${j}, ${r} steps of dt = ${dt}: too long to buffer`);
    if (exact && Math.abs(x - r) > Math.max(1e-4, 1e-6 * r)) throw new ConfigError(`${where}: field 'delay' holds ${v[j]} s at index ${j}, ${x} steps of dt = ${dt}, not a whole number of steps`);
    out[j] = r;
  }
  return out;
}

/** One Linear/Affine → Delay branch into a node, as the executor accumulates it. */
interface FusedBranch {
  link: Link;
  /** The weight node's unit index (its input history is kept). */
  lin: number;
  W: Float64Array;
  bias: Float64Array | null;
  steps: Int32Array;
  /** History length: max steps + 1. */
  R: number;
  ring: Float64Array;
}

/** The fused inputs of one node. */
export interface FusedInput {
  /** Links summed here; the executor adds the node's other links after them. */
  links: Set<Link>;
  /** Weight-node unit index → its branch (the executor records that node's input every step). */
  history: Map<number, (t: number, x: Float64Array) => void>;
  /** Write the node's fused input sum at step t into x ([B, O]). */
  accumulate(t: number, x: Float64Array): void;
}

/**
 * Find, for every node, its incoming Linear/Affine → Delay branches (flat
 * [in] → [out], the weight node feeding only its Delay and the Delay only
 * this node) and sum them the way DelayedLinear's integer path does
 * (src/ops/delay.ts, Backend.delaySparseForward): for each output, one
 * float64 accumulator over the branches in delay-descending order (= tap k
 * ascending), inputs i ascending, skipping zero inputs and zero weights,
 * then the biases. Summing the branches' separately rounded outputs instead
 * would round at different points and could differ in the last bit from the
 * layer (and so flip a spike at a threshold); this way the executor's input
 * to the next node is the layer's output bit for bit (float64 backend).
 */
export function fuseDelayBranches(plan: Plan, dt: number, B: number): Map<number, FusedInput> {
  const { units, links } = plan;
  const ins = units.map((_, i) => links.filter((l) => l.to === i));
  const outs = units.map((_, i) => links.filter((l) => l.from === i));
  const byNode = new Map<number, FusedBranch[]>();
  for (const l of links) {
    if (l.delayed) continue;
    const D = units[l.from]!;
    if (D.node.type !== 'Delay' || outs[l.from]!.length !== 1 || ins[l.from]!.length !== 1) continue;
    const inLink = ins[l.from]![0]!;
    const L = units[inLink.from]!;
    if (inLink.delayed || (L.node.type !== 'Linear' && L.node.type !== 'Affine') || outs[inLink.from]!.length !== 1) continue;
    if (L.inShape.length !== 1 || L.outShape.length !== 1 || D.outShape.length !== 1 || D.outShape[0] !== L.outShape[0]) continue;
    const where = `node '${D.name}' (Delay)`;
    const steps = delaySteps(D.node, dt, where);
    const R = Math.max(...steps) + 1;
    const I = L.inShape[0]!;
    const br: FusedBranch = {
      link: l,
      lin: inLink.from,
      W: arrayField(L.node, 'weight', `node '${L.name}'`).data,
      bias: L.node.type === 'Affine' ? arrayField(L.node, 'bias', `node '${L.name}'`).data : null,
      steps,
      R,
      ring: new Float64Array(R * B * I),
    };
    let list = byNode.get(l.to);
    if (!list) byNode.set(l.to, (list = []));
    list.push(br);
  }
  const out = new Map<number, FusedInput>();
  for (const [node, branches] of byNode) {
    const O = sizeOfShape(units[node]!.inShape);
    if (branches.some((b) => b.steps.length !== O)) continue; // shapes the planner would have refused
    // Per output: branch indices by delay descending (stable: edge order breaks ties).
    const order = Array.from({ length: O }, (_, o) => branches.map((_, j) => j).sort((a, b) => branches[b]!.steps[o]! - branches[a]!.steps[o]!));
    const history = new Map<number, (t: number, x: Float64Array) => void>();
    for (const br of branches) history.set(br.lin, (t, x) => br.ring.set(x, (t % br.R) * x.length));
    out.set(node, {
      links: new Set(branches.map((b) => b.link)),
      history,
      accumulate(t, x) {
        for (let b = 0; b < B; b++) {
          for (let o = 0; o < O; o++) {
            let acc = 0;
            for (const j of order[o]!) {
              const br = branches[j]!;
              const d = br.steps[o]!;
              if (t < d) continue;
              const I = br.W.length / O;
              const xo = ((t - d) % br.R) * B * I + b * I, wo = o * I;
              for (let i = 0; i < I; i++) {
                const xv = br.ring[xo + i]!;
                if (xv === 0) continue;
                const w = br.W[wo + i]!;
                if (w !== 0) acc += w * xv;
              }
            }
            for (const br of branches) if (br.bias && t >= br.steps[o]!) acc += br.bias[o]!;
            x[b * O + o] = acc;
          }
        }
      },
    });
  }
  return out;
}
