import { join } from 'node:path';
import { backward, noGrad } from '../../src/autograd/tape.js';
import { countOps } from '../../src/analysis/ops-count.js';
import { SpikeMonitor } from '../../src/analysis/monitor.js';
import { loadConfig } from '../../src/config/load-node.js';
import { buildModel } from '../../src/nn/builder.js';
import { makeLoss } from '../../src/train/losses.js';
import { uniform } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { Adam } from '../../src/train/optim/adam.js';
import { runInStepScope } from '../../src/train/trainer.js';
import { makeResult, measureOn, reps, type BenchContext } from '../lib/context.js';
import { repoRoot } from '../lib/paths.js';
import type { CaseResult, WorkCount } from '../lib/types.js';
import { ADAM_FLOPS, labels, paramCount } from './net.js';

/*
 * (i) Spiking-transformer training steps: the models of
 * examples/fashion-mnist-spikformer.yaml (Spikformer SSA) and
 * examples/fashion-mnist-sdt.yaml (Spike-driven Transformer SDSA), built
 * from those files, on 28×28 images with direct encoding, T = 4, B = 64: one
 * step is the forward, cross-entropy of the time-averaged linear head
 * (ce_readout), backward and Adam (lr 2e-3). bench/reference/torch_lif.py
 * builds the same layers in PyTorch (SpikingJelly's multi-step LIFNode as a
 * Python loop over T with a sigmoid-surrogate spike function, the
 * 'torch' backend SpikingJelly uses on a CPU).
 *
 * Counted: the nominal dense work, from one monitored forward: 2·MACs of
 * every conv, linear and attention product for the forward, the same again
 * for the weight gradient and the input gradient (not for the first conv,
 * whose input is data); neuron scans 4 + 10 flops per element; Adam.
 */

const TT = 4, TB = 64;

async function caseFor(ctx: BenchContext, example: string, id: string, title: string): Promise<CaseResult> {
  const be = ctx.backend;
  const { config } = loadConfig(join(repoRoot(), 'examples', example));
  const { model } = buildModel(config.model.layers, { inputShape: [1, 28, 28], steps: TT, timeConstantInput: true, rng: new Rng(3), readout: true });
  const loss = makeLoss(config.train.loss);
  const opt = new Adam(model.parameters(), { lr: 2e-3 });
  const x = uniform([1, TB, 1, 28, 28], new Rng(5), 0, 1, { backend: be });
  const y = labels(TB, 10, 4);
  const keep = () => [...model.allPersistentTensors(), ...opt.stateTensors(), x];
  const step = (): void =>
    runInStepScope([be], keep, () => {
      model.resetState();
      const out = model.forward(x);
      const l = loss({ spikes: out, membrane: null }, y);
      opt.zeroGrad();
      backward(l);
      opt.step();
      opt.zeroGrad();
      model.resetState();
    });
  // Dense work from the layer shapes (one monitored forward, eval-free: train mode as timed).
  const mon = new SpikeMonitor(model);
  noGrad(() => runInStepScope([be], keep, () => {
    model.resetState();
    mon.forward(x);
    model.resetState();
  }));
  const ops = countOps(mon.summary());
  let fwd = 0, first = true, neurons = 0;
  for (const L of ops.layers) {
    if (L.category === 'synaptic') {
      const macs = L.denseMacsPerStep * L.steps * TB;
      fwd += macs * (first ? 2 : 3); // forward + dW (+ dX after the first conv)
      first = false;
    } else if (L.category === 'op') fwd += L.ann.macs * L.steps * TB * 3;
    neurons += L.neuronUpdates * TB;
  }
  const work: WorkCount = {
    flops: 2 * fwd + 14 * neurons + ADAM_FLOPS * paramCount(model),
    denseFlops: 2 * fwd + 14 * neurons + ADAM_FLOPS * paramCount(model),
    bytes: null,
    note: `dense conv/linear/attention MACs ×2 flops, ×3 passes (×2 for the first conv); neurons 14 flops per update; Adam ${ADAM_FLOPS}/param; ${paramCount(model)} parameters`,
  };
  const timing = reps(ctx, 'heavy');
  const stats = await measureOn(ctx, step, timing);
  return makeResult(ctx, { workload: 'i', case: id, title, samplesPerIter: TB, timing }, stats, work);
}

export async function runTransformer(ctx: BenchContext): Promise<CaseResult[]> {
  return [
    await caseFor(ctx, 'fashion-mnist-spikformer.yaml', 'spikformer-train-step', 'Spikformer (SSA) FMNIST train step, T=4 B=64'),
    await caseFor(ctx, 'fashion-mnist-sdt.yaml', 'sdt-train-step', 'Spike-driven Transformer (SDSA) FMNIST train step, T=4 B=64'),
  ];
}
