import { noGrad } from '../../src/autograd/tape.js';
import { compileStreaming } from '../../src/stream/plan.js';
import { runInStepScope } from '../../src/train/trainer.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { attempt, makeResult, measureOn, reps, type BenchContext } from '../lib/context.js';
import { summarize } from '../lib/timing.js';
import type { CaseResult, WorkCount } from '../lib/types.js';
import { buildMlp, INPUT_DENSITY, LIF_FWD_FLOPS, linearForwardFlops, rateInput, SIZES, T as FULL_T } from './net.js';

/*
 * (f) Single-sample streaming: batch 1, one time step at a time through
 * linear → LIF → linear → LIF, the way an online (sensor-driven) deployment
 * runs. Two rows: `stream-step-b1` calls the layers' forward and `step()`
 * under noGrad (tensors, tape checks and a step scope per op), and
 * `stream-plan-b1` runs the same network compiled by `compileStreaming`
 * (src/stream/): fixed kernel calls on preallocated storage. Both are
 * compared with the one PyTorch reference loop. One timed repetition is whole
 * sequences of T = 25 steps; the reported time is per step. Inputs are sliced
 * beforehand so the timed loop holds only the network. The plan's outputs are
 * checked against the model's fused forward over the whole sequence first:
 * the row is only reported if they are identical (read back
 * asynchronously; on webgpu the plan is refused, its event-driven steps
 * count nonzeros on the host). At the reduced sizes (a
 * software GPU adapter, where one step's 784×1000 GEMM takes seconds) a
 * sequence is REDUCED_STEPS long and the case ids end in -t<steps>.
 */

const REDUCED_STEPS = 2;

export async function runStreaming(ctx: BenchContext): Promise<CaseResult[]> {
  const be = ctx.backend;
  const T = ctx.reduced ? REDUCED_STEPS : FULL_T;
  const suffix = T === FULL_T ? '' : `-t${T}`;
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
  // Light on a CPU (sub-millisecond steps); a software GPU adapter takes seconds per step, like a medium case.
  const base = reps(ctx, ctx.reduced ? 'medium' : 'light');
  const timing = { ...base, inner: ctx.quick || ctx.reduced ? 1 : 4 };
  const perSeq = await measureOn(ctx, () => runSequence(), timing);
  // The plan below is timed with the same repetitions.
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
    // Densities are NaN where linear() did not count (webgpu, always dense): left out then.
    ...(Number.isFinite(d1) ? { inputDensity: +d1.toFixed(4), hiddenDensity: +d2.toFixed(4) } : {}),
    layer1EventSteps: events1,
    layer2EventSteps: events2,
    stepsPerSec: +(1000 / stats.medianMs).toFixed(1),
  };
  const perOp = makeResult(ctx, { workload: 'f', case: `stream-step-b1${suffix}`, title: `one time step, batch 1, layer forward + neuron step() per op (samples/s = sequences of T=${T})`, samplesPerIter: 1 / T, timing, extra }, stats, work);
  const plan = await attempt(ctx, 'f', `stream-plan-b1${suffix}`, () => runPlan(ctx, net, steps, seq, { d1, d2, timing, T, suffix }));
  return plan ? [perOp, plan] : [perOp];
}

/** The same network as a compiled streaming plan, checked against the fused forward, then timed like the per-op row. */
async function runPlan(ctx: BenchContext, net: ReturnType<typeof buildMlp>, steps: Tensor[], seq: Tensor, m: { d1: number; d2: number; timing: { warmup: number; reps: number; inner: number }; T: number; suffix: string }): Promise<CaseResult> {
  const T = m.T;
  const [IN, HID, OUT] = SIZES;
  const plan = compileStreaming(net.model, { inputShape: [IN], batch: 1 });
  // The plan first: where it is refused (webgpu: its event-driven steps count nonzeros on the host) the
  // fused forward, a whole sequence of GEMMs, is not computed for nothing. Read asynchronously, so the
  // check also runs where reads cannot be synchronous.
  const streamed: number[] = [];
  for (const x of steps) streamed.push(...(await plan.step(x).read()));
  const fusedOut = noGrad(() => {
    net.model.resetState();
    const y = net.model.forward(seq);
    net.model.resetState();
    return y;
  });
  const fused = Array.from(await fusedOut.read());
  const mismatch = streamed.findIndex((v, i) => v !== fused[i]);
  if (mismatch >= 0 || streamed.length !== fused.length) throw new Error(`stream-plan-b1: the plan's output differs from the fused forward at ${mismatch} (${streamed[mismatch]} vs ${fused[mismatch]})`);
  const runSequence = (): void => {
    plan.reset();
    for (const x of steps) plan.step(x);
  };
  // No step scope: a step allocates nothing (the per-op row needs one per sequence on wasm).
  const perSeq = await measureOn(ctx, runSequence, m.timing);
  const stats = summarize(perSeq.samplesMs.map((ms) => ms / T));
  const paths = plan.describe().map((s) => `${s.op}:${Object.entries(s.paths).filter(([, n]) => n > 0).map(([p]) => p).join('/')}`).join(' ');
  const nnz1 = m.d1 * IN, nnz2 = m.d2 * HID;
  const lif = LIF_FWD_FLOPS * (HID + OUT);
  // Per step: each spike adds one row of Wᵀ (event-driven at batch 1: the plan transposed W once), then the bias.
  const flops = nnz1 * HID + HID + nnz2 * OUT + OUT + lif;
  const dense = linearForwardFlops(1, HID, IN, false, 1) + linearForwardFlops(1, OUT, HID, false, 1) + lif;
  // Bytes per step: the input scanned twice (count, lists), the Wᵀ rows of the spikes, y written then read and written by the bias add,
  // the LIF update (x, v[t−1] read; h, spikes written; mask byte), for both layers.
  const layer = (K: number, N: number, nnz: number): number => 8 * K + 4 * nnz * N + 4 * N + 12 * N + 17 * N;
  const bytes = layer(IN, HID, nnz1) + layer(HID, OUT, nnz2);
  const work: WorkCount = {
    flops,
    denseFlops: dense,
    bytes,
    note: `per time step: event-driven linear nnz·N adds + N bias (Wᵀ transposed once at compile), LIF ${LIF_FWD_FLOPS}/neuron; bytes: Wᵀ rows of the spikes, input scans, outputs, bias, LIF state`,
  };
  const extra = {
    identicalToFused: true,
    paths,
    wtRowsPerStep: +nnz1.toFixed(1),
    stepsPerSec: +(1000 / stats.medianMs).toFixed(1),
  };
  return makeResult(ctx, { workload: 'f', case: `stream-plan-b1${m.suffix}`, torchCase: `stream-step-b1${m.suffix}`, title: 'one time step, batch 1, compiled streaming plan (compileStreaming)', samplesPerIter: 1 / T, timing: m.timing, extra }, stats, work);
}
