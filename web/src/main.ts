/*
 * The playground page: wires the controls, draws what the worker sends and
 * preprocesses the drawn digit. Everything heavy (data, model, training, SVG
 * drawing) lives in worker.ts; this thread only swaps markup, so the page
 * answers clicks and drawing while a run trains.
 */
import mnistLif from '../../examples/mnist-lif.yaml?raw';
import mnistMlpRate from '../../examples/mnist-mlp-rate.yaml?raw';
import mnistConv from '../../examples/mnist-conv.yaml?raw';
import { digitFromCanvas } from './digit.js';
import type { BackendInfo, FromWorker, LayerInfo, ToWorker } from './protocol.js';
import type { BrowserBackendRequest } from '../../src/backend/webgpu/register.js';

/** The example networks on the embedded digits (the first is `spikeflow train`'s default). */
const NETWORKS: ReadonlyArray<{ name: string; yaml: string }> = [
  { name: 'mnist-lif (conv LIF, direct encoding, T=8)', yaml: mnistLif },
  { name: 'mnist-mlp-rate (784-1000-10 LIF, rate coding, T=25)', yaml: mnistMlpRate },
  { name: 'mnist-conv (two conv LIF blocks + tdBN, rate coding, T=8)', yaml: mnistConv },
];

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`playground: #${id} missing from index.html`);
  return e as T;
};

const ui = {
  network: $<HTMLSelectElement>('network'),
  epochs: $<HTMLInputElement>('epochs'),
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  config: $<HTMLPreElement>('network-config'),
  status: $<HTMLParagraphElement>('status'),
  backend: $<HTMLParagraphElement>('backend'),
  metrics: $<HTMLTableElement>('metrics'),
  curves: $<HTMLDivElement>('curves'),
  layer: $<HTMLSelectElement>('layer'),
  caption: $<HTMLSpanElement>('activity-caption'),
  raster: $<HTMLDivElement>('raster'),
  traces: $<HTMLDivElement>('traces'),
  pad: $<HTMLCanvasElement>('pad'),
  predict: $<HTMLButtonElement>('predict'),
  clear: $<HTMLButtonElement>('clear'),
  prediction: $<HTMLOutputElement>('prediction'),
  counts: $<HTMLDivElement>('counts'),
  digitRaster: $<HTMLDivElement>('digit-raster'),
  saveWeights: $<HTMLButtonElement>('download-safetensors'),
  saveNir: $<HTMLButtonElement>('download-nir'),
  openNir: $<HTMLInputElement>('open-nir'),
  approximateReset: $<HTMLInputElement>('approximate-reset'),
  nirSummary: $<HTMLPreElement>('nir-summary'),
};

/** Marks the test and a curious user can read: timings and states as data attributes of <body>. */
const mark = (key: string, value: string | number): void => {
  document.body.dataset[key] = String(value);
};

/**
 * The page's URL parameters: `backend` (auto, webgpu or wasm) forces a
 * backend, for testing and for anyone who wants to compare; `train_limit` and
 * `test_limit` keep only the first digits of each split and `batch_size`
 * replaces the networks' own, for a short run on a slow adapter. A value the
 * page cannot use is named on the backend line, and the default kept.
 */
function urlOptions(): { backend: BrowserBackendRequest; trainLimit: number | null; testLimit: number | null; batchSize: number | null; problems: string[] } {
  const q = new URLSearchParams(location.search);
  const problems: string[] = [];
  const b = q.get('backend') ?? 'auto';
  const backend: BrowserBackendRequest = b === 'webgpu' || b === 'wasm' || b === 'auto' ? b : 'auto';
  if (backend !== b) problems.push(`?backend=${b}: expected auto, webgpu or wasm`);
  const limit = (key: string): number | null => {
    const v = q.get(key);
    if (v === null) return null;
    if (/^[1-9]\d*$/.test(v)) return Number(v);
    problems.push(`?${key}=${v}: expected a positive whole number`);
    return null;
  };
  return { backend, trainLimit: limit('train_limit'), testLimit: limit('test_limit'), batchSize: limit('batch_size'), problems };
}
const options = urlOptions();

let worker: Worker;
let busy = false;
let hasModel = false;
let activity: { raster: Record<string, string>; traces: Record<string, string> } = { raster: {}, traces: {} };
let trainStart = 0;

function startWorker(): void {
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (ev: MessageEvent<FromWorker>) => onMessage(ev.data);
  worker.onerror = (ev) => fail(`worker: ${ev.message}`);
  send({ type: 'init', dataUrl: new URL('mnist-digits.bin', document.baseURI).href, backend: options.backend, trainLimit: options.trainLimit, testLimit: options.testLimit, batchSize: options.batchSize });
}

function send(msg: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(msg, transfer);
}

