/*
 * The playground's training worker: holds the digits, the model and the
 * trainer, and answers the page with plain numbers and SVG strings; the
 * page's thread never runs a kernel. Messages sent while a run trains wait
 * until it ends (the page disables those controls meanwhile).
 *
 * Backend: WebGPU when the browser offers a hardware adapter and the
 * network's layers all have GPU kernels, else wasm (SIMD); `?backend=` on the
 * page forces one (chooseBrowserBackend, then the layer probe). On wasm the
 * Trainer runs synchronously, as `spikeflow train` does on a CPU. On webgpu
 * it runs asynchronously (trainEpochAsync / evaluateAsync: nothing is read
 * back inside a batch) and, as in the CLI, a host copy of the network on wasm
 * receives the device weights whenever the page needs numbers — the live
 * rasters and traces, predictions, downloads, NIR — since a GPU buffer has
 * no synchronous view.
 */
import YAML from 'yaml';
import {
  buildSession,
  getBackendByName,
  setBackend,
  take,
  withBackend,
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
  type Backend,
  type EpochPoint,
  type Session,
  type SplitDataset,
  type Tensor,
} from '../../src/index.js';
import { configSchema, type RunConfig } from '../../src/config.js';
import { testEncoder } from '../../src/cli/test-encoding.js';
import { asyncTrainingRefusal, encoderRefusal } from '../../src/cli/webgpu-probe.js';
import { chooseBrowserBackend, type BrowserBackendChoice, type BrowserBackendRequest } from '../../src/backend/webgpu/register.js';
import { copyModelState } from '../../src/train/mirror.js';
import type { Trainer } from '../../src/train/trainer.js';
import { isNeuron } from '../../src/neurons/base.js';
import { BackendError } from '../../src/errors.js';
import type { Module } from '../../src/module/module.js';
import type { Optimizer } from '../../src/train/optim/optimizer.js';
import type { BackendInfo, FromWorker, LayerInfo, ToWorker } from './protocol.js';

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
  /** The network the page reads (rasters, predictions, files): on wasm, the trained one or the host copy of a webgpu run. */
  session: Session;
  /** The trained optimizer whose state must outlive drawActivity's step scope; null for a host copy or an opened NIR file. */
  optimizer: Optimizer | null;
  /** The module path of each spiking layer and its per-sample neuron count. */
  layers: LayerInfo[];
  source: string;
}

let data: SplitDataset | null = null;
let current: Model | null = null;
/** What the page asked for (?backend=) and what the browser offered, settled once at init. */
let request: BrowserBackendRequest = 'auto';
let choice: BrowserBackendChoice | null = null;
/** The page's ?batch_size= (null: each network's own). */
let batchSize: number | null = null;

/** The CPU backend of the host side: every read the page needs happens there. */
const host = (): Backend => getBackendByName('wasm');
/** Run fn with wasm as the default backend (the global one is webgpu while a device run trains). */
const onHost = <T>(fn: () => T): T => withBackend(host(), fn);

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

function parseConfig(text: string, epochs: number, backend: 'wasm' | 'webgpu' = 'wasm'): RunConfig {
  const raw = YAML.parse(text) as Record<string, unknown>;
  // The page's epoch count replaces the example's, so a cosine schedule spans the run actually trained.
  const train = { ...(raw['train'] as Record<string, unknown>), epochs };
  const dataSection = raw['data'] as Record<string, unknown>;
  // Named, not 'auto': the worker has chosen (train() below), and the host side is always wasm (SIMD kernels).
  return configSchema.parse({ ...raw, backend, train, data: batchSize !== null ? { ...dataSection, batch_size: batchSize } : dataSection });
}

interface DeviceRun {
  session: Session;
  trainer: Trainer;
}

/**
 * The run on webgpu when the choice at init said webgpu and this network can
 * train there (the trainer's settings and the layer probe, the rule of
 * `spikeflow train --backend webgpu`); otherwise null with the reason the
 * page shows for falling back to wasm.
 */
