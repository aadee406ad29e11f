import type { Backend } from '../backend/backend.js';
import type { Storage } from '../backend/storage.js';

/**
 * Where a stage reads its input and writes its output. A slot's storage is
 * fixed when the plan is compiled, except the plan's input slot, which points
 * at the caller's input each step. `binary` says the values are 0/1 (spikes):
 * fixed for a neuron's output, the input's flag for the plan's input, so the
 * event-driven kernels are chosen exactly as the ops choose them.
 */
export interface Slot {
  storage: Storage;
  binary: boolean;
}

/** One entry of a compiled plan: a fixed kernel sequence from its input slot to its output slot. */
export interface Stage {
  /** The layer it runs, as `model.layers[i] (Kind)`. */
  readonly where: string;
  /** What it runs, for describe(): 'linear', 'conv2d', 'maxpool2d', 'batchnorm', 'neuron', 'copy'. */
  readonly op: string;
  run(): void;
  /** Back to the initial state (stateful stages only). */
  reset?(): void;
  /** Every storage the stage owns. */
  storages(): Storage[];
  /** Which kernel path each step took so far, counted (e.g. { event: 24, dense: 1 }). */
  readonly paths: Record<string, number>;
}

/** Fraction of nonzeros of a slot's values (the ops' `countNonzero / size`). */
export function slotDensity(be: Backend, s: Slot, n: number): number {
  return n > 0 ? be.countNonzero(s.storage) / n : 1;
}

/** Copies a slot into storage of its own: a plan whose layers are all views (flatten, dropout) still owns its output. */
export function copyStage(be: Backend, where: string, input: Slot, out: Slot, n: number): Stage {
  const paths = { copy: 0 };
  return {
    where,
    op: 'copy',
    paths,
    run() {
      be.copy(input.storage, 0, out.storage, 0, n);
      out.binary = input.binary;
      paths.copy++;
    },
    storages: () => [out.storage],
  };
}
