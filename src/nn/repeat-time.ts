import { repeatTime } from '../ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../module/module.js';

/**
 * Turns a time-constant input `[1, B, ...]` into `[T, B, ...]`. Placed by the
 * model builder right before the first stateful layer under direct encoding,
 * so the stateless layers in front of it (the encoding layer) run once instead
 * of T times — the same numbers, T times fewer MACs, and what the energy model
 * counts. An input that already has T steps passes through unchanged.
 */
export class RepeatTime extends Module {
  constructor(readonly steps: number) {
    super();
  }

  get kind(): string {
    return 'RepeatTime';
  }

  forward(x: Tensor): Tensor {
    return x.shape[0] === 1 && this.steps > 1 ? repeatTime(x, this.steps) : x;
  }

  override describe(): Record<string, unknown> {
    return { steps: this.steps };
  }
}