function deviceRun(configYaml: string, epochs: number, callbacks: Parameters<typeof sessionTrainer>[1]): { run: DeviceRun | null; backend: BackendInfo } {
  if (!choice || !choice.backend) return { run: null, backend: { name: 'wasm', reason: choice?.reason ?? 'no backend choice yet' } };
  const config = parseConfig(configYaml, epochs, 'webgpu');
  const refused = (why: string): { run: null; backend: BackendInfo } => {
    setBackend('wasm');
    return { run: null, backend: { name: 'wasm', reason: request === 'webgpu' ? `webgpu was asked for, but ${why}` : why } };
  };
  // The encoder first (rate coding computes its spikes on the host), then the trainer's settings and the layers.
  const early = encoderRefusal(config, choice.backend, data!.train.shape);
  if (early) return refused(early);
  const backend = setBackend('webgpu');
  try {
    const session = buildSession(config, { data: data!, backend });
    // Drained every SNAPSHOT_EVERY batches, so each live curve point and raster is the state after its batch.
    const { trainer } = sessionTrainer(session, callbacks, { readEvery: SNAPSHOT_EVERY });
    const refusal = asyncTrainingRefusal(session, trainer);
    if (refusal) return refused(refusal);
    return { run: { session, trainer }, backend: { name: 'webgpu', reason: choice.reason } };
  } catch (e) {
    // A kernel the checks above did not reach (the build runs layers the probe also runs, so this is a safety net).
    if (e instanceof BackendError) return refused(`building the network on webgpu failed: ${e.message}`);
    setBackend('wasm');
    throw e;
  }
}

