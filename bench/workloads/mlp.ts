import { backward, noGrad } from '../../src/autograd/tape.js';
import { runInStepScope } from '../../src/train/trainer.js';
import { ceRateLoss } from '../../src/ops/loss.js';
import type { LinearStats } from '../../src/ops/linear.js';
import { Adam } from '../../src/train/optim/adam.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { makeResult, measureOn, reps, type BenchContext } from '../lib/context.js';
import type { CaseResult, WorkCount } from '../lib/types.js';
import {
  ADAM_FLOPS, BATCH, buildMlp, densityOf, INPUT_DENSITY, labels, LIF_BWD_FLOPS, LIF_FWD_FLOPS, linearForwardFlops, linearGradWFlops, LR,
  paramCount, rateInput, REDUCED_BATCH, SIZES, T, type Mlp,
} from './net.js';

/*
 * (b) training step and (c) inference of the 784-1000-10 LIF net on one
 * pre-encoded batch (encoding is not timed; PyTorch gets the same treatment).
 * A training step = resetState, forward over all T steps, ce_rate loss,
 * backward, Adam step: what Trainer does per batch, minus bookkeeping.
 * At the reduced sizes (a software GPU adapter) the batch is REDUCED_BATCH
 * and the case ids end in -b<batch>, so they are not compared with PyTorch's B = 128.
 */

/** The batch this context runs, and the suffix that names it in case ids when it is not the documented one. */
export function mlpBatch(ctx: BenchContext): { B: number; suffix: string } {
  const B = ctx.reduced ? REDUCED_BATCH : BATCH;
  return { B, suffix: B === BATCH ? '' : `-b${B}` };
}

const LOSS_FWD_FLOPS = 5; // softmax row: max, sub, exp, sum, divide — per logit
const LOSS_BWD_FLOPS = 2;

/** Forward work given which path each linear took (`dense` forces the dense count). */
function forwardWork(net: Mlp, dense: boolean, B: number): number {
  const M = T * B;
  const [IN, HID, OUT] = SIZES;
  const [l1, l2] = net.linears.map((l) => l.lastStats) as [LinearStats, LinearStats];
  return (
    linearForwardFlops(M, HID, IN, !dense && l1.eventDriven, l1.density) +
    LIF_FWD_FLOPS * M * HID +
    linearForwardFlops(M, OUT, HID, !dense && l2.eventDriven, l2.density) +
    LIF_FWD_FLOPS * M * OUT
  );
}

function backwardWork(net: Mlp, dense: boolean, B: number): number {
  const M = T * B;
  const [IN, HID, OUT] = SIZES;
  const [l1, l2] = net.linears.map((l) => l.lastStats) as [LinearStats, LinearStats];
  return (
    LOSS_BWD_FLOPS * M * OUT +
    LIF_BWD_FLOPS * M * OUT +
    2 * M * HID * OUT + // dX of layer 2 (NN GEMM)
    linearGradWFlops(M, OUT, HID, !dense && l2.eventDriven, l2.density) +
    LIF_BWD_FLOPS * M * HID +
    // layer 1's input is data (no gradient): only dW, db
    linearGradWFlops(M, HID, IN, !dense && l1.eventDriven, l1.density)
  );
}

function pathExtras(net: Mlp, inDensity: number): Record<string, number | string | boolean> {
  const [l1, l2] = net.linears.map((l) => l.lastStats);
  return {
    inputDensity: +inDensity.toFixed(4),
    // NaN where linear() did not count nonzeros (a threshold of 0: webgpu always runs dense).
    ...(Number.isFinite(l2!.density) ? { hiddenDensity: +l2!.density.toFixed(4) } : {}),
    layer1Path: l1!.eventDriven ? 'event' : 'dense',
    layer2Path: l2!.eventDriven ? 'event' : 'dense',
  };
}

export async function runTrainStep(ctx: BenchContext): Promise<CaseResult[]> {
  const { B, suffix } = mlpBatch(ctx);
  const net = buildMlp();
  const opt = new Adam(net.model.parameters(), { lr: LR });
  const x = rateInput(ctx.backend, T, B, SIZES[0], INPUT_DENSITY);
  const y = labels(B, SIZES[2]);
  const inDensity = await densityOf(x);
  // The last step's loss, kept past its scope and read after the timing (a device backend cannot read it synchronously).
  const last: { loss: Tensor | null } = { loss: null };
  // Each step in a backend scope, as the Trainer does: a wasm step frees what it allocated.
  const keep = () => [...net.model.allPersistentTensors(), ...opt.stateTensors(), ...(last.loss ? [last.loss] : [])];
  const step = (): void =>
    runInStepScope([ctx.backend], keep, () => {
      net.model.resetState();
      const out = net.model.forward(x);
      const loss = ceRateLoss(out, y);
      last.loss = loss;
      opt.zeroGrad();
      backward(loss);
      opt.step();
      opt.zeroGrad();
      net.model.resetState();
    });
  const timing = reps(ctx, 'heavy');
  const stats = await measureOn(ctx, step, timing);
  const M = T * B, C = SIZES[2];
  const P = paramCount(net.model);
  const loss = (LOSS_FWD_FLOPS + LOSS_BWD_FLOPS) * M * C;
  const work: WorkCount = {
    flops: forwardWork(net, false, B) + backwardWork(net, false, B) + loss + ADAM_FLOPS * P,
    denseFlops: forwardWork(net, true, B) + backwardWork(net, true, B) + loss + ADAM_FLOPS * P,
    bytes: null,
    note: `linear: 2·M·N·K dense or nnz·N adds event-driven (+ bias M·N, dW event adds + K·N transpose-add); LIF ${LIF_FWD_FLOPS} flops/elt fwd, ${LIF_BWD_FLOPS} bwd; ce_rate ${LOSS_FWD_FLOPS + LOSS_BWD_FLOPS}/logit; Adam ${ADAM_FLOPS}/param (${P} params); no dX for layer 1`,
  };
  const lossValue = last.loss === null ? NaN : (await last.loss.read())[0]!;
  const extra = { ...pathExtras(net, inDensity), loss: +lossValue.toFixed(4) };
  return [makeResult(ctx, { workload: 'b', case: `train-step-784-1000-10${suffix}`, title: `fwd + bwd + Adam, T=${T} B=${B}`, samplesPerIter: B, timing, extra }, stats, work)];
}

export async function runInference(ctx: BenchContext): Promise<CaseResult[]> {
  const { B, suffix } = mlpBatch(ctx);
  const net = buildMlp();
  const x = rateInput(ctx.backend, T, B, SIZES[0], INPUT_DENSITY);
  const inDensity = await densityOf(x);
  const timing = reps(ctx, 'medium');
  const stats = await measureOn(ctx, () => {
    runInStepScope([ctx.backend], () => net.model.allPersistentTensors(), () =>
      noGrad(() => {
        net.model.resetState();
        net.model.forward(x);
        net.model.resetState();
      }),
    );
  }, timing);
  const work: WorkCount = {
    flops: forwardWork(net, false, B),
    denseFlops: forwardWork(net, true, B),
    bytes: null,
    note: `linear: 2·M·N·K dense or nnz·N adds event-driven, + bias M·N; LIF ${LIF_FWD_FLOPS} flops/elt`,
  };
  return [makeResult(ctx, { workload: 'c', case: `infer-784-1000-10${suffix}`, title: `forward under noGrad, T=${T} B=${B}`, samplesPerIter: B, timing, extra: pathExtras(net, inDensity) }, stats, work)];
}
