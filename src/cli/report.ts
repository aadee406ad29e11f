import type { ProfileResult } from '../analysis/profile.js';
import { formatAssumptions, formatCount, formatEnergy, formatEnergyLayerTable, formatEnergyTable, formatLayerTable, formatQuantizedComparison } from '../analysis/report.js';
import type { RunConfig } from '../config/schema.js';
import { formatBytes, type ModelSize } from '../quant/size.js';

/** summary.json's `model_size`: every tensor of model.safetensors at its stored width. */
export interface ModelSizeSummary {
  bytes: number;
  fp32_bytes: number;
  /** fp32_bytes / bytes. */
  compression: number;
  values: number;
  quantized_values: number;
}

/** summary.json's `quantization` (null for a float model). */
export interface QuantizationSummary {
  bits: number;
  method: string;
  per_channel: boolean;
  /** The quantized layers: path and bit width (first_last_bits may differ from bits). */
  layers: { path: string; bits: number }[];
  /** The integer weights file in the run folder. */
  int_weights: string;
}

export function modelSizeSummary(s: ModelSize): ModelSizeSummary {
  return { bytes: s.bytes, fp32_bytes: s.fp32Bytes, compression: s.compression, values: s.values, quantized_values: s.quantizedValues };
}

/** One line of metrics.jsonl. */
export interface EpochRecord {
  epoch: number;
  train_loss: number;
  train_accuracy: number;
  test_loss: number;
  test_accuracy: number;
  /** The learning rate the epoch trained with (its first batch's, for a per-iteration schedule). */
  lr: number;
  /** Only for a schedule that steps per batch: the rate of the epoch's last batch. */
  lr_last?: number;
  seconds: number;
  samples_per_s: number;
  /** Distilled runs: the loss's parts over the epoch's training samples (docs/distillation.md). */
  distill?: EpochDistill;
  /** Runs with train.timestep_schedule: the stage (1-based) and its T; `epoch` counts over the whole run. */
  stage?: number;
  steps?: number;
  /** Runs with train.bn_recalibration: the re-estimation of the batch-norm statistics before this epoch's test pass. */
  bn_recalibration?: { layers: number; batches: number; samples: number; seconds: number };
}

/** summary.json's `stages` (train.timestep_schedule): each stage's T, epochs and test score at its end. */
export interface StageSummary {
  stage: number;
  steps: number;
  epochs: number;
  test_accuracy: number | null;
  test_loss: number | null;
  train_time_s: number;
}

/** One epoch's distillation terms, means per training sample, each before its weight. */
export interface EpochDistill {
  task_loss: number;
  /** KL(p_t ‖ p_s) at the temperature (null when alpha is 0: not computed). */
  kd_loss: number | null;
  feature_losses: number[];
  /** Seconds of the epoch spent in the teacher's forward passes (inside `seconds`). */
  teacher_s: number;
}

/** summary.json's `distill`: what the run distilled from and with. */
export interface DistillSummary {
  teacher: string;
  teacher_sha256: string;
  /** The teacher on this run's test split, encoded as this run's test set is. */
  teacher_test_accuracy: number;
  teacher_test_loss: number;
  teacher_eval_s: number;
  temperature: number;
  alpha: number;
  /** The pairs aligned (`features: blocks` resolved). */
  features: { student: string; teacher: string; weight: number }[];
  /** Seconds in the teacher's forward passes during the epochs this process trained (inside train_time_s). */
  teacher_forward_s: number;
}

export interface LayerSummary {
  name: string;
  kind: string;
  output_shape: number[];
  spike_rate: number | null;
  input_density: number;
  macs: number;
  sops: number;
}

/** What a run ran on: the versions and machine behind its timings and figures. */
export interface RunEnvironment {
  spikeflow_version: string;
  node_version: string;
  /** The backend that ran it (the resolved one when the config said `auto`). */
  backend: string;
  /** `process.platform`-`process.arch`, e.g. `linux-x64`. */
  platform: string;
}

/** summary.json: the figures a reader compares runs by. */
export interface RunSummary extends RunEnvironment {
  name: string;
  dataset: { name: string; train: number; test: number };
  /** The checkpoint this run continued from (`--resume`), or null; `epochs` and metrics.jsonl count the whole run. */
  resumed_from: string | null;
  seed: number;
  timesteps: number;
  encoder: string;
  epochs: number;
  accuracy: number;
  loss: number;
  train_accuracy: number | null;
  train_loss: number | null;
  wall_time_s: number;
  train_time_s: number;
  samples_per_s: number;
  parameters: number;
  /** Size of the weights at their stored width (quantized weights at b bits, everything else at 32). */
  model_size: ModelSizeSummary;
  quantization: QuantizationSummary | null;
  mean_spike_rate: number;
  spikes_per_sample: number;
  layers: LayerSummary[];
  sops_per_sample: number;
  macs_per_sample: number;
  /** Per row of the energy model (fp32, fp16, int8, int4 and, for a quantized model, quantized): pJ per sample. */
  energy: Record<string, EnergySummary>;
  measured_on_samples: number;
  /** Peak resident memory of the process that wrote the summary (a resumed run: of its last process), in bytes. */
  peak_rss_bytes: number | null;
  /** Present when the run distilled from a teacher (train.distill). */
  distill?: DistillSummary;
  /** How gradients crossed time (train.method: bptt, tbptt, sltt, sltt_k, ottt). */
  train_method: string;
  /** Present for a timestep schedule (train.timestep_schedule): each stage's score at its end. */
  stages?: StageSummary[];
}

