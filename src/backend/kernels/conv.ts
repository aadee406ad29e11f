// eslint-disable-next-line @typescript-eslint/no-unused-vars
import type { Storage } from '../storage.js';

/** Convolution (1d/2d, stride, padding, dilation, groups), pooling and batch-norm kernels. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ConvKernels {
  /** Marker so the family is never structurally empty; filled in by the family's implementation. */
  readonly convFamily: true;
}
