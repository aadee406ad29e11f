import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getBackendByName, withBackend } from '../../src/backend/registry.js';
import { tensor } from '../../src/tensor/create.js';
import { linear } from '../../src/ops/linear.js';
import { add, mean, meanLeading, scale, sub, sum } from '../../src/ops/elementwise.js';
import { square } from '../../src/ops/loss.js';
import { backward } from '../../src/autograd/tape.js';
import { LIF } from '../../src/neurons/lif/index.js';
import { arctan, fastSigmoid } from '../../src/neurons/surrogate.js';
import { assertClose, fixturesDir } from '../helpers.js';

interface Case {
  X: number[][][];
  W: number[][];
  b: number[];
  target: number[][];
  loss: number;
  dW: number[][];
  db: number[];
  spk: number[][][];
  mem: number[][][];
}

const dir = fixturesDir('snntorch');
const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);

test('BPTT through linear + Leaky matches snnTorch/torch autograd (loss, dW, db)', { skip: dir ? false : 'fixtures not found' }, () => {
  const fx = JSON.parse(readFileSync(join(dir!, 'bptt_leaky_linear.json'), 'utf8')) as { cases: Record<string, Case> };
  const names = Object.keys(fx.cases);
  assert.equal(names.length, 8);
  for (const name of names) {
    const c = fx.cases[name]!;
    const dtype = name.endsWith('float64') ? 'ts64' : 'ts';
    withBackend(getBackendByName(dtype), () => {
      const T = c.X.length, B = c.X[0]!.length, K = c.X[0]![0]!.length, O = c.W.length;
      const X = tensor(flat(c.X), [T, B, K], { binary: true });
      const W = tensor(flat(c.W), [O, K], { requiresGrad: true });
      const b = tensor(c.b, [O], { requiresGrad: true });
      const target = tensor(flat(c.target), [B, O]);
      const lif = new LIF(O, {
        beta: 0.9,
        threshold: 1,
        reset: name.includes('_zero_') ? 'zero' : 'subtract',
        surrogate: name.startsWith('atan2') ? arctan({ alpha: 2 }) : fastSigmoid({ slope: 25 }),
      });
      lif.recordMembrane = true;
      const spk = lif.forward(linear(X, W, b));
      const mem = lif.lastMembrane!;
      // loss = Σ (mean_t spk − target)² + 0.01·mean(mem²)
      const loss = add(sum(square(sub(meanLeading(spk), target))), scale(mean(square(mem)), 0.01));
      backward(loss);
      const rel = 1e-4;
      assert.deepEqual(Array.from(spk.data), flat(c.spk), `${name}: spikes`);
      assertClose(mem.data, flat(c.mem), dtype === 'ts64' ? 1e-12 : 1e-5, 0, `${name}: mem`);
      assertClose([loss.item()], [c.loss], 1e-12, rel, `${name}: loss`);
      assertClose(W.grad!.data, flat(c.dW), 1e-7, rel, `${name}: dW`);
      assertClose(b.grad!.data, c.db, 1e-7, rel, `${name}: db`);
    });
  }
});
