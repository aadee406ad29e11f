import type { Backend } from '../../backend/backend.js';
import { type ScanResult } from '../../ops/neuron.js';
import { izhikevichScan } from './scan.js';
import { full } from '../../tensor/create.js';
import type { Tensor } from '../../tensor/tensor.js';
import { readOptions, type OptionSpec, type OptionValues } from '../../registry/options.js';
import { surrogateOption } from '../options.js';
import { bindRule, ScanNeuron, type RuleBinding } from '../scan-neuron.js';
import { izhikevichRule } from './rule.js';
import { fastSigmoid, surrogateCode, type Surrogate, type SurrogateLike } from '../surrogate.js';

export interface IzhikevichOptions {
  /** Regular-spiking defaults: a = 0.02, b = 0.2, c = −65 mV, d = 8. */
  a?: number;
  b?: number;
  c?: number;
  d?: number;
  /** Spike cut-off in mV. Default 30. */
  vPeak?: number;
  detachReset?: boolean;
  /** Default fastSigmoid({ slope: 0.1 }): x is in mV here, so a flatter surrogate than the LIF default. */
  surrogate?: SurrogateLike;
  smoothSpikes?: boolean;
}

export const IZHIKEVICH_OPTIONS = {
  a: { type: 'number', default: 0.02, doc: 'recovery time scale (regular spiking: 0.02)' },
  b: { type: 'number', default: 0.2, doc: 'recovery sensitivity (0.2)' },
  c: { type: 'number', default: -65, doc: 'reset potential, mV (−65)' },
  d: { type: 'number', default: 8, doc: 'recovery jump after a spike (8)' },
  vPeak: { type: 'number', default: 30, doc: 'spike cut-off, mV' },
  detachReset: { type: 'boolean', default: true },
  surrogate: surrogateOption(() => fastSigmoid({ slope: 0.1 })),
  smoothSpikes: { type: 'boolean', default: false },
} as const satisfies OptionSpec;

type State = { v: Tensor; u: Tensor };

/**
 * Izhikevich (2003) neuron, one step per millisecond (two half steps for v).
 * Starts at rest: v = c, u = b·c. Input is the current I (≈10 gives tonic spiking
 * with the regular-spiking parameters).
 */
export class Izhikevich extends ScanNeuron<State> {
  private readonly o: OptionValues<typeof IZHIKEVICH_OPTIONS>;

  constructor(features: number[] | number, options: IzhikevichOptions = {}) {
    const o = readOptions(IZHIKEVICH_OPTIONS, options as Record<string, unknown>, 'Izhikevich');
    super(features);
    this.o = o;
  }

  get kind(): string {
    return 'Izhikevich';
  }

  protected initialState(stepShape: readonly number[], backend: Backend): State {
    return { v: full(stepShape, this.o.c, { backend }), u: full(stepShape, this.o.b * this.o.c, { backend }) };
  }

  override stepRule(_be: Backend): RuleBinding<State> {
    const { surrogate, smoothSpikes, ...k } = this.o;
    return bindRule(izhikevichRule, k, surrogateCode(surrogate, smoothSpikes), []);
  }

  protected scan(x: Tensor, st: State): ScanResult<State> {
    const o = this.o;
    return izhikevichScan(x, st, { a: o.a, b: o.b, c: o.c, d: o.d, vPeak: o.vPeak, detachReset: o.detachReset, surrogate: surrogateCode(o.surrogate, o.smoothSpikes) });
  }

  override describe(): Record<string, unknown> {
    const { surrogate, smoothSpikes, ...rest } = this.o;
    return { features: [...this.features], ...rest, surrogate: { name: surrogate.name, ...surrogate.params }, ...(smoothSpikes ? { smoothSpikes } : {}) };
  }
}
