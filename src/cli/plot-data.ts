import { noGrad } from '../autograd/tape.js';
import { record } from '../analysis/recorder.js';
import type { ProfileResult } from '../analysis/profile.js';
import type { Session } from '../config/session.js';
import type { Module } from '../module/module.js';
import { tensor } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { predictByCounts, runInStepScope, stepBackends, type ModelOutput, type PredictFn } from '../train/trainer.js';
import type { MeasuredLayer, RecordedLayer, RecordedTrace, Recording, RunPlotData } from '../viz/run.js';
import type { LayerEnergyRow } from '../viz/energy.js';
import type { LayerDelays } from '../viz/delays.js';
import { DelayedLinear } from '../nn/delay.js';
import type { EpochPoint } from '../viz/curves.js';
import { testEncoder } from './test-encoding.js';

/** Test samples whose spikes and membranes a run records for its raster and trace plots. */
export const RECORD_SAMPLES = 8;
/** Rows of a layer kept for the raster: all of a small layer, evenly spaced ones of a larger layer. */
export const RASTER_NEURONS = 256;
/** Membrane traces kept per layer and sample: the neurons that spiked most. */
export const TRACE_NEURONS = 5;

/**
 * Counts confusion[true][predicted], deciding each sample as the run's
 * accuracy does (the loss's decision: spike counts, or the membrane readout).
 */
export class ConfusionCounter {
  readonly matrix: number[][];
  constructor(
    readonly classes: number,
    private readonly predict: PredictFn = predictByCounts,
  ) {
    this.matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  }

  add(out: ModelOutput, targets: Int32Array): void {
    const pred = this.predict(out);
    for (let b = 0; b < targets.length; b++) {
      const row = this.matrix[targets[b]!];
      const p = pred[b]!;
      if (row && p < this.classes) row[p]!++;
    }
  }
}

/** Class with most spikes over time per sample of `[T, B, C]` spikes. */
export function predictions(spikes: Tensor): number[] {
  const [T, B, C] = spikes.shape as [number, number, number];
  const d = spikes.data;
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    let best = 0, bestCount = -1;
    for (let c = 0; c < C; c++) {
      let n = 0;
      for (let t = 0; t < T; t++) n += d[(t * B + b) * C + c]!;
      if (n > bestCount) {
        best = c;
        bestCount = n;
      }
    }
    out.push(best);
  }
  return out;
}

/** A neuron layer's firing threshold per neuron (a learned tensor, a per-neuron list or one number). */
function thresholds(m: Module | undefined, n: number): (i: number) => number {
  const p = m?.getParameter('threshold');
  if (p) {
    const v = p.toArray();
    return (i) => (v.length === 1 ? v[0]! : (v[i] ?? NaN));
  }
  const d = m?.describe().threshold;
  if (typeof d === 'number') return () => d;
  if (Array.isArray(d) && d.length === n) return (i) => Number(d[i]);
  return () => NaN;
}

/** Evenly spaced indices 0..n-1, at most `max` of them. */
export function evenlySpaced(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, k) => Math.floor((k * n) / max));
}

/**
 * Record spikes and membranes of every spiking layer on the first
 * RECORD_SAMPLES test samples (eval mode, no tape, the test encoder), keeping
 * the rows the raster needs and the traces of the busiest neurons.
 */
