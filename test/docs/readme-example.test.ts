// The README's API example, verbatim apart from imports (which point at src/ here
// instead of the package name), so the example is known to run.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Sequential, Linear, LIF, Adam, Rng, rateEncode, ceRateLoss, accuracyFromCounts, backward, tensor, fastSigmoid } from '../../src/index.js';

test('README API example trains a tiny network', () => {
  const rng = new Rng(0);
  const net = new Sequential([
    new Linear(4, 32, rng),
    new LIF(32, { beta: 0.9, surrogate: fastSigmoid({ slope: 25 }) }),
    new Linear(32, 2, rng),
    new LIF(2, { beta: 0.9 }),
  ]);
  const opt = new Adam(net.parameters(), { lr: 1e-2 });
  // Two classes: bright first half vs bright second half.
  const x = tensor([1, 1, 0, 0, 0, 0, 1, 1, 0.9, 1, 0.1, 0, 0, 0.1, 1, 0.9], [4, 4]);
  const y = Int32Array.from([0, 1, 0, 1]);
  let acc = 0;
  for (let epoch = 0; epoch < 30; epoch++) {
    net.resetState();
    const spikes = net.forward(rateEncode(x, 20, rng)); // [T, B, 2]
    const loss = ceRateLoss(spikes, y);
    opt.zeroGrad();
    backward(loss);
    opt.step();
    acc = accuracyFromCounts(spikes, y);
  }
  assert.equal(acc, 1);
});

test('README conveniences example runs (stateDict, saveWeights, record, forwardWithMembrane)', async () => {
  const { readFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { repoRoot } = await import('../helpers.js');
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const block = /Conveniences:\n```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const src = await import('../../src/index.js');
  const node = await import('../../src/node.js');
  const body = block
    .split('\n')
    .filter((l) => !l.startsWith('import '))
    .join('\n')
    .replace(/'net\.safetensors'/g, 'path')
    .replace(/^const /gm, 'var ')
    .replace(/!\./g, '.')
    .replace(/!;/g, ';')
    .replace(/console\.log\(/, 'out.push(');
  const dir = mkdtempSync(join(tmpdir(), 'spikeflow-readme-'));
  const out: unknown[][] = [];
  const names = ['Linear', 'LIF', 'Sequential', 'record', 'manualSeed', 'rateEncode', 'tensor', 'Rng'] as const;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const run = new Function(...names, 'saveWeights', 'loadWeights', 'path', 'out', `${body.replace(/out\.push\((.*)\);/, 'out.push([$1]);')}`);
  run(...names.map((n) => src[n]), node.saveWeights, node.loadWeights, join(dir, 'net.safetensors'), out);
  assert.match(String(out[0]![0]), /^Tensor\[25, 8, 16\] float32 /);
  assert.equal(out[0]![1], 25);
  assert.deepEqual(out[0]![2], [25, 8, 16]);
});
