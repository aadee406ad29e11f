import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { registerNativeBackend } from '../src/backend/native/load-node.js';
import { getBackendByName, setBackend } from '../src/backend/registry.js';
import { startTapeMemory, stopTapeMemory } from '../src/autograd/tape.js';
import { buildModel, type LayerConfig } from '../src/nn/builder.js';
import { reshape } from '../src/ops/shape.js';
import { tensor } from '../src/tensor/create.js';
import { Rng } from '../src/tensor/rng.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { makeLoss, makeStepLoss } from '../src/train/losses.js';
import { TRAIN_METHODS, type TrainMethod } from '../src/train/online.js';
import { Adam } from '../src/train/optim/index.js';
import { Trainer, type Batch } from '../src/train/trainer.js';

/*
 * Memory and time per training step of BPTT and the online methods over T
 * (docs/online-training.md has the table this prints):
 *
 *   node dist/bench/online-memory.js [--steps 4,8,16,32] [--methods bptt,sltt,sltt_k,ottt]
 *                                    [--batch 16] [--iters 3] [--backend native] [--json]
 *
 * Each (method, T) runs in a child process of its own, so the peak resident
 * set size (process.resourceUsage().maxRSS) is that configuration's alone.
 * The child builds a small convolutional SNN on 28×28 inputs (the layers
 * below: conv 16 + BN + LIF + pool, conv 32 + BN + LIF + pool, linear
 * readout, direct encoding), trains one warm-up batch and `iters` timed
 * batches of random images with Adam, and reports
 *   - retained: the largest number of bytes the tape held at the start of a
 *     backward (autograd/tape.ts `tapeMemory`: the distinct buffers the live
 *     graph references, the parameters excluded);
 *   - peak RSS of the process;
 *   - CPU ms and wall ms per training step (one batch: forward, backward,
 *     update), medians; on a shared machine the CPU time is the steadier.
 * SLTT-K runs with K = 2.
 */

const LAYERS: LayerConfig[] = [
  { type: 'conv2d', out_channels: 16, kernel_size: 3, padding: 1 },
  { type: 'batchnorm' },
  { type: 'lif', beta: 0.5 },
  { type: 'maxpool2d', kernel_size: 2 },
  { type: 'conv2d', out_channels: 32, kernel_size: 3, padding: 1 },
  { type: 'batchnorm' },
  { type: 'lif', beta: 0.5 },
  { type: 'maxpool2d', kernel_size: 2 },
  { type: 'flatten' },
  { type: 'linear', out: 10 },
];
const LOSS = { type: 'ce_readout' };
const K = 2;

interface ChildResult {
  method: TrainMethod;
  steps: number;
  backend: string;
  retainedBytes: number;
  backwardCalls: number;
  peakRssBytes: number;
  msPerStep: number;
  /** CPU time (user + system, all threads) per step: less disturbed than wall time on a shared machine. */
  cpuMsPerStep: number;
}

function child(method: TrainMethod, T: number, B: number, iters: number, backend: string): ChildResult {
  if (backend === 'native') registerNativeBackend();
  const be = setBackend(backend);
  const rng = new Rng(1);
  const { model } = buildModel(LAYERS, { inputShape: [1, 28, 28], steps: T, timeConstantInput: true, rng, readout: true });
  const online = method === 'sltt' || method === 'sltt_k' || method === 'ottt';
  const trainer = new Trainer({
    model,
    encode: (x: Tensor) => reshape(x, [1, ...x.shape]),
    loss: makeLoss(LOSS),
    stepLoss: online ? makeStepLoss(LOSS) : null,
    optimizer: new Adam(model.parameters(), { lr: 1e-3 }),
    method,
    online: method === 'sltt_k' ? { k: K, rng: new Rng(2) } : {},
  });
  const batch = (): Batch => ({ x: tensor(Array.from({ length: B * 784 }, () => rng.random()), [B, 1, 28, 28], { backend: be }), y: Int32Array.from({ length: B }, (_, i) => i % 10) });
  trainer.trainEpoch([batch()]);
  const times: number[] = [];
  const cpu: number[] = [];
  startTapeMemory({ exclude: model.parameters() });
  for (let i = 0; i < iters; i++) {
    const b = batch();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    trainer.trainEpoch([b]);
    const c = process.cpuUsage(c0);
    times.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  const mem = stopTapeMemory();
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return {
    method,
    steps: T,
    backend: be.name,
    retainedBytes: mem.peakBytes,
    backwardCalls: mem.backwardCalls / iters,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    msPerStep: median(times),
    cpuMsPerStep: median(cpu),
  };
}

function arg(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
}

const mb = (b: number): string => (b / 2 ** 20).toFixed(2);

function main(argv: string[]): void {
  if (argv[0] === '--child') {
    const [method, T, B, iters, backend] = argv.slice(1);
    process.stdout.write(JSON.stringify(child(method as TrainMethod, Number(T), Number(B), Number(iters), backend!)) + '\n');
    return;
  }
  const steps = arg(argv, '--steps', '4,8,16,32').split(',').map(Number);
  const methods = arg(argv, '--methods', 'bptt,sltt,sltt_k,ottt').split(',') as TrainMethod[];
  for (const m of methods) if (!TRAIN_METHODS.includes(m) || m === 'tbptt') throw new Error(`--methods: unknown or unsupported method '${m}'`);
  const B = Number(arg(argv, '--batch', '16'));
  const iters = Number(arg(argv, '--iters', '3'));
  const backend = arg(argv, '--backend', registerNativeBackend().ok ? 'native' : 'wasm');
  getBackendByName(backend === 'native' ? 'ts' : backend); // fail early on a misspelled name
  const self = fileURLToPath(import.meta.url);
  const results: ChildResult[] = [];
  for (const T of steps) {
    for (const m of methods) {
      process.stderr.write(`online-memory: ${m} T=${T} ...\n`);
      const r = spawnSync(process.execPath, [self, '--child', m, String(T), String(B), String(iters), backend], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`child ${m} T=${T} failed: ${r.stderr}`);
      results.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult);
    }
  }
  if (argv.includes('--json')) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    return;
  }
  const at = (m: string, T: number) => results.find((r) => r.method === m && r.steps === T)!;
  const first = steps[0]!;
  const out = [
    `Small conv SNN (28×28, conv16-BN-LIF-pool, conv32-BN-LIF-pool, linear), batch ${B}, backend ${results[0]?.backend}, median of ${iters} steps; SLTT-K with K = ${K}.`,
    '',
    `| T | method | retained for backward (MiB) | × T=${first} | peak RSS (MiB) | CPU ms / step | wall ms / step | backwards / step |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const T of steps) {
    for (const m of methods) {
      const r = at(m, T);
      out.push(`| ${T} | ${m} | ${mb(r.retainedBytes)} | ${(r.retainedBytes / at(m, first).retainedBytes).toFixed(2)} | ${mb(r.peakRssBytes)} | ${r.cpuMsPerStep.toFixed(1)} | ${r.msPerStep.toFixed(1)} | ${r.backwardCalls} |`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}

main(process.argv.slice(2));
