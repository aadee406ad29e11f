import type { NirPrimitiveType } from './types.js';

/*
 * The documented fields of every NIR primitive, as the reference package
 * writes them. The reader rejects anything else (the reference reader does
 * too), so a misspelt or newer field is never silently dropped.
 */

/** float: a float array of any rank; int: an int array; intScalar: one integer; intOrString: int array or 'same'/'valid'. */
export type FieldKind = 'float' | 'int' | 'intScalar' | 'intOrString';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** Absent in older files: filled from another field (zeros or ones shaped like it). */
  optional?: { like: string; fill: number } | 'omit';
}

const f = (name: string, optional?: FieldSpec['optional']): FieldSpec => ({ name, kind: 'float', ...(optional ? { optional } : {}) });
const i = (name: string, kind: FieldKind = 'int', optional?: FieldSpec['optional']): FieldSpec => ({ name, kind, ...(optional ? { optional } : {}) });

const conv = (): FieldSpec[] => [f('weight'), f('bias'), i('stride'), i('padding', 'intOrString'), i('dilation'), i('groups', 'intScalar'), i('input_shape', 'int', 'omit')];
const pool = (): FieldSpec[] => [i('kernel_size'), i('stride'), i('padding')];

export const NIR_SCHEMA: Record<NirPrimitiveType, readonly FieldSpec[]> = {
  Input: [i('shape')],
  Output: [i('shape')],
  Affine: [f('weight'), f('bias')],
  Linear: [f('weight')],
  Scale: [f('scale')],
  Conv1d: conv(),
  Conv2d: conv(),
  SumPool2d: pool(),
  AvgPool2d: pool(),
  Flatten: [i('start_dim', 'intScalar'), i('end_dim', 'intScalar'), i('input_type', 'int', 'omit')],
  Delay: [f('delay')],
  Threshold: [f('threshold')],
  I: [f('r')],
  IF: [f('r'), f('v_threshold'), f('v_reset', { like: 'v_threshold', fill: 0 })],
  LI: [f('tau'), f('r'), f('v_leak')],
  LIF: [f('tau'), f('r'), f('v_leak'), f('v_threshold'), f('v_reset', { like: 'v_threshold', fill: 0 })],
  CubaLI: [f('tau_syn'), f('tau_mem'), f('r'), f('v_leak'), f('w_in', { like: 'v_leak', fill: 1 })],
  CubaLIF: [f('tau_syn'), f('tau_mem'), f('r'), f('v_leak'), f('v_threshold'), f('v_reset', { like: 'v_threshold', fill: 0 }), f('w_in', { like: 'v_threshold', fill: 1 })],
};

/** Neuron types whose parameters must all share one shape (the layer's shape). */
export const NEURON_PARAMS: Partial<Record<NirPrimitiveType, readonly string[]>> = {
  I: ['r'],
  IF: ['r', 'v_threshold', 'v_reset'],
  LI: ['tau', 'r', 'v_leak'],
  LIF: ['tau', 'r', 'v_leak', 'v_threshold', 'v_reset'],
  CubaLI: ['tau_syn', 'tau_mem', 'r', 'v_leak', 'w_in'],
  CubaLIF: ['tau_syn', 'tau_mem', 'r', 'v_leak', 'v_threshold', 'v_reset', 'w_in'],
  Delay: ['delay'],
  Threshold: ['threshold'],
  Scale: ['scale'],
};
