import { ConfigError, ShapeError } from '../../errors.js';
import { delaySteps, fuseDelayBranches } from './delay.js';
import { convGeometry, pair, planGraph, type Plan, type Unit } from './graph.js';
import { sizeOfShape, type NirGraph, type NirPrimitive } from './types.js';
import { arrayField, ints } from './validate.js';
import { checkNirValues } from './values.js';

/*
 * Reference executor: runs a NIR graph step by step with forward Euler
 * (semantics.md §3) in float64. Every node reads the sum of its incoming
 * edges (recurrent edges: the previous step's value), all nodes of a step are
 * evaluated in the plan's order, and every node's output can be recorded.
 *
 *   LI/LIF:   v ← v + (dt/τ)(v_leak − v + r·x); z = v > θ (strict); v ← v_reset where z
 *   I/IF:     v ← v + dt·r·x; same threshold and reset
 *   CubaLI/F: i ← i + (dt/τ_syn)(w_in·x − i) first; then the LI(F) update driven by the new i
 *   Delay:    y[t] = x[t − round(delay/dt)] (zeros before)
 *
 * Linear/Affine → Delay branches converging on one node (how a DelayedLinear
 * layer is written) are summed into that node in the layer's own order, not
 * branch by branch, so its input equals the layer's output exactly (delay.ts).
 */

/** A time-major sequence [T, B, ...shape] of float64 values. */
export interface NirSequence {
  steps: number;
  batch: number;
  shape: number[];
  data: Float64Array;
}

export interface RunNirOptions {
  /** Euler step in seconds; default: the graph's metadata 'dt'. */
  dt?: number;
  /** Record every node's output (default: only the top-level Output nodes). */
  recordAll?: boolean;
  /** Names the graph in messages (the file path); default 'NIR graph'. */
  source?: string;
  /** Run weights holding NaN / ±Infinity (default false: refused, naming the node and the field; see values.ts). */
  allowNonFinite?: boolean;
}

export interface NirRunResult {
  dt: number;
  /** Top-level Output nodes by name. */
  outputs: Map<string, NirSequence>;
  /** Every unit by dotted name (only with recordAll). */
  nodes: Map<string, NirSequence>;
}

/** dt from the option or the graph's metadata; an error when neither gives a positive number. */
export function resolveDt(graph: NirGraph, dt: number | undefined, where = 'NIR graph'): number {
  if (dt !== undefined) {
    if (!(Number.isFinite(dt) && dt > 0)) throw new ConfigError(`${where}: dt must be a positive number, got ${dt}`);
    return dt;
  }
  const m = graph.metadata['dt'];
  if (m && m.kind === 'array' && m.data.length === 1 && m.data[0]! > 0) return m.data[0]!;
  throw new ConfigError(`${where}: no time step: pass dt (NIR fixes no dt; this graph's metadata has no 'dt')`);
}

type Kernel = (x: Float64Array, y: Float64Array) => void;

function f64(n: NirPrimitive, name: string, where: string): Float64Array {
  return arrayField(n, name, where).data;
}

