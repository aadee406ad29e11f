/**
 * spikeflow/viz: plots as SVG text, from plain data, with no DOM and no Node
 * built-in (browser-safe). PNG rendering is Node-only: src/viz/png-node.ts.
 */
export { spikeRaster, type RasterInput, type RasterSample, type RasterOptions } from './raster.js';
export { membraneTraces, type Trace, type TracesInput } from './traces.js';
export { firingRateHistogram, spikeCountHeatmap, neuronHealth, histogram, type LayerRates, type HeatmapInput, type LayerHealth } from './rates.js';
export { trainingCurves, type EpochPoint } from './curves.js';
export { confusionMatrix, perClassAccuracy, classAccuracies } from './confusion.js';
export { energyBreakdown, energyUnit, type LayerEnergyRow, type EnergySplit } from './energy.js';
export { polarityFrames, channelRaster, binPolarity } from './events.js';
export { delayHistogram, type LayerDelays } from './delays.js';
export { exitFront, type ExitFrontInput, type LatencyPoint } from './early-exit.js';
export {
  runPlots,
  parseRunPlotData,
  parsePlotKind,
  RUN_PLOT_KINDS,
  type RunPlotData,
  type RunPlotKind,
  type RunPlotOptions,
  type PlotFile,
  type MeasuredLayer,
  type Recording,
  type RecordedLayer,
  type RecordedTrace,
} from './run.js';
export { accuracyEnergyScatter, accuracyVsSteps, type SweepPoint } from './sweep.js';
export { sequential, OKABE_ITO, CATEGORY } from './style.js';
