/*
 * The playground's training worker: holds the digits, the model and the
 * trainer, and answers the page with plain numbers and SVG strings. Training
 * is synchronous here (Trainer.trainEpoch), which is the point of a worker:
 * the page's thread never runs a kernel. Messages sent while a run trains
 * wait until it ends (the page disables those controls meanwhile).
 */
import YAML from 'yaml';
import {
  buildSession,
  encodeSafetensors,
  entryFromTensor,
  makeLoader,
  noGrad,
  record,
  runInStepScope,
  spikeRaster,
  membraneTraces,
  stepBackends,
  tensor,
  tensorBatches,
  trainBatches,
  trainingCurves,
  unpackDigits,
  sessionTrainer,
  type EpochPoint,
  type Session,
  type SplitDataset,
  type Tensor,
} from '../../src/index.js';
import { configSchema, type RunConfig } from '../../src/config.js';
import { testEncoder } from '../../src/cli/test-encoding.js';
import { isNeuron } from '../../src/neurons/base.js';
import type { Module } from '../../src/module/module.js';
import type { Optimizer } from '../../src/train/optim/optimizer.js';
import type { FromWorker, LayerInfo, ToWorker } from './protocol.js';

/** The worker's global scope as far as this file uses it (the page's tsconfig has the DOM library, not the worker one). */
interface WorkerScope {
  postMessage(message: FromWorker, transfer: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

/** Batches between two live snapshots (curve point, raster, traces). */
const SNAPSHOT_EVERY = 10;
/** Test samples recorded for the live raster. */
const RASTER_SAMPLES = 3;
/** At most this many neurons per raster (evenly spaced), so a conv layer stays legible. */
const RASTER_ROWS = 96;
/** Membrane traces of the busiest neurons of sample 0. */
const TRACE_ROWS = 4;

interface Model {
  session: Session;
  optimizer: Optimizer | null;
  /** The module path of each spiking layer and its per-sample neuron count. */
  layers: LayerInfo[];
  source: string;
}

let data: SplitDataset | null = null;
let current: Model | null = null;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

function spikingLayers(model: Module, inputShape: readonly number[], encode: (x: Tensor) => Tensor): LayerInfo[] {
  const paths = model.namedModules().filter(([p, m]) => p !== '' && isNeuron(m));
  // The neuron count per sample comes from one recorded sample (a conv layer's
  // size depends on the input, which the module alone does not know).
  const rec = noGrad(() => record(model, encode(tensor(new Float32Array(inputShape.reduce((a, b) => a * b, 1)), [1, ...inputShape])), { layers: paths.map(([p]) => p) }));
  return paths.map(([p, m]) => {
    const s = rec.layers.get(p)!.spikes!;
    return { path: p, kind: m.constructor.name, neurons: s.size / (s.shape[0]! * s.shape[1]!) };
  });
}

/** Evenly spaced neuron indices, at most `rows` of `n`. */
function evenly(n: number, rows: number): number[] {
  if (n <= rows) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: rows }, (_, k) => Math.round((k * (n - 1)) / (rows - 1)));
}

interface LayerPictures {
  raster: string;
  traces: string;
}

/**
 * Record every spiking layer on a few samples (eval mode, no gradients, in a
 * step scope so the wasm backend frees the temporaries) and draw, per layer,
 * the spike raster and the membrane traces of the busiest neurons of sample 0.
 */
function drawActivity(m: Model, images: Float32Array, titles: string[]): { pictures: Map<string, LayerPictures>; counts: Float32Array; steps: number } {
  const { session } = m;
  const shape = session.data.train.shape;
  const n = titles.length;
  const model = session.model;
  const wasTraining = model.training;
  model.eval();
  const keep = (): Tensor[] => [...model.allPersistentTensors(), ...(m.optimizer ? m.optimizer.stateTensors() : [])];
  try {
    return runInStepScope(stepBackends(model), keep, () =>
      noGrad(() => {
        const x = tensor(images, [n, ...shape]);
        const rec = record(model, testEncoder(session)(x), { layers: m.layers.map((l) => l.path), what: ['spikes', 'membrane'] });
        const pictures = new Map<string, LayerPictures>();
        for (const layer of m.layers) {
          const r = rec.layers.get(layer.path)!;
          const spikes = r.spikes!.toArray();
          const membrane = r.membrane ? r.membrane.toArray() : null;
          const T = r.spikes!.shape[0]!;
          const N = layer.neurons;
          const ids = evenly(N, RASTER_ROWS);
          const samples = titles.map((title, b) => {
            const rows = new Float32Array(T * ids.length);
            for (let t = 0; t < T; t++) ids.forEach((i, k) => (rows[t * ids.length + k] = spikes[(t * n + b) * N + i]!));
            return { spikes: rows, title };
          });
          const raster = spikeRaster(
            { title: `spikes of layer ${layer.path} (${layer.kind})`, steps: T, neurons: ids.length, samples, neuronIds: ids, layerNeurons: N },
            { width: 760, height: 300 },
          );
          // The busiest neurons of sample 0 show the most of the dynamics.
          const count = (i: number): number => {
            let c = 0;
            for (let t = 0; t < T; t++) c += spikes[t * n * N + i]!;
            return c;
          };
          const busiest = Array.from({ length: N }, (_, i) => i).sort((a, b) => count(b) - count(a) || a - b).slice(0, TRACE_ROWS);
          const threshold = thresholdOf(model, layer.path);
          const traces = membrane
            ? membraneTraces(
                {
                  title: `membrane of layer ${layer.path}, ${titles[0]}`,
                  traces: busiest.map((i) => ({
                    label: `neuron ${i}`,
                    membrane: Array.from({ length: T }, (_, t) => membrane[t * n * N + i]!),
                    spikes: Array.from({ length: T }, (_, t) => spikes[t * n * N + i]!),
                    threshold,
                  })),
                },
                { width: 760, rowHeight: 48 },
              )
            : '';
          pictures.set(layer.path, { raster, traces });
        }
        // Output spike counts per sample and class, for the prediction.
        const out = rec.output.toArray();
        const T = rec.output.shape[0]!;
        const C = rec.output.shape[2]!;
        const counts = new Float32Array(n * C);
        for (let t = 0; t < T; t++) for (let i = 0; i < n * C; i++) counts[i]! += out[t * n * C + i]!;
        return { pictures, counts, steps: T };
      }),
    );
  } finally {
    if (wasTraining) model.train();
    model.resetState();
  }
}