async function train(name: string, configYaml: string, epochs: number): Promise<void> {
  if (!data) throw new Error('the digits are not loaded yet');
  const t0 = performance.now();
  const config = parseConfig(configYaml, epochs);
  const points: EpochPoint[] = [];
  let window = { loss: 0, acc: 0, n: 0 };
  // Set once the sessions exist (the callbacks below run only when training does).
  let nb = 0;
  let liveSnapshot: (note: string) => void = () => {};
  const callbacks = {
    onBatchEnd: (info: { epoch: number; batch: number; loss: number; accuracy: number; samplesPerSec: number }) => {
      post({ type: 'batch', epoch: info.epoch, batch: info.batch, batchesPerEpoch: nb, loss: info.loss, accuracy: info.accuracy, samplesPerSec: info.samplesPerSec });
      window = { loss: window.loss + info.loss, acc: window.acc + info.accuracy, n: window.n + 1 };
      const last = info.batch === nb - 1;
      if ((info.batch + 1) % SNAPSHOT_EVERY !== 0 && !last) return;
      // A live point: the mean of the batches since the last one, at its fractional epoch.
      points.push({ epoch: info.epoch + (info.batch + 1) / nb, train_loss: window.loss / window.n, train_accuracy: window.acc / window.n, test_loss: NaN, test_accuracy: NaN });
      window = { loss: 0, acc: 0, n: 0 };
      post({ type: 'curves', svg: trainingCurves(points, { width: 760, title: `${name}: training (points: mean of ${SNAPSHOT_EVERY} batches)` }) });
      if (!last) liveSnapshot(`epoch ${info.epoch + 1}, batch ${info.batch + 1}/${nb}`);
    },
  };
  const { run: device, backend } = deviceRun(configYaml, epochs, callbacks);
  try {
    // The host session: the one that trains on wasm, or the copy a webgpu run's weights are read into.
    // Built from the same config and seed as the device one, so both start from the same weights.
    const session = onHost(() => buildSession(config, { data: data!, backend: host() }));
    const hostTrainer = device ? null : sessionTrainer(session, callbacks);
    const trainer = device ? device.trainer : hostTrainer!.trainer;
    const trained = device ? device.session : session;
    if (!device) setBackend('wasm');
    const sdata = trained.data;
    // The session's data: normalised when the config says so (data.normalize).
    const trainLoader = makeLoader(sdata.train, config.data.batch_size, true, trained.rngs.loader, config.data.drop_last);
    const testLoader = makeLoader(sdata.test, config.data.test_batch_size, false);
    nb = trainLoader.numBatches;
    const model: Model = { session, optimizer: hostTrainer?.optimizer ?? null, layers: onHost(() => spikingLayers(session.model, data!.train.shape, testEncoder(session))), source: name };
    current = model;
    /** The device weights into the host copy (one awaited read per tensor); nothing to do on wasm. */
    const sync = async (): Promise<void> => {
      if (device) await copyModelState(device.session.model, session.model);
    };
    let pending: Promise<void> | null = null;
    liveSnapshot = device
      ? (note) => {
          // One copy at a time: on a slow adapter a point is skipped rather than reads queued up. The reads are
          // issued here, after this window's updates and before the next batch is recorded, so the copy is the
          // state after this batch; the drawing runs when they arrive (at the trainer's next await).
          if (pending) return;
          pending = sync()
            .then(() => onHost(() => snapshot(model, note)))
            .catch((e: unknown) => post({ type: 'error', message: `live snapshot: ${e instanceof Error ? e.message : String(e)}` }))
            .finally(() => (pending = null));
        }
      : (note) => snapshot(model, note);
    post({ type: 'session', name, layers: model.layers, parameters: session.model.parameters().reduce((a, p) => a + p.size, 0), batchesPerEpoch: nb, backend });
    let testAccuracy = NaN;
    for (let e = 0; e < config.train.epochs; e++) {
      const trainSet = trainBatches(trained, trainLoader);
      const testSet = tensorBatches(testLoader, sdata.test.shape, trained.backend);
      const tr = device ? await trainer.trainEpochAsync(trainSet) : trainer.trainEpoch(trainSet);
      const te = device ? await trainer.evaluateAsync(testSet, testEncoder(trained)) : trainer.evaluate(testSet, testEncoder(trained));
      testAccuracy = te.accuracy;
      // The epoch's test figures join its last live point.
      const p = points[points.length - 1]!;
      p.test_loss = te.loss;
      p.test_accuracy = te.accuracy;
      post({ type: 'curves', svg: trainingCurves(points, { width: 760, title: `${name}: training (points: mean of ${SNAPSHOT_EVERY} batches; squares: test set)` }) });
      post({ type: 'epoch', summary: { epoch: e + 1, trainLoss: tr.loss, trainAccuracy: tr.accuracy, testLoss: te.loss, testAccuracy: te.accuracy, seconds: tr.seconds } });
      await pending;
      await sync();
      onHost(() => snapshot(model, `after epoch ${e + 1}`));
    }
    post({ type: 'done', seconds: (performance.now() - t0) / 1000, testAccuracy });
  } finally {
    // Predictions, downloads and NIR read the host copy on wasm.
    setBackend('wasm');
  }
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

async function loadDigits(dataUrl: string): Promise<SplitDataset> {
  const res = await fetch(dataUrl);
  if (!res.ok) throw new Error(`cannot load the digits from ${dataUrl}: HTTP ${res.status}`);
  return unpackDigits(new Uint8Array(await res.arrayBuffer()));
}

async function init(msg: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  const t0 = performance.now();
  request = msg.backend;
  batchSize = msg.batchSize;
  // The adapter (and the device, when it will be used) while the digits download.
  const [digits, chosen] = await Promise.all([loadDigits(msg.dataUrl), chooseBrowserBackend(msg.backend)]);
  choice = chosen;
  data = {
    train: msg.trainLimit !== null ? take(digits.train, msg.trainLimit) : digits.train,
    test: msg.testLimit !== null ? take(digits.test, msg.testLimit) : digits.test,
  };
  post({ type: 'ready', train: data.train.length, test: data.test.length, seconds: (performance.now() - t0) / 1000, backend: { name: chosen.name, reason: chosen.reason } });
}

/**
 * Messages are handled one after another: training on webgpu awaits the
 * device, and a message arriving meanwhile must wait for the run to end, as
 * it does behind the synchronous wasm loop.
 */
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (ev: MessageEvent<ToWorker>) => {
  queue = queue.then(() => handle(ev.data));
};

async function handle(msg: ToWorker): Promise<void> {
  try {
    if (msg.type === 'init') await init(msg);
    else if (msg.type === 'train') await train(msg.name, msg.configYaml, msg.epochs);
    else if (msg.type === 'predict') predict(msg.pixels);
    else if (msg.type === 'weights') weights();
    else await handleNir(msg);
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}

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
