// eslint-disable-next-line @typescript-eslint/no-unused-vars
import type { Storage } from '../storage.js';

/** Loss and optimizer-update kernels. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TrainKernels {
  /** Marker so the family is never structurally empty; filled in by the family's implementation. */
  readonly trainFamily: true;
}