function fail(message: string): void {
  ui.status.textContent = `error: ${message}`;
  mark('error', message);
  setBusy(false);
}

function setBusy(b: boolean): void {
  busy = b;
  ui.train.disabled = b;
  ui.stop.disabled = !b;
  ui.network.disabled = b;
  ui.epochs.disabled = b;
  ui.openNir.disabled = b;
  for (const button of [ui.predict, ui.saveWeights, ui.saveNir]) button.disabled = b || !hasModel;
}

function showLayers(layers: LayerInfo[]): void {
  const keep = ui.layer.value;
  ui.layer.replaceChildren(...layers.map((l) => new Option(`${l.path}: ${l.kind} (${l.neurons} neurons)`, l.path)));
  // The hidden layer by default: the output layer's 10 neurons say less about the dynamics.
  ui.layer.value = layers.some((l) => l.path === keep) ? keep : (layers[0]?.path ?? '');
  ui.layer.disabled = layers.length === 0;
}

function showActivity(): void {
  ui.raster.innerHTML = activity.raster[ui.layer.value] ?? '';
  ui.traces.innerHTML = activity.traces[ui.layer.value] ?? '';
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** Which backend runs and why, on the page and as marks (backend, backendReason) for the test. */
function showBackend(b: BackendInfo): void {
  ui.backend.textContent = `backend: ${b.name} (${b.reason})` + (options.problems.length > 0 ? `; ignored ${options.problems.join('; ')}` : '');
  mark('backend', b.name);
  mark('backendReason', b.reason);
}

function onMessage(msg: FromWorker): void {
  switch (msg.type) {
    case 'ready':
      mark('readyMs', Math.round(performance.now()));
      ui.status.textContent = `${msg.train} training and ${msg.test} test digits loaded in ${msg.seconds.toFixed(2)} s. Choose a network and train.`;
      showBackend(msg.backend);
      ui.train.textContent = 'train';
      setBusy(false);
      break;
    case 'session':
      ui.status.textContent = `training ${msg.name} on the ${msg.backend.name} backend: ${msg.parameters} parameters, ${msg.batchesPerEpoch} batches per epoch`;
      showBackend(msg.backend);
      showLayers(msg.layers);
      break;
    case 'batch':
      ui.status.textContent = `epoch ${msg.epoch + 1}, batch ${msg.batch + 1}/${msg.batchesPerEpoch}: loss ${msg.loss.toFixed(3)}, accuracy ${pct(msg.accuracy)}, ${msg.samplesPerSec.toFixed(0)} samples/s`;
      break;
    case 'curves':
      ui.curves.innerHTML = msg.svg;
      break;
    case 'activity':
      activity = { raster: msg.raster, traces: msg.traces };
      ui.caption.textContent = msg.caption;
      showActivity();
      break;
    case 'epoch': {
      const s = msg.summary;
      const row = ui.metrics.tBodies[0]!.insertRow();
      for (const v of [String(s.epoch), s.trainLoss.toFixed(4), pct(s.trainAccuracy), s.testLoss.toFixed(4), pct(s.testAccuracy), s.seconds.toFixed(1)]) row.insertCell().textContent = v;
      row.dataset.trainLoss = String(s.trainLoss);
      row.dataset.trainAccuracy = String(s.trainAccuracy);
      row.dataset.testLoss = String(s.testLoss);
      row.dataset.testAccuracy = String(s.testAccuracy);
      row.dataset.seconds = String(s.seconds);
      hasModel = true;
      break;
    }
    case 'done':
      ui.status.textContent = `done: test accuracy ${pct(msg.testAccuracy)} after ${msg.seconds.toFixed(1)} s (wall time, evaluation and plots included). Draw a digit!`;
      mark('trainState', 'done');
      mark('trainWallMs', Math.round(performance.now() - trainStart));
      hasModel = true;
      setBusy(false);
      break;
    case 'prediction':
      ui.prediction.value = String(msg.digit);
      ui.prediction.textContent = String(msg.digit);
      showCounts(msg.counts);
      ui.digitRaster.innerHTML = msg.raster + msg.traces;
      mark('predictions', Number(document.body.dataset['predictions'] ?? 0) + 1);
      setBusy(false);
      break;
    case 'file':
      download(msg.bytes, msg.fileName, msg.kind === 'nir' ? 'application/x-hdf5' : 'application/octet-stream');
      ui.status.textContent = `${msg.fileName}: ${msg.bytes.length} bytes`;
      mark('lastDownload', msg.fileName);
      setBusy(false);
      break;
    case 'nirLoaded':
      ui.nirSummary.textContent = msg.summary;
      ui.status.textContent = `${msg.fileName} opened${msg.testAccuracy === null ? '' : `: test accuracy ${pct(msg.testAccuracy)} on the embedded digits`}. Draw a digit to run it.`;
      showLayers(msg.layers);
      activity = { raster: {}, traces: {} };
      showActivity();
      ui.caption.textContent = `${msg.fileName}: draw a digit to see its spikes`;
      hasModel = true;
      mark('nirLoaded', msg.fileName);
      setBusy(false);
      break;
    case 'error':
      fail(msg.message);
      break;
  }
}

function showCounts(counts: number[]): void {
  const max = Math.max(1, ...counts);
  ui.counts.replaceChildren(
    ...counts.map((c, d) => {
      const bar = document.createElement('div');
      bar.className = 'bar';
      const label = document.createElement('span');
      label.textContent = `${d}: ${c} spikes`;
      const fill = document.createElement('span');
      fill.style.width = `${(120 * c) / max}px`;
      bar.append(label, fill);
      return bar;
    }),
  );
}

function download(bytes: Uint8Array, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// Controls.
ui.network.replaceChildren(...NETWORKS.map((n, i) => new Option(n.name, String(i))));
const showConfig = (): void => {
  ui.config.textContent = NETWORKS[Number(ui.network.value)]!.yaml.split('\n').filter((l) => !l.startsWith('#')).join('\n');
};
ui.network.onchange = showConfig;
showConfig();

ui.train.onclick = () => {
  const net = NETWORKS[Number(ui.network.value)]!;
  const epochs = Math.max(1, Math.min(20, Math.round(Number(ui.epochs.value) || 1)));
  ui.metrics.tBodies[0]!.replaceChildren();
  mark('trainState', 'running');
  trainStart = performance.now();
  setBusy(true);
  send({ type: 'train', name: net.name.split(' ')[0]!, configYaml: net.yaml, epochs });
};
ui.stop.onclick = () => {
  // The training loop does not look at messages (on wasm it never yields): end the worker and start a fresh one.
  worker.terminate();
  hasModel = false;
  mark('trainState', 'stopped');
  ui.status.textContent = 'stopped; reloading the digits…';
  ui.train.disabled = true;
  ui.stop.disabled = true;
  startWorker();
};
ui.layer.onchange = showActivity;

// The drawing pad: white strokes on black, as the MNIST digits are.
const ctx = ui.pad.getContext('2d')!;
const clearPad = (): void => {
  ctx.fillStyle = 'black';
  ctx.fillRect(0, 0, ui.pad.width, ui.pad.height);
};
clearPad();
let drawing = false;
const at = (ev: PointerEvent): [number, number] => {
  const r = ui.pad.getBoundingClientRect();
  return [((ev.clientX - r.left) * ui.pad.width) / r.width, ((ev.clientY - r.top) * ui.pad.height) / r.height];
};
ui.pad.onpointerdown = (ev) => {
  drawing = true;
  ui.pad.setPointerCapture(ev.pointerId);
  const [x, y] = at(ev);
  ctx.beginPath();
  ctx.moveTo(x, y);
};
ui.pad.onpointermove = (ev) => {
  if (!drawing) return;
  const [x, y] = at(ev);
  ctx.strokeStyle = 'white';
  ctx.lineWidth = 22;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.lineTo(x, y);
  ctx.stroke();
};
ui.pad.onpointerup = () => {
  drawing = false;
  // Predict on release when a network is there: watching the spikes follow the pen is the point.
  if (hasModel && !busy) requestPrediction();
};
ui.clear.onclick = () => {
  clearPad();
  ui.prediction.textContent = '–';
  ui.counts.replaceChildren();
  ui.digitRaster.replaceChildren();
};
function requestPrediction(): void {
  const pixels = digitFromCanvas(ui.pad);
  if (!pixels) {
    ui.status.textContent = 'draw a digit first';
    return;
  }
  setBusy(true);
  send({ type: 'predict', pixels }, [pixels.buffer]);
}
ui.predict.onclick = requestPrediction;

ui.saveWeights.onclick = () => {
  setBusy(true);
  send({ type: 'weights' });
};
ui.saveNir.onclick = () => {
  setBusy(true);
  send({ type: 'exportNir', approximateReset: ui.approximateReset.checked });
};
ui.openNir.onchange = async () => {
  const file = ui.openNir.files?.[0];
  if (!file) return;
  setBusy(true);
  const bytes = new Uint8Array(await file.arrayBuffer());
  send({ type: 'openNir', bytes, fileName: file.name, configYaml: NETWORKS[Number(ui.network.value)]!.yaml }, [bytes.buffer]);
  ui.openNir.value = '';
};

startWorker();
// The page is drawn and its controls wired: the first interactive render (training waits for the digits, marked readyMs).
mark('uiMs', Math.round(performance.now()));
