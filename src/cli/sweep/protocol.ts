import type { TrainProgress } from '../commands/train-node.js';

/**
 * Messages a cell's worker process sends its parent (the local scheduler or a
 * queue worker) over the IPC channel of `fork`.
 */
export type ChildMessage =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'result'; status: 'done' | 'skipped' }
  | { type: 'error'; message: string; badInput: boolean };

/** Exit code of a cell process that stopped because its parent died (it must not finish a cell nobody waits for). */
export const ORPHAN_EXIT = 70;
