import { NeuronModule } from '../../src/neurons/base.js';
import { Sequential } from '../../src/nn/containers.js';
import { Module } from '../../src/module/module.js';
import { Linear } from '../../src/nn/linear.js';
import { repeatTime } from '../../src/ops/shape.js';
import { empty } from '../../src/ops/util.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/**
 * Stand-in spiking layer for the analysis tests: stateless, spikes where the
 * input exceeds 0.5, output flagged binary. Its kind is configurable so the
 * tests can pick a row of the neuron cost table.
 */
export class ThresholdNeuron extends NeuronModule {
  constructor(private readonly k = 'Leaky') {
    super();
  }
  get kind(): string {
    return this.k;
  }
  forward(x: Tensor): Tensor {
    const out = empty(x.backend, x.shape, true);
    const xd = x.data;
    const od = out.data;
    for (let i = 0; i < x.size; i++) od[i] = xd[i]! > 0.5 ? 1 : 0;
    return out;
  }
  step(x: Tensor): Tensor {
    return this.forward(x);
  }
  detachState(): void {}
}

/** Stand-in for the direct-encoding time repeat. */
export class RepeatTimeStub extends Module {
  constructor(readonly steps: number) {
    super();
  }
  get kind(): string {
    return 'RepeatTime';
  }
  forward(x: Tensor): Tensor {
    return x.shape[0] === 1 ? repeatTime(x, this.steps) : x;
  }
}

/** Stand-in for a layer with no cost rule. */
export class Mystery extends Module {
  get kind(): string {
    return 'Mystery';
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** A Linear layer with the given weight rows (and bias, when given). */
export function fixedLinear(rows: number[][], bias?: number[]): Linear {
  const out = rows.length;
  const inF = rows[0]!.length;
  const l = new Linear(inF, out, new Rng(0), { bias: bias !== undefined });
  l.setTensor('weight', tensor(rows.flat(), [out, inF]));
  if (bias) l.setTensor('bias', tensor(bias, [out]));
  return l;
}

/**
 * The hand-checked model of the analysis tests: 4 → 4 (no bias) → spikes → 4 → 2 (bias) → spikes.
 * With INPUT the first spiking layer fires [2, 1, 4, 0] times over T·B = 4 rows,
 * the second [3, 4] times (see the counts in each test).
 */
export function handModel(): Sequential {
  return new Sequential([
    fixedLinear([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 1],
      [0, 0, 1, 0],
    ]),
    new ThresholdNeuron('Leaky'),
    fixedLinear(
      [
        [1, 1, 0, 0],
        [0, 0, 1, 1],
      ],
      [0, 0],
    ),
    new ThresholdNeuron('Leaky'),
  ]);
}

/** [T=2, B=2, 4]: rows t0b0, t0b1, t1b0, t1b1; 7 of 16 entries nonzero, real-valued (not flagged binary). */
export const INPUT = [1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1];