function makeKernel(u: Unit, B: number, dt: number): Kernel {
  const n = u.node;
  const where = `node '${u.name}' (${n.type})`;
  const Fin = sizeOfShape(u.inShape), Fout = sizeOfShape(u.outShape);
  const copy: Kernel = (x, y) => y.set(x);
  switch (n.type) {
    case 'Input':
    case 'Output':
    case 'Flatten':
      return copy;
    case 'Affine':
    case 'Linear': {
      const W = f64(n, 'weight', where);
      const bias = n.type === 'Affine' ? f64(n, 'bias', where) : null;
      const O = arrayField(n, 'weight', where).shape[0]!, I = arrayField(n, 'weight', where).shape[1]!;
      const rows = (B * Fin) / I;
      return (x, y) => {
        for (let r = 0; r < rows; r++) {
          const xo = r * I, yo = r * O;
          for (let o = 0; o < O; o++) {
            let s = 0;
            const wo = o * I;
            for (let i = 0; i < I; i++) s += W[wo + i]! * x[xo + i]!;
            y[yo + o] = bias ? s + bias[o]! : s;
          }
        }
      };
    }
    case 'Scale': {
      const s = f64(n, 'scale', where);
      return (x, y) => {
        for (let j = 0; j < x.length; j++) y[j] = s[j % Fout]! * x[j]!;
      };
    }
    case 'Threshold': {
      const th = f64(n, 'threshold', where);
      return (x, y) => {
        for (let j = 0; j < x.length; j++) y[j] = x[j]! > th[j % Fout]! ? 1 : 0;
      };
    }
    case 'Delay': {
      const d = delaySteps(n, dt, where);
      const L = Math.max(...d) + 1;
      const ring = new Float64Array(L * B * Fout);
      let t = 0;
      return (x, y) => {
        const N = x.length, slot = t % L;
        ring.set(x, slot * N);
        for (let j = 0; j < N; j++) {
          const k = d[j % Fout]!;
          y[j] = t - k >= 0 ? ring[((t - k) % L) * N + j]! : 0;
        }
        t++;
      };
    }
    case 'LI':
    case 'LIF':
    case 'I':
    case 'IF': {
      const leaky = n.type === 'LI' || n.type === 'LIF';
      const spiking = n.type === 'LIF' || n.type === 'IF';
      const r = f64(n, 'r', where);
      const tau = leaky ? f64(n, 'tau', where) : null;
      const vl = leaky ? f64(n, 'v_leak', where) : null;
      const th = spiking ? f64(n, 'v_threshold', where) : null;
      const vr = spiking ? f64(n, 'v_reset', where) : null;
      const v = new Float64Array(B * Fout);
      return (x, y) => {
        for (let j = 0; j < v.length; j++) {
          const f = j % Fout;
          let m = v[j]!;
          if (tau) m = m + (dt / tau[f]!) * (vl![f]! - m + r[f]! * x[j]!);
          else m = m + dt * r[f]! * x[j]!;
          if (th) {
            const z = m > th[f]!;
            if (z) m = vr![f]!;
            y[j] = z ? 1 : 0;
          } else y[j] = m;
          v[j] = m;
        }
      };
    }
    case 'CubaLI':
    case 'CubaLIF': {
      const spiking = n.type === 'CubaLIF';
      const ts = f64(n, 'tau_syn', where), tm = f64(n, 'tau_mem', where), r = f64(n, 'r', where), vl = f64(n, 'v_leak', where), w = f64(n, 'w_in', where);
      const th = spiking ? f64(n, 'v_threshold', where) : null;
      const vr = spiking ? f64(n, 'v_reset', where) : null;
      const cur = new Float64Array(B * Fout), v = new Float64Array(B * Fout);
      return (x, y) => {
        for (let j = 0; j < v.length; j++) {
          const f = j % Fout;
          const i = cur[j]! + (dt / ts[f]!) * (w[f]! * x[j]! - cur[j]!);
          cur[j] = i;
          let m = v[j]! + (dt / tm[f]!) * (vl[f]! - v[j]! + r[f]! * i);
          if (th) {
            const z = m > th[f]!;
            if (z) m = vr![f]!;
            y[j] = z ? 1 : 0;
          } else y[j] = m;
          v[j] = m;
        }
      };
    }
    case 'Conv1d':
    case 'Conv2d':
      return convKernel(n, where, u, B);
    case 'SumPool2d':
    case 'AvgPool2d': {
      const [C, H, W] = u.inShape as [number, number, number];
      const [, Ho, Wo] = u.outShape as [number, number, number];
      const k = pair(ints(n, 'kernel_size', where)), s = pair(ints(n, 'stride', where)), p = pair(ints(n, 'padding', where));
      // AvgPool2d divides by the full window (PyTorch's count_include_pad default).
      const scale = n.type === 'AvgPool2d' ? 1 / (k[0]! * k[1]!) : 1;
      return (x, y) => {
        for (let b = 0; b < B; b++)
          for (let c = 0; c < C; c++) {
            const xo = (b * C + c) * H * W, yo = (b * C + c) * Ho * Wo;
            for (let oh = 0; oh < Ho; oh++)
              for (let ow = 0; ow < Wo; ow++) {
                let acc = 0;
                for (let kh = 0; kh < k[0]!; kh++) {
                  const ih = oh * s[0]! - p[0]! + kh;
                  if (ih < 0 || ih >= H) continue;
                  for (let kw = 0; kw < k[1]!; kw++) {
                    const iw = ow * s[1]! - p[1]! + kw;
                    if (iw >= 0 && iw < W) acc += x[xo + ih * W + iw]!;
                  }
                }
                y[yo + oh * Wo + ow] = acc * scale;
              }
          }
      };
    }
  }
}

function convKernel(n: NirPrimitive, where: string, u: Unit, B: number): Kernel {
  const g = convGeometry(n, where, u.inShape);
  const W = f64(n, 'weight', where), bias = f64(n, 'bias', where);
  // Conv1d runs as a 2-D convolution with a height of one.
  const sp = g.dims === 1 ? [1, g.inShape[1]!] : g.inShape.slice(1);
  const op = g.dims === 1 ? [1, g.outShape[1]!] : g.outShape.slice(1);
  const k = g.dims === 1 ? [1, g.kernel[0]!] : g.kernel;
  const st = g.dims === 1 ? [1, g.stride[0]!] : g.stride;
  const dl = g.dims === 1 ? [1, g.dilation[0]!] : g.dilation;
  const pb = g.dims === 1 ? [0, g.padBefore[0]!] : g.padBefore;
  const [H, Wd] = sp as [number, number], [Ho, Wo] = op as [number, number];
  const cinG = g.cin / g.groups, coutG = g.cout / g.groups;
  return (x, y) => {
    for (let b = 0; b < B; b++)
      for (let co = 0; co < g.cout; co++) {
        const grp = Math.floor(co / coutG);
        const yo = (b * g.cout + co) * Ho * Wo;
        for (let oh = 0; oh < Ho; oh++)
          for (let ow = 0; ow < Wo; ow++) {
            let acc = bias[co]!;
            for (let ci = 0; ci < cinG; ci++) {
              const xo = (b * g.cin + grp * cinG + ci) * H * Wd;
              const wo = (co * cinG + ci) * k[0]! * k[1]!;
              for (let kh = 0; kh < k[0]!; kh++) {
                const ih = oh * st[0]! - pb[0]! + kh * dl[0]!;
                if (ih < 0 || ih >= H) continue;
                for (let kw = 0; kw < k[1]!; kw++) {
                  const iw = ow * st[1]! - pb[1]! + kw * dl[1]!;
                  if (iw >= 0 && iw < Wd) acc += W[wo + kh * k[1]! + kw]! * x[xo + ih * Wd + iw]!;
                }
              }
            }
            y[yo + oh * Wo + ow] = acc;
          }
      }
  };
}

