#!/usr/bin/env node
// CPU time of one training step of language-model configs, for sizing one model to another's
// step cost (docs/spikegpt.md "Softmax-transformer baseline"). Builds each config's model over
// the KJV vocabulary of 73 characters and runs the training step of `spikeflow train` (forward,
// cross-entropy + L2Wrap, backward, clipping, Adam) on random windows of the config's context
// and batch. Reports the median CPU time (all threads) and wall time over the timed steps, after
// warm-up steps. Needs the build (npm run build).
//   SPIKEFLOW_THREADS=1 node scripts/lm-step-cost.mjs examples/kjv-spikegpt.yaml examples/kjv-transformer.yaml
//   options: --steps N (timed, default 5), --warmup N (default 2), --backend NAME (default native),
//            --set key=value (applied to every config, repeatable)
import { readFileSync } from 'node:fs';
import { readConfigYaml, applyOverrides } from '../dist/src/config/load-node.js';
import { validateLmConfig } from '../dist/src/lm/config.js';
import { buildLanguageModel } from '../dist/src/lm/model.js';
import { lmTrainStep } from '../dist/src/lm/train.js';
import { registerNativeBackend } from '../dist/src/backend/native/load-node.js';
import { setBackend } from '../dist/src/backend/registry.js';
import { Rng } from '../dist/src/tensor/rng.js';
import { Adam } from '../dist/src/train/optim/adam.js';
import { runInStepScope } from '../dist/src/train/trainer.js';

const VOCAB = 73;
const args = process.argv.slice(2);
const files = [];
const sets = [];
let steps = 5, warmup = 2, backendName = 'native';
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--steps') steps = Number(args[++i]);
  else if (a === '--warmup') warmup = Number(args[++i]);
  else if (a === '--backend') backendName = args[++i];
  else if (a === '--set') sets.push(args[++i]);
  else files.push(a);
}
if (files.length === 0) {
  process.stderr.write('usage: node scripts/lm-step-cost.mjs CONFIG.yaml... [--steps N] [--warmup N] [--backend NAME] [--set key=value]\n');
  process.exit(2);
}
registerNativeBackend();
const backend = setBackend(backendName);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const file of files) {
  const raw = readConfigYaml(readFileSync(file, 'utf8'), file);
  applyOverrides(raw, sets);
  const config = validateLmConfig(raw, file);
  const { context: T, batch_size: B } = config.data;
  const { model } = buildLanguageModel(config.model.layers, VOCAB, T, new Rng(config.seed));
  const params = model.parameters().reduce((a, p) => a + p.size, 0);
  const t = config.train;
  const optimizer = new Adam(model.parameters(), { lr: t.lr, betas: t.betas, eps: t.eps });
  const rng = new Rng(1);
  const keep = () => [...model.allPersistentTensors(), ...optimizer.stateTensors()];
  const cpu = [], wall = [];
  for (let s = 0; s < warmup + steps; s++) {
    const x = Int32Array.from({ length: T * B }, () => rng.int(VOCAB));
    const y = Int32Array.from({ length: T * B }, () => rng.int(VOCAB));
    const c0 = process.cpuUsage(), w0 = performance.now();
    runInStepScope([backend], keep, () => lmTrainStep(model, optimizer, { x, y, T, B }, { clipGradNorm: t.clip_grad_norm, l2wrap: t.l2wrap }));
    const c = process.cpuUsage(c0);
    if (s >= warmup) {
      cpu.push((c.user + c.system) / 1e6);
      wall.push((performance.now() - w0) / 1000);
    }
  }
  process.stdout.write(`${file}: ${params} parameters, T = ${T}, B = ${B}, ${backend.name}: CPU ${median(cpu).toFixed(3)} s/step (median of ${steps}; ${cpu.map((v) => v.toFixed(2)).join(' ')}), wall ${median(wall).toFixed(3)} s/step\n`);
}
