// The sweep report's pure parts on hand-made summaries: the compared energy
// row, grouping over seeds (mean ± sample std), the table and the plots.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { groupResults, groupTable, meanStd, parseReportPrecision, pickEnergyRow, plotPoints, type CellResult } from '../../src/cli/sweep/report.js';
import type { Plan, PlanCell } from '../../src/cli/sweep/plan-node.js';
import type { EnergySummary, RunSummary } from '../../src/cli/report.js';
import { accuracyEnergyScatter, accuracyVsSteps } from '../../src/viz/sweep.js';

function energy(snn: number, ann: number, annFp32: number, weights = 'fp32'): EnergySummary {
  return {
    weights,
    activation_bits: 8,
    state_bits: 8,
    snn_compute_pj: snn / 2,
    snn_total_pj: snn,
    snn_weight_pj: snn / 4,
    snn_activation_pj: snn / 8,
    snn_state_pj: snn / 8,
    ann_compute_pj: ann / 2,
    ann_total_pj: ann,
    ann_fp32_compute_pj: annFp32 / 2,
    ann_fp32_total_pj: annFp32,
    snn_wins: snn < Math.min(ann, annFp32),
  };
}

function summary(accuracy: number, T: number, rows: Record<string, EnergySummary>): RunSummary {
  return { accuracy, timesteps: T, energy: rows, parameters: 100, train_time_s: 2, mean_spike_rate: 0.05, peak_rss_bytes: 2e8 } as unknown as RunSummary;
}

const PLAN: Plan = {
  version: 1,
  name: 'r',
  matrix: '/m.yaml',
  base: '/b.yaml',
  axes: [
    { name: 'T', kind: 'key', keys: ['encoder.steps'], values: ['2', '4'] },
    { name: 'seed', kind: 'key', keys: ['seed'], values: ['1', '2'] },
  ],
  seed_axes: ['seed'],
  cells: [],
};

function result(T: number, seed: number, acc: number, s: RunSummary, precision: Parameters<typeof pickEnergyRow>[1] = 'auto'): CellResult {
  const cell: PlanCell = { id: `c${T}${seed}`, label: `T=${T} seed=${seed}`, axes: { T: String(T), seed: String(seed) }, values: { T, seed }, config: '', dir: '' };
  const { row, energy: e } = pickEnergyRow(s, precision, cell.id);
  return { cell, summary: { ...s, accuracy: acc }, row, energy: e };
}

test('the compared row: auto is the quantized row, else int8; an explicit missing row names the cell', () => {
  const float = summary(0.9, 4, { fp32: energy(100, 120, 120), int8: energy(10, 9, 120, 'int8') });
  assert.equal(pickEnergyRow(float, 'auto', 'x').row, 'int8');
  const q = summary(0.9, 4, { fp32: energy(100, 120, 120), int8: energy(10, 9, 120, 'int8'), quantized: energy(5, 6, 120, 'int4/fp32') });
  assert.equal(pickEnergyRow(q, 'auto', 'x').row, 'quantized');
  assert.equal(pickEnergyRow(q, 'fp32', 'x').energy.snn_total_pj, 100);
  assert.throws(() => pickEnergyRow(float, 'int4', 'cellx'), (e: unknown) => e instanceof ConfigError && /cell cellx: summary\.json has no energy row 'int4' \(rows: fp32, int8\)/.test((e as Error).message));
  assert.throws(() => parseReportPrecision('int3'), /--precision: expected one of auto, fp32, fp16, int8, int4, quantized, got 'int3'/);
});

test('groups average over the seed axis: mean ± sample standard deviation, energies, wins', () => {
  assert.deepEqual(meanStd([1]), { mean: 1, std: null });
  const m = meanStd([0.9, 0.92, 0.94]);
  assert.ok(Math.abs(m.mean - 0.92) < 1e-12 && Math.abs(m.std! - 0.02) < 1e-12, 'n − 1 in the variance');
  const s = (snn: number) => summary(0, 0, { fp32: energy(snn * 10, 1000, 1000), int8: energy(snn, 90, 1000, 'int8') });
  const results = [
    result(2, 1, 0.9, { ...s(80), timesteps: 2 }),
    result(2, 2, 0.94, { ...s(100), timesteps: 2 }),
    result(4, 1, 0.95, { ...s(120), timesteps: 4 }),
  ];
  const groups = groupResults(PLAN, results);
  assert.deepEqual(groups.map((g) => g.label), ['T=2', 'T=4']);
  const [g2, g4] = groups;
  assert.equal(g2!.cells.length, 2);
  assert.ok(Math.abs(g2!.accuracy.mean - 0.92) < 1e-12);
  assert.ok(Math.abs(g2!.accuracy.std! - Math.sqrt(0.0008)) < 1e-12);
  assert.equal(g2!.snnRowPJ, 90);
  assert.equal(g2!.qannRowPJ, 90);
  assert.equal(g2!.winsRow, 1, 'one seed below 90 pJ');
  assert.equal(g2!.winsFp32, 1, '800 pJ < 1 nJ, 1 nJ is not');
  assert.equal(g4!.accuracy.std, null);
  const table = groupTable(PLAN, groups).split('\n');
  assert.equal(table[0], '| T | seeds | accuracy (%) | T | SNN fp32 | ANN fp32 | SNN int8 | quantized ANN int8 | SNN wins (fp32 / int8) | spike rate | params | train time (s) | peak memory |');
  assert.equal(table[2], '| 2 | 2 | 92.00 ± 2.83 | 2 | 900 pJ | 1.00 nJ | 90.0 pJ | 90.0 pJ | 1 of 2 / 1 of 2 | 5.0% | 100 | 2.0 ± 0.0 | 200 MB |');
  assert.match(table[3]!, /^\| 4 \| 1 \| 95\.00 \| 4 \| .* \| no \/ no \|/);
  const { points, stepsVary } = plotPoints(PLAN, groups);
  assert.equal(stepsVary, true);
  assert.deepEqual(points.map((p) => [p.series, p.steps, p.energyPJ]), [['r', 2, 90], ['r', 4, 120]]);
  const svg = accuracyEnergyScatter(points, { references: [{ label: 'quantized ANN', energyPJ: 90 }] });
  assert.match(svg, /^<svg /);
  assert.equal((svg.match(/class="point"/g) ?? []).length, 2);
  assert.match(svg, /class="reference"/);
  assert.match(svg, /class="error-bar"/);
  assert.equal((accuracyVsSteps(points).match(/class="point"/g) ?? []).length, 2);
  assert.throws(() => accuracyEnergyScatter([{ ...points[0]!, energyPJ: 0 }]), ShapeError);
  assert.throws(() => accuracyVsSteps([]), ShapeError);
});