/**
 * One row of summary.json's `energy`: the SNN, the equivalent ANN at the same
 * widths (an integer row's bit-width-matched quantized ANN) and the fp32 ANN,
 * compute-only and memory-inclusive (src/analysis/energy.ts).
 */
export interface EnergySummary {
  /** Weights / real-valued activations / neuron state widths. */
  weights: string;
  activation_bits: number;
  state_bits: number;
  snn_compute_pj: number;
  snn_total_pj: number;
  /** The SNN's memory energy split: weight reads, activation reads and writes, neuron state traffic. */
  snn_weight_pj: number;
  snn_activation_pj: number;
  snn_state_pj: number;
  ann_compute_pj: number;
  ann_total_pj: number;
  ann_fp32_compute_pj: number;
  ann_fp32_total_pj: number;
  /** snn_total_pj < min(ann_total_pj, ann_fp32_total_pj). */
  snn_wins: boolean;
}

export interface SummaryInput {
  config: RunConfig;
  environment: RunEnvironment;
  resumedFrom: string | null;
  history: EpochRecord[];
  final: { test_accuracy: number; test_loss: number };
  wallSeconds: number;
  trainSeconds: number;
  trainSamples: number;
  parameters: number;
  modelSize: ModelSize;
  quantization: QuantizationSummary | null;
  measured: ProfileResult;
  dataset: { name: string; train: number; test: number };
  distill?: DistillSummary | null;
  peakRssBytes?: number | null;
}

/** summary.json's `energy` (also `eval --json`'s): one row per precision of the energy model, pJ per sample. */
export function energySummary(energy: ProfileResult['energy']): RunSummary['energy'] {
  const e: RunSummary['energy'] = {};
  for (const r of energy.results) {
    e[r.precision] = {
      weights: r.widths.weights,
      activation_bits: r.widths.activationBits,
      state_bits: r.widths.stateBits,
      snn_compute_pj: r.snn.computePJ,
      snn_total_pj: r.snn.totalPJ,
      snn_weight_pj: r.snn.weightPJ,
      snn_activation_pj: r.snn.activationPJ,
      snn_state_pj: r.snn.statePJ,
      ann_compute_pj: r.ann.computePJ,
      ann_total_pj: r.ann.totalPJ,
      ann_fp32_compute_pj: r.annFp32.computePJ,
      ann_fp32_total_pj: r.annFp32.totalPJ,
      snn_wins: r.snnWins,
    };
  }
  return e;
}

export function buildSummary(s: SummaryInput): RunSummary {
  const last = s.history[s.history.length - 1];
  const { summary, ops, energy } = s.measured;
  const layers: LayerSummary[] = summary.layers.map((l, i) => ({
    name: l.name,
    kind: l.kind,
    output_shape: l.outputShape.slice(2),
    spike_rate: l.neuron ? l.neuron.rate : null,
    input_density: l.inputDensity,
    macs: ops.layers[i]?.macs ?? 0,
    sops: ops.layers[i]?.sops ?? 0,
  }));
  const e = energySummary(energy);
  return {
    name: s.config.name,
    dataset: s.dataset,
    ...s.environment,
    resumed_from: s.resumedFrom,
    seed: s.config.seed,
    timesteps: s.config.encoder.steps,
    encoder: s.config.encoder.type,
    epochs: s.history.length,
    accuracy: s.final.test_accuracy,
    loss: s.final.test_loss,
    train_accuracy: last ? last.train_accuracy : null,
    train_loss: last ? last.train_loss : null,
    wall_time_s: s.wallSeconds,
    train_time_s: s.trainSeconds,
    samples_per_s: s.trainSeconds > 0 ? s.trainSamples / s.trainSeconds : 0,
    parameters: s.parameters,
    model_size: modelSizeSummary(s.modelSize),
    quantization: s.quantization,
    mean_spike_rate: summary.meanRate,
    spikes_per_sample: summary.spikesPerSample,
    layers,
    sops_per_sample: ops.totals.sops,
    macs_per_sample: ops.totals.macs,
    energy: e,
    measured_on_samples: summary.samples,
    peak_rss_bytes: s.peakRssBytes ?? null,
    ...(s.distill ? { distill: s.distill } : {}),
    train_method: s.config.train.method,
    ...(s.config.train.timestep_schedule ? { stages: stageSummaries(s.config, s.history) } : {}),
  };
}