/** The firing threshold of a neuron layer (a number field on the LIF family; 1 otherwise). */
function thresholdOf(model: Module, path: string): number {
  const m = model.namedModules().find(([p]) => p === path)?.[1] as { threshold?: unknown } | undefined;
  const t = m?.threshold;
  if (typeof t === 'number') return t;
  if (t && typeof (t as Tensor).item === 'function' && (t as Tensor).size === 1) return (t as Tensor).item();
  return 1;
}

function testSamples(count: number): { images: Float32Array; labels: number[] } {
  const ds = data!.test;
  const px = ds.images.length / ds.length;
  return { images: ds.images.slice(0, count * px), labels: Array.from(ds.labels.subarray(0, count)) };
}

function snapshot(m: Model, note: string): void {
  const { images, labels } = testSamples(RASTER_SAMPLES);
  const { pictures, counts } = drawActivity(m, images, labels.map((l, i) => `test ${i} · label ${l}`));
  const C = counts.length / RASTER_SAMPLES;
  const preds = labels.map((_, b) => argmax(counts.subarray(b * C, (b + 1) * C)));
  const raster: Record<string, string> = {};
  const traces: Record<string, string> = {};
  for (const [p, pic] of pictures) {
    raster[p] = pic.raster;
    traces[p] = pic.traces;
  }
  post({ type: 'activity', raster, traces, caption: `${note}: predicted ${preds.join(', ')} for labels ${labels.join(', ')}` });
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

function parseConfig(text: string, epochs: number): RunConfig {
  const raw = YAML.parse(text) as Record<string, unknown>;
  // The page's epoch count replaces the example's, so a cosine schedule spans the run actually trained.
  const train = { ...(raw['train'] as Record<string, unknown>), epochs };
  // wasm: the browser's fast backend (SIMD kernels); 'auto' would pick it too, but say so.
  return configSchema.parse({ ...raw, backend: 'wasm', train });
}

function train(name: string, configYaml: string, epochs: number): void {
  if (!data) throw new Error('the digits are not loaded yet');
  const t0 = performance.now();
  const config = parseConfig(configYaml, epochs);
  const session = buildSession(config, { data, backend: 'wasm' });
  // The session's data: normalised when the config says so (data.normalize).
  const { model, backend, data: sdata } = session;
  const trainLoader = makeLoader(sdata.train, config.data.batch_size, true, session.rngs.loader, config.data.drop_last);
  const testLoader = makeLoader(sdata.test, config.data.test_batch_size, false);
  const nb = trainLoader.numBatches;
  const points: EpochPoint[] = [];
  let window = { loss: 0, acc: 0, n: 0 };
  // The same Trainer as `spikeflow train` builds from a config (optimizer groups, schedules, class decision).
  const { trainer, optimizer } = sessionTrainer(session, {
    onBatchEnd: (info) => {
      post({ type: 'batch', epoch: info.epoch, batch: info.batch, batchesPerEpoch: nb, loss: info.loss, accuracy: info.accuracy, samplesPerSec: info.samplesPerSec });
      window = { loss: window.loss + info.loss, acc: window.acc + info.accuracy, n: window.n + 1 };
      const last = info.batch === nb - 1;
      if ((info.batch + 1) % SNAPSHOT_EVERY !== 0 && !last) return;
      // A live point: the mean of the batches since the last one, at its fractional epoch.
      points.push({ epoch: info.epoch + (info.batch + 1) / nb, train_loss: window.loss / window.n, train_accuracy: window.acc / window.n, test_loss: NaN, test_accuracy: NaN });
      window = { loss: 0, acc: 0, n: 0 };
      post({ type: 'curves', svg: trainingCurves(points, { width: 760, title: `${name}: training (points: mean of ${SNAPSHOT_EVERY} batches)` }) });
      if (!last) snapshot(m, `epoch ${info.epoch + 1}, batch ${info.batch + 1}/${nb}`);
    },
  });
  const m: Model = { session, optimizer, layers: spikingLayers(model, data.train.shape, testEncoder(session)), source: name };
  current = m;
  post({ type: 'session', name, layers: m.layers, parameters: model.parameters().reduce((a, p) => a + p.size, 0), batchesPerEpoch: nb, backend: backend.name });
  let testAccuracy = NaN;
  for (let e = 0; e < config.train.epochs; e++) {
    const tr = trainer.trainEpoch(trainBatches(session, trainLoader));
    const te = trainer.evaluate(tensorBatches(testLoader, sdata.test.shape, backend), testEncoder(session));
    testAccuracy = te.accuracy;
    // The epoch's test figures join its last live point.
    const p = points[points.length - 1]!;
    p.test_loss = te.loss;
    p.test_accuracy = te.accuracy;
    post({ type: 'curves', svg: trainingCurves(points, { width: 760, title: `${name}: training (points: mean of ${SNAPSHOT_EVERY} batches; squares: test set)` }) });
    post({ type: 'epoch', summary: { epoch: e + 1, trainLoss: tr.loss, trainAccuracy: tr.accuracy, testLoss: te.loss, testAccuracy: te.accuracy, seconds: tr.seconds } });
    snapshot(m, `after epoch ${e + 1}`);
  }
  post({ type: 'done', seconds: (performance.now() - t0) / 1000, testAccuracy });
}

/** Run the current network on one drawn digit ([1, 28, 28] in [0, 1]). */
function predict(pixels: Float32Array): void {
  if (!current) throw new Error('no network yet: train one or open a .nir file first');
  const { pictures, counts } = drawActivity(current, pixels, ['your digit']);
  const digit = argmax(counts);
  // The layer nearest the output shows the decision forming; the page can switch.
  const out = current.layers[current.layers.length - 1]!;
  const pic = pictures.get(out.path)!;
  post({ type: 'prediction', digit, counts: Array.from(counts), raster: pic.raster, traces: pic.traces, source: current.source });
}

function weights(): void {
  if (!current) throw new Error('no network yet: train one first');
  const { session } = current;
  const entries = new Map([...session.model.stateDict()].map(([k, t]) => [k, entryFromTensor(t)] as const));
  // The config in the metadata, as model.safetensors written by `spikeflow train` has it, so `spikeflow eval -w` reads it.
  const bytes = encodeSafetensors(entries, { config: YAML.stringify(session.config) });
  post({ type: 'file', kind: 'safetensors', fileName: `${session.config.name}.safetensors`, bytes }, [bytes.buffer]);
}

async function init(dataUrl: string): Promise<void> {
  const t0 = performance.now();
  const res = await fetch(dataUrl);
  if (!res.ok) throw new Error(`cannot load the digits from ${dataUrl}: HTTP ${res.status}`);
  data = unpackDigits(new Uint8Array(await res.arrayBuffer()));
  post({ type: 'ready', train: data.train.length, test: data.test.length, seconds: (performance.now() - t0) / 1000 });
}

scope.onmessage = async (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  try {
    if (msg.type === 'init') await init(msg.dataUrl);
    else if (msg.type === 'train') train(msg.name, msg.configYaml, msg.epochs);
    else if (msg.type === 'predict') predict(msg.pixels);
    else if (msg.type === 'weights') weights();
    else await handleNir(msg);
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
};

/** NIR messages: the h5wasm-backed reader/writer loads only when first asked (it is the heaviest dependency). */
async function handleNir(msg: Extract<ToWorker, { type: 'exportNir' | 'openNir' }>): Promise<void> {
  const nir = await import('./nir-worker.js');
  if (msg.type === 'exportNir') {
    if (!current) throw new Error('no network yet: train one first');
    const { bytes, fileName } = await nir.exportNir(current.session, msg.approximateReset);
    post({ type: 'file', kind: 'nir', fileName, bytes }, [bytes.buffer]);
  } else {
    if (!data) throw new Error('the digits are not loaded yet');
    const opened = await nir.openNir(msg.bytes, msg.fileName, parseConfig(msg.configYaml, 1), data);
    current = { session: opened.session, optimizer: null, layers: spikingLayers(opened.session.model, data.train.shape, testEncoder(opened.session)), source: msg.fileName };
    post({ type: 'nirLoaded', fileName: msg.fileName, summary: opened.summary, layers: current.layers, testAccuracy: opened.testAccuracy });
  }
}
