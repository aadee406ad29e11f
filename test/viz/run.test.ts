import test from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { parsePlotKind, parseRunPlotData, runPlots } from '../../src/viz/run.js';
import { tinyRun } from './tiny-run.js';

test('runPlots: every kind from a complete run, named for plots/', () => {
  const names = runPlots(tinyRun()).map((p) => p.name);
  assert.deepEqual(names, ['curves.svg', 'raster-1.svg', 'traces-1.svg', 'firing-rates.svg', 'heatmap-1.svg', 'neurons.svg', 'confusion.svg', 'class-accuracy.svg', 'energy.svg']);
  const [t] = runPlots(tinyRun(), { what: ['traces'], sample: 1 });
  assert.match(t!.svg, /neuron 2/);
  assert.doesNotMatch(t!.svg, /neuron 1</, 'only the chosen sample\'s traces');
});

test('runPlots: --sample picks one raster panel; --layer by path or path:kind', () => {
  const [r] = runPlots(tinyRun(), { what: ['raster'], sample: 1, layer: '1:LIF' });
  assert.match(r!.svg, /1 spikes in 1 sample/);
  assert.match(r!.svg, /sample 1 · label 1 · pred\. 1/);
});

test('runPlots: unknown layer, sample out of range, missing data and unknown kinds are ConfigErrors', () => {
  assert.throws(() => runPlots(tinyRun(), { layer: '7' }), (e: Error) => e instanceof ConfigError && /--layer 7: no such spiking layer .*1:LIF/.test(e.message));
  assert.throws(() => runPlots(tinyRun(), { sample: 2 }), /--sample 2: the run recorded 2 test samples/);
  assert.throws(() => runPlots({ ...tinyRun(), recording: null }, { what: ['raster'] }), /--what raster: the run recorded no spikes/);
  assert.deepEqual(runPlots({ ...tinyRun(), recording: null }).map((p) => p.name).includes('raster-1.svg'), false, 'without --what, plots the data lacks are skipped');
  assert.throws(() => parsePlotKind('histogram'), /--what histogram: unknown plot/);
  assert.throws(() => parseRunPlotData('{"format":"x"}', 'f.json'), /f\.json: not a spikeflow plot-data file/);
  assert.throws(() => parseRunPlotData('nope', 'f.json'), /f\.json: not JSON/);
});
