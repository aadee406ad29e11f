import { backward } from '../../src/autograd/tape.js';
import { runInStepScope } from '../../src/train/trainer.js';
import { buildModel, type LayerConfig } from '../../src/nn/builder.js';
import { Conv2d } from '../../src/nn/conv.js';
import { Linear } from '../../src/nn/linear.js';
import { ceRateLoss } from '../../src/ops/loss.js';
import { Rng } from '../../src/tensor/rng.js';
import { Adam } from '../../src/train/optim/adam.js';
import { makeResult, measureOn, reps, type BenchContext } from '../lib/context.js';
import type { CaseResult, WorkCount } from '../lib/types.js';
import { ADAM_FLOPS, densityOf, labels, LEAKY, LIF_BWD_FLOPS, LIF_FWD_FLOPS, linearForwardFlops, linearGradWFlops, LR, paramCount, rateInput, REDUCED_BATCH } from './net.js';

/*
 * (e) Convolutional SNN training step: conv2d(1→16, 5) → maxpool 2 → LIF →
 * conv2d(16→32, 5) → maxpool 2 → LIF → linear(512→10) → LIF on 28×28 rate
 * input, T = 8, B = 32, ce_rate loss, Adam. Convolutions fold T·B into the
 * batch. They are counted as the nominal dense convolution, 2·R·Cout·Ho·Wo·Cin·k²
 * for the forward, the same again for dW and for dX (not for conv1, whose
 * input is data) — what PyTorch performs; both convolutions' inputs are spikes,
 * so below the backend's crossover they run event-driven (and conv2's dX skips
 * the gradients max pooling did not route), and the GFLOP/s column is then an
 * effective rate, as in workload h. `extra` names each convolution's path and
 * input density. Pooling counts one compare per input element forward and one
 * add per output element backward. At the reduced sizes (a software GPU
 * adapter) B is REDUCED_BATCH and the case id ends in -b<batch>. Densities
 * the backend did not count (webgpu never chooses the event paths, so it
 * never counts) are left out of `extra`.
 */

const CT = 8, FULL_CB = 32;

/** A density for `extra`, or nothing where it was not counted (NaN). */
function counted(key: string, d: number): Record<string, number> {
  return Number.isFinite(d) ? { [key]: +d.toFixed(4) } : {};
}

function convFlops(R: number, cin: number, cout: number, k: number, ho: number, wo: number): number {
  return 2 * R * cout * ho * wo * cin * k * k;
}

export async function runConv(ctx: BenchContext): Promise<CaseResult[]> {
  const CB = ctx.reduced ? REDUCED_BATCH : FULL_CB;
  const suffix = CB === FULL_CB ? '' : `-b${CB}`;
  const layers: LayerConfig[] = [
    { type: 'conv2d', out_channels: 16, kernel_size: 5 },
    { type: 'maxpool2d', kernel_size: 2 },
    { type: 'lif', ...LEAKY },
    { type: 'conv2d', out_channels: 32, kernel_size: 5 },
    { type: 'maxpool2d', kernel_size: 2 },
    { type: 'lif', ...LEAKY },
    { type: 'linear', out: 10 },
    { type: 'lif', ...LEAKY },
  ];
  const { model } = buildModel(layers, { inputShape: [1, 28, 28], steps: CT, timeConstantInput: false, rng: new Rng(2) });
  const lin = model.layers.find((m): m is Linear => m instanceof Linear)!;
  const convs = model.layers.filter((m): m is Conv2d => m instanceof Conv2d);
  const opt = new Adam(model.parameters(), { lr: LR });
  const xs = rateInput(ctx.backend, CT, CB, 784, 0.15, 19);
  const x = xs.view([CT, CB, 1, 28, 28]);
  const y = labels(CB, 10, 4);
  const keep = () => [...model.allPersistentTensors(), ...opt.stateTensors()];
  const step = (): void =>
    runInStepScope([ctx.backend], keep, () => {
      model.resetState();
      const out = model.forward(x);
      const loss = ceRateLoss(out, y);
      opt.zeroGrad();
      backward(loss);
      opt.step();
      opt.zeroGrad();
      model.resetState();
    });
  const timing = reps(ctx, 'medium');
  const stats = await measureOn(ctx, step, timing);

  const R = CT * CB;
  const c1 = convFlops(R, 1, 16, 5, 24, 24), c2 = convFlops(R, 16, 32, 5, 8, 8);
  const pool = R * (16 * 24 * 24 + 32 * 8 * 8) + R * (16 * 12 * 12 + 32 * 4 * 4);
  const lifElems = R * (16 * 12 * 12 + 32 * 4 * 4 + 10);
  const common = c1 * 2 + c2 * 3 + pool + (LIF_FWD_FLOPS + LIF_BWD_FLOPS) * lifElems + 7 * R * 10 + ADAM_FLOPS * paramCount(model);
  const s = lin.lastStats;
  const linWork = (dense: boolean): number =>
    linearForwardFlops(R, 10, 512, !dense && s.eventDriven, s.density) + 2 * R * 512 * 10 + linearGradWFlops(R, 10, 512, !dense && s.eventDriven, s.density);
  const work: WorkCount = {
    flops: common + linWork(false),
    denseFlops: common + linWork(true),
    bytes: null,
    note: `conv 2·R·Cout·Ho·Wo·Cin·k² fwd, ×1 dW, ×1 dX (conv2 only), nominal dense (event-driven on spikes: an effective rate); pool 1/elt; LIF ${LIF_FWD_FLOPS}+${LIF_BWD_FLOPS}/elt; linear as in (b); Adam ${ADAM_FLOPS}/param`,
  };
  const extra: Record<string, number | string> = { inputDensity: +(await densityOf(xs)).toFixed(4) };
  convs.forEach((c, i) => {
    extra[`conv${i + 1}Path`] = c.lastStats.path;
    Object.assign(extra, counted(`conv${i + 1}InputDensity`, c.lastStats.density));
  });
  Object.assign(extra, { ...counted('linearInputDensity', s.density), linearPath: s.eventDriven ? 'event' : 'dense' });
  return [makeResult(ctx, { workload: 'e', case: `conv-train-step${suffix}`, title: `conv SNN fwd + bwd + Adam, T=${CT} B=${CB}`, samplesPerIter: CB, timing, extra }, stats, work)];
}
