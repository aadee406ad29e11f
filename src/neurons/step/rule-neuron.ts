import type { Backend } from '../../backend/backend.js';
import type { SurrogateCode } from '../../backend/kernels/neuron.js';
import type { ScanResult } from '../../ops/neuron.js';
import { zeros } from '../../tensor/create.js';
import type { Tensor } from '../../tensor/tensor.js';
import { bindRule, ScanNeuron, type RuleBinding, type StateDict } from '../scan-neuron.js';
import type { StepRule } from './rule.js';

/**
 * A neuron layer defined by a step rule alone: the model supplies the rule,
 * its settings, the surrogate and the parameter tensors (in the rule's
 * order), and the generic scan (./scan.ts) runs it forward and backward on
 * every backend. State starts at zero unless the model overrides
 * `initialValue`. A model that later gets a fused kernel overrides `scan`.
 */
export abstract class RuleNeuron<K> extends ScanNeuron<StateDict> {
  protected abstract readonly rule: StepRule<K>;
  /** Settings handed to the rule (plain numbers and flags). */
  protected abstract ruleSettings(): K;
  protected abstract surrogateCode(): SurrogateCode;
  /** Parameter tensors in `rule.params` order (learned ones are module parameters, fixed ones cached settings). */
  protected abstract ruleParams(backend: Backend): Tensor[];

  /** Resting value of state variable `name` (default 0). */
  protected initialValue(_name: string): number {
    return 0;
  }

  protected initialState(stepShape: readonly number[], backend: Backend): StateDict {
    const st: StateDict = {};
    for (const name of this.rule.state) {
      const t = zeros(stepShape, { backend });
      const v = this.initialValue(name);
      if (v !== 0) backend.fill(t.storage, v);
      st[name] = t;
    }
    return st;
  }

  override stepRule(backend: Backend): RuleBinding<StateDict> {
    return bindRule(this.rule, this.ruleSettings(), this.surrogateCode(), this.ruleParams(backend));
  }

  protected scan(x: Tensor, st: StateDict): ScanResult<StateDict> {
    return this.scanStepRule(x, st);
  }
}