/**
 * Run a graph over T steps. `input` feeds the graph's single Input node, or
 * maps Input node names to sequences when there are several. Input layout
 * [T, B, ...shape of the Input node].
 */
export function runNir(graph: NirGraph, input: NirSequence | Record<string, NirSequence>, opts: RunNirOptions = {}): NirRunResult {
  checkNirValues(graph, opts.source ?? 'NIR graph', { allowNonFinite: opts.allowNonFinite ?? false });
  const dt = resolveDt(graph, opts.dt);
  const plan: Plan = planGraph(graph);
  const { units } = plan;
  const feeds = new Map<number, NirSequence>();
  if ('data' in input && input.data instanceof Float64Array) {
    if (plan.inputs.length !== 1) throw new ShapeError(`graph has ${plan.inputs.length} Input nodes (${plan.inputs.map((i) => units[i]!.name).join(', ')}); give one sequence per name`);
    feeds.set(plan.inputs[0]!, input as NirSequence);
  } else {
    const named = input as Record<string, NirSequence>;
    for (const i of plan.inputs) {
      const s = named[units[i]!.name];
      if (!s) throw new ShapeError(`no input sequence for Input node '${units[i]!.name}'`);
      feeds.set(i, s);
    }
  }
  let T = -1, B = -1;
  for (const [i, s] of feeds) {
    const u = units[i]!;
    if (sizeOfShape(s.shape) !== sizeOfShape(u.outShape)) throw new ShapeError(`input for '${u.name}' has per-sample shape [${s.shape.join(', ')}], the Input node declares [${u.outShape.join(', ')}]`);
    if (s.data.length !== s.steps * s.batch * sizeOfShape(s.shape)) throw new ShapeError(`input for '${u.name}': ${s.data.length} values do not fill [${s.steps}, ${s.batch}, ${s.shape.join(', ')}]`);
    if (T >= 0 && (s.steps !== T || s.batch !== B)) throw new ShapeError('input sequences differ in steps or batch size');
    T = s.steps;
    B = s.batch;
  }
  const kernels = units.map((u) => makeKernel(u, B, dt));
  const cur = units.map((u) => new Float64Array(B * sizeOfShape(u.outShape)));
  const prev = units.map((u) => new Float64Array(B * sizeOfShape(u.outShape)));
  const inBuf = units.map((u) => new Float64Array(B * sizeOfShape(u.inShape)));
  const incoming = units.map((_, i) => plan.links.filter((l) => l.to === i));
  const fused = fuseDelayBranches(plan, dt, B);
  const history = new Map<number, (t: number, x: Float64Array) => void>();
  for (const f of fused.values()) for (const [k, h] of f.history) history.set(k, h);
  const recorded = opts.recordAll ? units.map((_, i) => i) : plan.outputs;
  const traces = new Map<number, Float64Array>();
  for (const i of recorded) traces.set(i, new Float64Array(T * B * sizeOfShape(units[i]!.outShape)));

  for (let t = 0; t < T; t++) {
    for (let k = 0; k < units.length; k++) prev[k]!.set(cur[k]!);
    for (const i of plan.order) {
      const x = inBuf[i]!;
      const feed = feeds.get(i);
      if (feed) x.set(feed.data.subarray(t * x.length, (t + 1) * x.length));
      else {
        x.fill(0);
        const f = fused.get(i);
        f?.accumulate(t, x);
        for (const l of incoming[i]!) {
          if (f?.links.has(l)) continue;
          const src = l.delayed ? prev[l.from]! : cur[l.from]!;
          for (let j = 0; j < x.length; j++) x[j]! += src[j]!;
        }
      }
      kernels[i]!(x, cur[i]!);
      history.get(i)?.(t, x);
      const tr = traces.get(i);
      if (tr) tr.set(cur[i]!, t * cur[i]!.length);
    }
  }
  const seq = (i: number): NirSequence => ({ steps: T, batch: B, shape: [...units[i]!.outShape], data: traces.get(i)! });
  const outputs = new Map<string, NirSequence>();
  for (const i of plan.outputs) outputs.set(units[i]!.name, seq(i));
  const nodes = new Map<string, NirSequence>();
  if (opts.recordAll) units.forEach((u, i) => nodes.set(u.name, seq(i)));
  return { dt, outputs, nodes };
}
