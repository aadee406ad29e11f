import { backward, noGrad } from '../../src/autograd/tape.js';
import { runInStepScope } from '../../src/train/trainer.js';
import { ceRateLoss } from '../../src/ops/loss.js';
import type { LinearStats } from '../../src/ops/linear.js';
import { Adam } from '../../src/train/optim/adam.js';
import { makeResult, reps, type BenchContext } from '../lib/context.js';
import { measure } from '../lib/timing.js';
import type { CaseResult, WorkCount } from '../lib/types.js';
import {
  ADAM_FLOPS, BATCH, buildMlp, density, INPUT_DENSITY, labels, LIF_BWD_FLOPS, LIF_FWD_FLOPS, linearForwardFlops, linearGradWFlops, LR,
  paramCount, rateInput, SIZES, T, type Mlp,
} from './net.js';

/*
 * (b) training step and (c) inference of the 784-1000-10 LIF net on one
 * pre-encoded batch (encoding is not timed; PyTorch gets the same treatment).
 * A training step = resetState, forward over all T steps, ce_rate loss,
 * backward, Adam step: what Trainer does per batch, minus bookkeeping.
 */

const LOSS_FWD_FLOPS = 5; // softmax row: max, sub, exp, sum, divide — per logit
const LOSS_BWD_FLOPS = 2;

/** Forward work given which path each linear took (`dense` forces the dense count). */
function forwardWork(net: Mlp, dense: boolean): number {
  const M = T * BATCH;
  const [IN, HID, OUT] = SIZES;
  const [l1, l2] = net.linears.map((l) => l.lastStats) as [LinearStats, LinearStats];
  return (
    linearForwardFlops(M, HID, IN, !dense && l1.eventDriven, l1.density) +
    LIF_FWD_FLOPS * M * HID +
    linearForwardFlops(M, OUT, HID, !dense && l2.eventDriven, l2.density) +
    LIF_FWD_FLOPS * M * OUT
  );
}

function backwardWork(net: Mlp, dense: boolean): number {
  const M = T * BATCH;
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
    hiddenDensity: +l2!.density.toFixed(4),
    layer1Path: l1!.eventDriven ? 'event' : 'dense',
    layer2Path: l2!.eventDriven ? 'event' : 'dense',
  };
}

export function runTrainStep(ctx: BenchContext): CaseResult[] {
  const net = buildMlp();
  const opt = new Adam(net.model.parameters(), { lr: LR });
  const x = rateInput(ctx.backend, T, BATCH, SIZES[0], INPUT_DENSITY);
  const y = labels(BATCH, SIZES[2]);
  const inDensity = density(x);
  let lastLoss = NaN;
  // Each step in a backend scope, as the Trainer does: a wasm step frees what it allocated.
  const keep = () => [...net.model.allPersistentTensors(), ...opt.stateTensors()];
  const step = (): void =>
    runInStepScope([ctx.backend], keep, () => {
      net.model.resetState();
      const out = net.model.forward(x);
      const loss = ceRateLoss(out, y);
      lastLoss = loss.item();
      opt.zeroGrad();
      backward(loss);
      opt.step();
      opt.zeroGrad();
      net.model.resetState();
    });
  const timing = reps(ctx, 'heavy');
  const stats = measure(step, timing);
  const M = T * BATCH, C = SIZES[2];
  const P = paramCount(net.model);
  const loss = (LOSS_FWD_FLOPS + LOSS_BWD_FLOPS) * M * C;
  const work: WorkCount = {
    flops: forwardWork(net, false) + backwardWork(net, false) + loss + ADAM_FLOPS * P,
    denseFlops: forwardWork(net, true) + backwardWork(net, true) + loss + ADAM_FLOPS * P,
    bytes: null,
    note: `linear: 2·M·N·K dense or nnz·N adds event-driven (+ bias M·N, dW event adds + K·N transpose-add); LIF ${LIF_FWD_FLOPS} flops/elt fwd, ${LIF_BWD_FLOPS} bwd; ce_rate ${LOSS_FWD_FLOPS + LOSS_BWD_FLOPS}/logit; Adam ${ADAM_FLOPS}/param (${P} params); no dX for layer 1`,
  };
  const extra = { ...pathExtras(net, inDensity), loss: +lastLoss.toFixed(4) };
  return [makeResult(ctx, { workload: 'b', case: 'train-step-784-1000-10', title: 'fwd + bwd + Adam, T=25 B=128', samplesPerIter: BATCH, timing, extra }, stats, work)];
}

export function runInference(ctx: BenchContext): CaseResult[] {
  const net = buildMlp();
  const x = rateInput(ctx.backend, T, BATCH, SIZES[0], INPUT_DENSITY);
  const inDensity = density(x);
  const timing = reps(ctx, 'medium');
  const stats = measure(() => {
    runInStepScope([ctx.backend], () => net.model.allPersistentTensors(), () =>
      noGrad(() => {
        net.model.resetState();
        net.model.forward(x);
        net.model.resetState();
      }),
    );
  }, timing);
  const work: WorkCount = {
    flops: forwardWork(net, false),
    denseFlops: forwardWork(net, true),
    bytes: null,
    note: `linear: 2·M·N·K dense or nnz·N adds event-driven, + bias M·N; LIF ${LIF_FWD_FLOPS} flops/elt`,
  };
  return [makeResult(ctx, { workload: 'c', case: 'infer-784-1000-10', title: 'forward under noGrad, T=25 B=128', samplesPerIter: BATCH, timing, extra: pathExtras(net, inDensity) }, stats, work)];
}
