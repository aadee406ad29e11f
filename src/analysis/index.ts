export { SpikeMonitor, type LayerStats, type MonitorSummary, type MonitorForwardOptions, type NeuronStats, type SummaryOptions } from './monitor.js';
export { categorize, poolWindowOf, type LayerCategory } from './layer-kinds.js';
export { NEURON_COSTS, LIF_COST, neuronCostOf, neuronCosts } from './neuron-costs.js';
export { countOps, levelBits, OPS_ASSUMPTIONS, type LayerOps, type OpsOptions, type OpsReport, type OpsTotals } from './ops-count.js';
export {
  estimateEnergy,
  quantizedEnergy,
  intOpEnergy,
  QUANTIZED_ENERGY_ASSUMPTIONS,
  accessEnergyPJ,
  memoryTier,
  ENERGY_ASSUMPTIONS,
  MEMORY_TIERS,
  OP_ENERGY_PJ,
  PRECISIONS,
  precisionWidths,
  type RowWidths,
  type RowDescription,
  type EnergyBreakdown,
  type EnergyOptions,
  type EnergyReport,
  type EnergyResult,
  type LayerEnergy,
  type MemoryTier,
  type OpEnergy,
  type Precision,
} from './energy.js';
export { formatAssumptions, formatCount, formatEnergy, formatEnergyLayerTable, formatEnergyTable, formatLayerTable, formatWidths, formatQuantizedComparison } from './report.js';
export { profileModel, type ProfileResult } from './profile.js';
export { Recorder, record, type RecordOptions, type RecordResult, type RecordedVariable, type LayerRecording } from './recorder.js';
export { forwardLayerByLayer, type LayerVisitor, type LayerRange, type WalkOptions } from './walk.js';
