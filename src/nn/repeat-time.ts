import { ConfigError } from '../errors.js';
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
  private _steps: number;

  constructor(steps: number) {
    super();
    this._steps = RepeatTime.check(steps);
  }

  /** T, the number of steps a time-constant input is repeated to. */
  get steps(): number {
    return this._steps;
  }

  /**
   * Change T (a timestep schedule retrains the same model at fewer steps,
   * src/train/timestep-schedule.ts); the layer has no tensors, so nothing else changes.
   */
  setSteps(steps: number): void {
    this._steps = RepeatTime.check(steps);
  }

  private static check(steps: number): number {
    if (!(Number.isInteger(steps) && steps >= 1)) throw new ConfigError(`RepeatTime: steps must be a positive integer, got ${steps}`);
    return steps;
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
