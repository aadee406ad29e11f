import type { NeuronEntry } from '../entry.js';
import { MULTILEVEL_OPTIONS, MultiLevel, type MultiLevelOptions } from './model.js';

export { MultiLevel, MULTILEVEL_OPTIONS, type MultiLevelOptions };
export { multiLevelRule, type MultiLevelRuleSettings } from './rule.js';

/**
 * `type: multilevel` in configs. Cost per neuron and step, the default soft
 * reset written the cheapest straightforward way: the charge β·v + x is 1 MAC;
 * the count round(h·(1/θ)) is one multiply (1 MAC) and a rounding (1 AC), the
 * clamp to [0, D] two comparisons (2 AC); the soft reset h − c·θ is 1 MAC (c
 * is an integer up to D, not a 0/1 select). The normalization c/D folds into
 * the next layer's weights and is not counted. One state word (v).
 */
export const multiLevelEntry: NeuronEntry = {
  name: 'multilevel',
  aliases: ['multi_level', 'ilif'],
  doc: 'multi-level integer-spike LIF (I-LIF, QSD-Transformer): counts 0..D per step, straight-through surrogate',
  options: MULTILEVEL_OPTIONS,
  kind: 'MultiLevel',
  cost: { macs: 3, acs: 3, stateWords: 1 },
  make: (features, options) => new MultiLevel(features, options as MultiLevelOptions),
};
