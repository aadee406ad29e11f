import { ConfigError, ShapeError } from '../errors.js';
import type { Module } from '../module/module.js';
import { isNeuron } from '../neurons/base.js';
import { fmtShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { forwardLayerByLayer } from './walk.js';

/** A variable the recorder can keep: a neuron layer's spikes or membrane, or any layer's output. */
export type RecordedVariable = 'spikes' | 'membrane' | 'output';

export interface RecordOptions {
  /**
   * Layers by path in the model ('2', '4', '2.body.0': the paths of
   * `model.namedModules()` and of model.safetensors) or by number for a
   * top-level layer. Default: every spiking neuron layer.
   */
  layers?: readonly (string | number)[];
  /** What to keep of each layer (default ['spikes']). 'spikes' and 'membrane' need a neuron layer. */
  what?: readonly RecordedVariable[];
}

/** What was recorded at one layer: time-major `[T, B, ...]` detached copies, T summed over the forwards seen. */
export interface LayerRecording {
  path: string;
  kind: string;
  spikes?: Tensor;
  membrane?: Tensor;
  output?: Tensor;
}

/**
 * Records chosen layers' spikes, membranes or outputs while the model runs,
 * without a loop over time in user code: `rec.forward(x)` runs the model on a
 * whole sequence (the same computation as `model.forward`, through the walk the
 * spike monitor uses) and keeps detached copies of what was asked, nothing
 * else, so memory is (asked variables) × T × B × features. Successive forwards
 * (streaming, truncated BPTT chunks) append along time until `clear()`. Neuron
 * state is not reset: call `model.resetState()` before a new sequence as usual.
 */
export class Recorder {
  private readonly wanted: Map<string, Module>;
  private readonly what: readonly RecordedVariable[];
  private readonly chunks = new Map<string, Map<RecordedVariable, Tensor[]>>();

  constructor(
    readonly model: Module,
    opts: RecordOptions = {},
  ) {
    this.what = opts.what ?? ['spikes'];
    if (this.what.length === 0) throw new ConfigError("record: 'what' is empty; ask for 'spikes', 'membrane' or 'output'");
    for (const w of this.what) {
      if (w !== 'spikes' && w !== 'membrane' && w !== 'output') throw new ConfigError(`record: unknown variable '${String(w)}' (known: spikes, membrane, output)`);
    }
    const modules = new Map(model.namedModules().filter(([p, m]) => p !== '' && m.children().length === 0));
    if (modules.size === 0) modules.set('0', model); // a bare layer: the walk calls it '0'
    const paths = opts.layers?.map(String) ?? [...modules].filter(([, m]) => isNeuron(m)).map(([p]) => p);
    if (paths.length === 0) throw new ConfigError('record: the model has no spiking layer; name the layers to record');
    this.wanted = new Map();
    for (const p of paths) {
      const m = modules.get(p);
      if (!m) throw new ConfigError(`record: no layer '${p}' in the model (layers: ${[...modules].map(([q, l]) => `${q} ${l.kind}`).join(', ')})`);
      const needsNeuron = this.what.filter((w) => w !== 'output');
      if (needsNeuron.length > 0 && !isNeuron(m)) throw new ConfigError(`record: layer '${p}' (${m.kind}) is not a spiking layer, so it has no ${needsNeuron.join(' or ')}; record its 'output'`);
      this.wanted.set(p, m);
    }
  }

  /** Run the model on `[T, B, ...]`, recording; returns what `model.forward(x)` returns. */
  forward(x: Tensor): Tensor {
    if (x.ndim < 2) throw new ShapeError(`record: input must be time-major [T, B, ...], got ${fmtShape(x.shape)}`);
    const membrane = this.what.includes('membrane');
    const restore: [Module & { recordMembrane: boolean }, boolean][] = [];
    if (membrane) {
      for (const m of this.wanted.values()) {
        if (isNeuron(m)) {
          restore.push([m, m.recordMembrane]);
          m.recordMembrane = true;
        }
      }
    }
    try {
      return forwardLayerByLayer(this.model, x, (path, _kind, m, _inputs, out) => {
        if (!m || this.wanted.get(path) !== m) return;
        for (const w of this.what) {
          let t: Tensor | null = out;
          if (w === 'membrane') t = isNeuron(m) ? m.lastMembrane : null;
          if (!t) throw new ShapeError(`record: layer '${path}' (${m.kind}) recorded no membrane`);
          this.keep(path, w, t);
        }
      });
    } finally {
      for (const [m, was] of restore) {
        m.recordMembrane = was;
        if (!was && isNeuron(m)) m.lastMembrane = null;
      }
    }
  }

  private keep(path: string, w: RecordedVariable, t: Tensor): void {
    let byVar = this.chunks.get(path);
    if (!byVar) this.chunks.set(path, (byVar = new Map()));
    const list = byVar.get(w) ?? [];
    const prev = list[0];
    if (prev && (prev.ndim !== t.ndim || prev.shape.some((d, i) => i > 0 && d !== t.shape[i]))) {
      throw new ShapeError(`record: layer '${path}' ${w} was ${fmtShape(prev.shape)}, now ${fmtShape(t.shape)}; clear() before a new batch size`);
    }
    list.push(t.clone()); // detached: no autograd history, and a storage of its own
    byVar.set(w, list);
  }

  /** The recording of one layer (undefined before its first forward). */
  get(layer: string | number): LayerRecording | undefined {
    const path = String(layer);
    const byVar = this.chunks.get(path);
    const m = this.wanted.get(path);
    if (!byVar || !m) return undefined;
    const r: LayerRecording = { path, kind: m.kind };
    for (const [w, list] of byVar) r[w] = concatTime(list);
    return r;
  }

  /** Every recorded layer, by path, in the order asked. */
  all(): Map<string, LayerRecording> {
    const out = new Map<string, LayerRecording>();
    for (const p of this.wanted.keys()) {
      const r = this.get(p);
      if (r) out.set(p, r);
    }
    return out;
  }

  /** Drop what was recorded (keeps the selection). */
  clear(): void {
    this.chunks.clear();
  }
}

/** Time-major chunks → one tensor: time is the outermost axis, so the flat values just follow each other. */
function concatTime(list: Tensor[]): Tensor {
  if (list.length === 1) return list[0]!;
  const first = list[0]!;
  const be = first.backend;
  const T = list.reduce((a, t) => a + t.shape[0]!, 0);
  const size = list.reduce((a, t) => a + t.size, 0);
  const s = be.alloc(size);
  let off = 0;
  for (const t of list) {
    be.copy(t.storage, 0, s, off, t.size);
    off += t.size;
  }
  return new Tensor(s, [T, ...first.shape.slice(1)], { backend: be, binary: list.every((t) => t.binary) });
}

/** What `record()` returns: the model's output and the recordings by layer path. */
export interface RecordResult {
  output: Tensor;
  layers: Map<string, LayerRecording>;
}

/**
 * One call: run `model` on the sequence `x` ([T, B, ...]) and return the
 * asked layers' spikes / membranes / outputs over time, e.g.
 * `record(model, x, { layers: ['2', '4'], what: ['spikes', 'membrane'] })`.
 * Resets the neuron state first (a new sequence). Wrap in `noGrad` for
 * inference; the copies are detached either way.
 */
export function record(model: Module, x: Tensor, opts: RecordOptions = {}): RecordResult {
  const rec = new Recorder(model, opts);
  model.resetState();
  const output = rec.forward(x);
  return { output, layers: rec.all() };
}