export function recordSamples(session: Session): Recording | null {
  const { model, data, backend } = session;
  const S = Math.min(RECORD_SAMPLES, data.test.length);
  if (S === 0) return null;
  const f = data.test.features;
  const labels = Array.from(data.test.labels.subarray(0, S));
  const x = tensor(data.test.images.slice(0, S * f), [S, ...data.test.shape], { backend });
  const modules = new Map(model.namedModules());
  const wasTraining = model.training;
  model.eval();
  try {
    return runInStepScope(stepBackends(model), () => model.allPersistentTensors(), () =>
      noGrad(() => {
        const r = record(model, testEncoder(session)(x), { what: ['spikes', 'membrane'] });
        model.resetState();
        const layers: RecordedLayer[] = [];
        let steps = 0;
        for (const [path, rec] of r.layers) {
          const spk = rec.spikes!, mem = rec.membrane!;
          const T = spk.shape[0]!;
          steps = Math.max(steps, T);
          const N = spk.size / (T * S);
          const sd = spk.data, md = mem.data;
          const ids = evenlySpaced(N, RASTER_NEURONS);
          const thr = thresholds(modules.get(path), N);
          const spikes: number[][] = [];
          const traces: RecordedTrace[] = [];
          for (let s = 0; s < S; s++) {
            const flat: number[] = [];
            for (let t = 0; t < T; t++) ids.forEach((n, row) => {
              if (sd[(t * S + s) * N + n]) flat.push(t * ids.length + row);
            });
            spikes.push(flat);
            // The busiest neurons of this sample (ties: the higher peak membrane).
            const count = new Float64Array(N), peak = new Float64Array(N).fill(-Infinity);
            for (let t = 0; t < T; t++) {
              const base = (t * S + s) * N;
              for (let n = 0; n < N; n++) {
                count[n]! += sd[base + n]!;
                peak[n] = Math.max(peak[n]!, md[base + n]!);
              }
            }
            const order = Array.from({ length: N }, (_, n) => n).sort((a, b) => count[b]! - count[a]! || peak[b]! - peak[a]! || a - b);
            for (const n of order.slice(0, TRACE_NEURONS).sort((a, b) => a - b)) {
              const membrane: number[] = [], spikeSteps: number[] = [];
              for (let t = 0; t < T; t++) {
                membrane.push(Math.round(md[(t * S + s) * N + n]! * 1e4) / 1e4);
                if (sd[(t * S + s) * N + n]) spikeSteps.push(t);
              }
              traces.push({ sample: s, neuron: n, threshold: thr(n), membrane, spikeSteps });
            }
          }
          layers.push({ path, kind: rec.kind, neurons: N, neuronIds: ids, spikes, traces });
        }
        // The last neuron layer's membrane, for a loss that decides by it (as the run's accuracy does).
        const last = [...r.layers.values()].pop();
        const predicted = Array.from(session.predict({ spikes: r.output, membrane: last?.membrane ?? null }));
        return { steps, labels, predictions: predicted, layers };
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

/** The spiking layers of a measurement, as the rate / heat-map / health plots read them. */
export function measuredLayers(m: ProfileResult): MeasuredLayer[] {
  return m.summary.layers
    .filter((l) => l.neuron !== null)
    .map((l) => ({
      path: l.path,
      kind: l.kind,
      shape: l.outputShape.slice(2),
      rates: (l.neuron!.rates ?? []).map(round4),
      steps: l.steps,
      dead: l.neuron!.dead,
      saturated: l.neuron!.saturated,
      samples: l.samples,
    }));
}

/** Per-layer energy of the first precision estimated (fp32 by default), SNN beside ANN. */
export function energyRows(m: ProfileResult): { precision: string; layers: LayerEnergyRow[] } | null {
  const r = m.energy.results.find((e) => e.precision === 'fp32') ?? m.energy.results[0];
  if (!r) return null;
  const layers = r.snn.layers.map((l, i) => {
    const a = r.ann.layers[i];
    return { name: l.name, snn: { computePJ: l.computePJ, memoryPJ: l.memoryPJ }, ann: { computePJ: a?.computePJ ?? 0, memoryPJ: a?.memoryPJ ?? 0 } };
  });
  // Layers that cost nothing in either network (flatten, repeat) would only be empty slots.
  return { precision: r.precision, layers: layers.filter((l) => l.snn.computePJ + l.snn.memoryPJ + l.ann.computePJ + l.ann.memoryPJ > 0) };
}

export interface PlotDataInput {
  session: Session;
  history: readonly EpochPoint[];
  measured: ProfileResult;
  confusion: number[][] | null;
}

/** Everything `plots/` is drawn from (see RunPlotData). */
export function collectPlotData(i: PlotDataInput): RunPlotData {
  return {
    format: 'spikeflow-plot-data',
    version: 1,
    name: i.session.config.name,
    history: i.history.map((h) => ({ epoch: h.epoch, train_loss: h.train_loss, test_loss: h.test_loss, train_accuracy: h.train_accuracy, test_accuracy: h.test_accuracy })),
    confusion: i.confusion,
    layers: measuredLayers(i.measured),
    energy: energyRows(i.measured),
    recording: recordSamples(i.session),
    delays: layerDelays(i.session.model),
  };
}

/** The integer delays (rounded positions, as evaluation runs them) of every delay layer of the model. */
function layerDelays(model: Module): LayerDelays[] {
  const out: LayerDelays[] = [];
  for (const [path, m] of model.namedModules()) {
    if (m instanceof DelayedLinear) out.push({ layer: `layer ${path} (${m.mode === 'learned' ? 'learned' : 'fixed'}, ${m.inFeatures}→${m.outFeatures})`, delays: Array.from(m.delays()), maxDelay: m.K - 1 });
  }
  return out;
}
