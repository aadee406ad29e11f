import { noGrad } from '../../src/autograd/tape.js';
import { runInStepScope } from '../../src/train/trainer.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { makeResult, reps, type BenchContext } from '../lib/context.js';
import { measure, summarize } from '../lib/timing.js';
import type { CaseResult, WorkCount } from '../lib/types.js';
import { buildMlp, INPUT_DENSITY, LIF_FWD_FLOPS, linearForwardFlops, rateInput, SIZES, T } from './net.js';

/*
 * (f) Single-sample streaming: batch 1, one time step at a time through
 * linear → LIF.step → linear → LIF.step under noGrad, the way an online
 * (sensor-driven) deployment runs. One timed repetition is whole sequences of
 * T = 25 steps; the reported time is per step. Inputs are sliced beforehand
 * so the timed loop holds only the network.
 */

export function runStreaming(ctx: BenchContext): CaseResult[] {
  const be = ctx.backend;
  const net = buildMlp();
  const [IN, HID, OUT] = SIZES;
  const [l1, l2] = net.linears as [typeof net.linears[number], typeof net.linears[number]];
  const [n1, n2] = net.neurons as [typeof net.neurons[number], typeof net.neurons[number]];
  const seq = rateInput(be, T, 1, IN, INPUT_DENSITY, 23);
  const steps: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const s = be.alloc(IN);
    be.copy(seq.storage, t * IN, s, 0, IN);
    steps.push(new Tensor(s, [1, IN], { backend: be, binary: true }));
  }
  const runSequence = (onStep?: () => void): void =>
    runInStepScope([be], () => net.model.allPersistentTensors(), () =>
      noGrad(() => {
        net.model.resetState();
        for (const x of steps) {
          n2.step(l2.forward(n1.step(l1.forward(x))));
          onStep?.();
        }
        net.model.resetState();
      }),
    );
  const base = reps(ctx, 'light');
  const timing = { ...base, inner: ctx.quick ? 1 : 4 };
  const perSeq = measure(() => runSequence(), timing);
  const stats = summarize(perSeq.samplesMs.map((ms) => ms / T));

  // Count the work of one sequence with the paths each step actually took.
  let flops = 0, dense = 0, events1 = 0, events2 = 0, d1 = 0, d2 = 0;
  runSequence(() => {
    const a = l1.lastStats, b = l2.lastStats;
    flops += linearForwardFlops(1, HID, IN, a.eventDriven, a.density) + linearForwardFlops(1, OUT, HID, b.eventDriven, b.density);
    dense += linearForwardFlops(1, HID, IN, false, 1) + linearForwardFlops(1, OUT, HID, false, 1);
    if (a.eventDriven) events1++;
    if (b.eventDriven) events2++;
    d1 += a.density / T;
    d2 += b.density / T;
  });
  const lif = LIF_FWD_FLOPS * (HID + OUT);
  const work: WorkCount = {
    flops: flops / T + lif,
    denseFlops: dense / T + lif,
    bytes: null,
    note: `per time step: linear 2·N·K dense or nnz·N adds event-driven (+ N bias), LIF ${LIF_FWD_FLOPS}/neuron; the event path also transposes W (${IN}×${HID}) every step (not counted)`,
  };
  const extra = {
    inputDensity: +d1.toFixed(4),
    hiddenDensity: +d2.toFixed(4),
    layer1EventSteps: events1,
    layer2EventSteps: events2,
    stepsPerSec: +(1000 / stats.medianMs).toFixed(1),
  };
  return [makeResult(ctx, { workload: 'f', case: 'stream-step-b1', title: 'one time step, batch 1 (samples/s = sequences of T=25)', samplesPerIter: 1 / T, timing, extra }, stats, work)];
}