/** Each stage of a timestep schedule from the epoch records: its last epoch's test score, its training time. */
export function stageSummaries(config: RunConfig, history: readonly EpochRecord[]): StageSummary[] {
  const schedule = config.train.timestep_schedule ?? [config.encoder.steps];
  return schedule.map((steps, i) => {
    const recs = history.filter((r) => (r.stage ?? 1) === i + 1);
    const last = recs[recs.length - 1];
    return {
      stage: i + 1,
      steps,
      epochs: recs.length,
      test_accuracy: last ? last.test_accuracy : null,
      test_loss: last ? last.test_loss : null,
      train_time_s: recs.reduce((a, r) => a + r.seconds, 0),
    };
  });
}

const pct = (x: number | null): string => (x === null || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(2)}%`);

/** The run's key figures as [field, value] rows (report.md and report.html). */
export function summaryRows(s: RunSummary): [string, string][] {
  const rows: [string, string][] = [
    ['Dataset', `${s.dataset.name} (${s.dataset.train} train / ${s.dataset.test} test)`],
    ['Test accuracy', pct(s.accuracy)],
    ['Test loss', s.loss.toFixed(4)],
    ['Train accuracy (last epoch)', pct(s.train_accuracy)],
    ['Epochs', s.resumed_from === null ? String(s.epochs) : `${s.epochs} (resumed from ${s.resumed_from})`],
    ['Time steps', String(s.timesteps)],
    ['Training method', s.train_method ?? 'bptt'],
    ...(s.stages ? ([['Timestep stages', s.stages.map((g) => `T=${g.steps}: ${pct(g.test_accuracy)} (${g.epochs} ep)`).join(', ')]] as [string, string][]) : []),
    ['Encoder', s.encoder],
    ['Backend', s.backend],
    ['spikeflow / Node / platform', `${s.spikeflow_version} / ${s.node_version} / ${s.platform}`],
    ['Seed', String(s.seed)],
    ['Parameters', formatCount(s.parameters)],
    [
      'Model size',
      s.quantization === null
        ? `${formatBytes(s.model_size.bytes)} (float32)`
        : `${formatBytes(s.model_size.bytes)} (${[...new Set(s.quantization.layers.map((l) => l.bits))].sort((a, b) => a - b).map((b) => `int${b}`).join('/')} weights in ${s.quantization.layers.length} layer${s.quantization.layers.length > 1 ? 's' : ''}, ${s.quantization.method}; float32: ${formatBytes(s.model_size.fp32_bytes)}, ${s.model_size.compression.toFixed(2)}× smaller)`,
    ],
    ['Wall time', `${s.wall_time_s.toFixed(1)} s`],
    ...(s.peak_rss_bytes != null ? [['Peak memory (process RSS)', formatBytes(s.peak_rss_bytes)] as [string, string]] : []),
    ['Training throughput', `${s.samples_per_s.toFixed(0)} samples/s`],
    ['Mean spike rate', pct(s.mean_spike_rate)],
    ['Spikes per sample', s.spikes_per_sample.toFixed(1)],
    ['SOPs per sample', formatCount(s.sops_per_sample)],
    ['MACs per sample', formatCount(s.macs_per_sample)],
  ];
  if (s.distill) {
    const d = s.distill;
    rows.push(['Distilled from', `${d.teacher} (teacher test accuracy ${pct(d.teacher_test_accuracy)}; T = ${d.temperature}, α = ${d.alpha}, ${d.features.length} feature pairs)`]);
  }
  for (const [p, e] of Object.entries(s.energy)) rows.push([`Energy per sample (${p}, compute / incl. memory)`, `${formatEnergy(e.snn_compute_pj)} / ${formatEnergy(e.snn_total_pj)}`]);
  return rows;
}

/** A drawn plot as the reports link it: its file in plots/ and a caption. */
export interface PlotLink {
  name: string;
  title: string;
}

/** report.md: the summary as tables a person reads, and links to the plots when there are any. */
export function renderReport(s: RunSummary, m: ProfileResult, plots: readonly PlotLink[] = []): string {
  const lines: string[] = [];
  lines.push(`# spikeflow run: ${s.name}`, '');
  lines.push('| Field | Value |', '| --- | --- |');
  for (const [k, v] of summaryRows(s)) lines.push(`| ${k} | ${v} |`);
  lines.push('', `## Layers (measured on ${s.measured_on_samples} test samples)`, '', formatLayerTable(m.summary, m.ops), '');
  lines.push('## Energy estimate (per sample)', '', formatEnergyTable(m.energy), '');
  lines.push(`### By layer (${m.energy.results[0]?.precision ?? 'fp32'})`, '', formatEnergyLayerTable(m.energy, m.ops), '');
  const quantized = formatQuantizedComparison(m.energy);
  if (quantized) lines.push('### Quantized model', '', 'The quantized SNN beside the same SNN in fp32 and the equivalent ANN quantized the same way (a quantized ANN is the fair rival: it shares the small weights and only lacks the sparsity).', '', quantized, '');
  lines.push('### Model behind the figures', '', formatAssumptions([...new Set([...m.ops.assumptions, ...m.energy.assumptions])]), '');
  if (plots.length > 0) {
    lines.push('## Plots', '', 'Also in one page with the config: [report.html](report.html).', '');
    for (const p of plots) lines.push(`- [${p.title}](plots/${p.name})`);
    lines.push('');
  }
  return lines.join('\n');
}
