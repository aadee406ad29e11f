import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backward, noGrad } from '../../src/autograd/tape.js';
import { readConfigYaml } from '../../src/config/load-node.js';
import { validateLmConfig } from '../../src/lm/config.js';
import { buildLanguageModel } from '../../src/lm/model.js';
import { add } from '../../src/ops/elementwise.js';
import { l2wrap, tokenCrossEntropy } from '../../src/ops/lm.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { clipGradNorm } from '../../src/train/clip.js';
import { Adam } from '../../src/train/optim/adam.js';
import { runInStepScope } from '../../src/train/trainer.js';
import { makeResult, measureOn, reps, type BenchContext } from '../lib/context.js';
import { repoRoot } from '../lib/paths.js';
import type { CaseResult, WorkCount } from '../lib/types.js';
import { ADAM_FLOPS, paramCount } from './net.js';

/*
 * (j) SpikeGPT (docs/spikegpt.md): the model of examples/kjv-spikegpt.yaml
 * (4 blocks of d = 256, 3.46 M parameters) over the KJV vocabulary of 73
 * characters, on random token ids (the data does not change the work).
 *   train step: T = 128 tokens, B = 16 windows: forward, next-character
 *     cross-entropy + L2Wrap, backward, gradient clipping to 1, Adam.
 *   generation step: one token of batch 1 through the recurrent state (the
 *     work of `spikeflow generate` per character).
 * bench/reference/torch_spikegpt.py computes the same math in PyTorch: the
 * WKV recurrence and the LIF as Python loops over the tokens (RWKV-4's and
 * SpikingJelly's CPU paths), autograd for the backward.
 *
 * Counted: 2 flops per multiply-accumulate of the linear layers and the
 * head, ×3 for a training step (forward, input and weight gradients, the
 * embedding's input gradient excepted); WKV ~20 flops per element forward
 * and ~40 backward; Adam per parameter. Elementwise work (mixes, gates, norms)
 * is left out.
 */

const VOCAB = 73, T = 128, B = 16;

function model(): ReturnType<typeof buildLanguageModel> {
  const path = join(repoRoot(), 'examples', 'kjv-spikegpt.yaml');
  const config = validateLmConfig(readConfigYaml(readFileSync(path, 'utf8'), path), path);
  return buildLanguageModel(config.model.layers, VOCAB, T, new Rng(3));
}

function ids(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.int(VOCAB));
}

export async function runSpikegpt(ctx: BenchContext): Promise<CaseResult[]> {
  const be = ctx.backend;
  const { model: m } = model();
  const params = paramCount(m);
  // Linear and head multiply-accumulates per token: every weight once (the embedding is a lookup).
  const emb = m.parameters()[0]!.size;
  const macsPerToken = params - emb;
  const d = 256;
  const wkvElements = 4 * d;
  const opt = new Adam(m.parameters(), { lr: 6e-4, betas: [0.9, 0.99] });
  const x = tensor(ids(T * B, 1), [T, B, 1], { backend: be });
  const y = Int32Array.from(ids(T * B, 2));
  const keep = () => [...m.allPersistentTensors(), ...opt.stateTensors(), x];
  const step = (): void =>
    runInStepScope([be], keep, () => {
      m.train();
      m.resetState();
      const logits = m.forward(x);
      const loss = add(tokenCrossEntropy(logits, y), l2wrap(logits, 1e-4));
      opt.zeroGrad();
      backward(loss);
      clipGradNorm(m.parameters(), 1);
      opt.step();
      opt.zeroGrad();
      m.resetState();
    });
  const trainWork: WorkCount = {
    flops: T * B * (6 * macsPerToken + 60 * wkvElements) + ADAM_FLOPS * params,
    denseFlops: T * B * (6 * macsPerToken + 60 * wkvElements) + ADAM_FLOPS * params,
    bytes: null,
    note: `linear + head MACs ×2 flops ×3 passes; WKV 20 + 40 flops per element; Adam ${ADAM_FLOPS}/param; ${params} parameters`,
  };
  const train = makeResult(ctx, { workload: 'j', case: 'spikegpt-train-step', title: 'SpikeGPT (kjv example, 4×256) train step, T=128 B=16', samplesPerIter: T * B, timing: reps(ctx, 'heavy') }, await measureOn(ctx, step, reps(ctx, 'heavy')), trainWork);

  // Generation: one token through the recurrent state, batch 1 (128 tokens per timed iteration, state continuing).
  const tokens = ids(128, 3);
  m.eval();
  const gen = (): void =>
    noGrad(() => {
      m.resetState();
      for (const id of tokens) runInStepScope([be], () => m.allPersistentTensors(), () => m.forward(tensor([id], [1, 1, 1], { backend: be })));
      m.resetState();
    });
  const genTiming = reps(ctx, 'medium');
  const genStats = await measureOn(ctx, gen, genTiming);
  // Per token: report the time of one token.
  const perToken = { ...genStats, samplesMs: genStats.samplesMs.map((s) => s / tokens.length), medianMs: genStats.medianMs / tokens.length, minMs: genStats.minMs / tokens.length, maxMs: genStats.maxMs / tokens.length };
  const genWork: WorkCount = { flops: 2 * macsPerToken + 20 * wkvElements, denseFlops: 2 * macsPerToken + 20 * wkvElements, bytes: 4 * params, note: 'one token: every weight read once (fp32), 2 flops per MAC' };
  const generation = makeResult(ctx, { workload: 'j', case: 'spikegpt-generate-token', title: 'SpikeGPT generation, one token, batch 1 (recurrent state)', samplesPerIter: 1, timing: genTiming }, perToken, genWork);
  m.train();
  return [train, generation];
}
