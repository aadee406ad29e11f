import type { EnergyReport, EnergyResult } from './energy.js';
import type { MonitorSummary } from './monitor.js';
import type { OpsReport } from './ops-count.js';

/** Counts: exact below 10 000, else three significant digits with k/M/G/T. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a < 1e4) {
    if (Number.isInteger(n)) return String(n);
    const p = n.toPrecision(4);
    return p.includes('.') && !p.includes('e') ? p.replace(/0+$/, '').replace(/\.$/, '') : p;
  }
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [v, u] of units) if (a >= v) return `${(n / v).toPrecision(3)}${u}`;
  return String(n);
}

/** Energy given in pJ, printed in the largest unit that keeps it ≥ 1. */
export function formatEnergy(pJ: number): string {
  const units: [number, string][] = [[1e9, 'mJ'], [1e6, 'µJ'], [1e3, 'nJ']];
  const a = Math.abs(pJ);
  for (const [v, u] of units) if (a >= v) return `${(pJ / v).toPrecision(3)} ${u}`;
  return `${pJ.toPrecision(3)} pJ`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

function shapeStr(full: readonly number[]): string {
  const f = full.slice(2);
  return f.length === 0 ? '–' : f.join('×');
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/**
 * Markdown table of the monitored layers (shapes per sample and step, steps run,
 * input density, spike rate, dead/saturated neurons), with the operation counts
 * per sample when `ops` is given.
 */
export function formatLayerTable(summary: MonitorSummary, ops?: OpsReport): string {
  const head = ['Layer', 'Input', 'Output', 'Steps', 'Input density', 'Spike rate', 'Dead', 'Saturated'];
  if (ops) head.push('MACs', 'SOPs', 'ACs', 'Neuron ops');
  const lines = [row(head), row(head.map((_, i) => (i === 0 ? '---' : '---:')))];
  summary.layers.forEach((L, i) => {
    const n = L.neuron;
    const cells = [
      L.name,
      shapeStr(L.inputShape),
      shapeStr(L.outputShape),
      formatCount(L.steps),
      pct(L.inputDensity) + (L.inputBinary ? ' (spikes)' : ''),
      n ? pct(n.rate) : '',
      n ? `${n.dead}/${n.neurons}` : '',
      n ? `${n.saturated}/${n.neurons}` : '',
    ];
    if (ops) {
      const o = ops.layers[i];
      cells.push(
        o ? formatCount(o.macs) : '',
        o ? formatCount(o.sops) : '',
        o ? formatCount(o.acs) : '',
        o ? formatCount(o.neuronMacs + o.neuronAcs) : '',
      );
    }
    lines.push(row(cells));
  });
  if (ops) {
    const t = ops.totals;
    lines.push(row(['**total**', '', '', '', '', pct(summary.meanRate), '', '', formatCount(t.macs), formatCount(t.sops), formatCount(t.acs), formatCount(t.neuronMacs + t.neuronAcs)]));
  }
  return lines.join('\n');
}

/** A row's widths in a table cell: weights / real-valued activations / neuron state. */
export function formatWidths(r: EnergyResult): string {
  return `${r.widths.weights} / ${r.widths.activationBits} b / ${r.widths.stateBits} b`;
}

/**
 * Markdown table: per row (a precision, or the quantized model), the SNN, the
 * equivalent ANN at the same widths (for an integer row the bit-width-matched
 * quantized ANN) and the fp32 ANN, compute-only and memory-inclusive, and
 * whether the SNN wins against both.
 */
export function formatEnergyTable(report: EnergyReport): string {
  const head = ['Row', 'Weights / activations / state', 'SNN compute', 'SNN compute + memory', 'ANN compute', 'ANN compute + memory', 'fp32 ANN compute + memory', 'ANN/SNN compute', 'ANN/SNN total', 'SNN wins'];
  const lines = [row(head), row(head.map((_, i) => (i < 2 ? '---' : '---:')))];
  const r2 = (x: number | null): string => (x === null ? '–' : `${x.toFixed(2)}×`);
  for (const r of report.results) {
    lines.push(
      row([
        r.label ? `${r.precision} (${r.label})` : r.precision,
        formatWidths(r),
        formatEnergy(r.snn.computePJ),
        formatEnergy(r.snn.totalPJ),
        formatEnergy(r.ann.computePJ),
        formatEnergy(r.ann.totalPJ),
        formatEnergy(r.annFp32.totalPJ),
        r2(r.annOverSnnCompute),
        r2(r.annOverSnnTotal),
        r.snnWins ? 'yes' : 'no',
      ]),
    );
  }
  return lines.join('\n');
}

/**
 * Markdown table of one row's energy by layer: the layer's input density and
 * spike rate (the sparsity the figures rest on), its synaptic operations, and
 * the SNN's compute, weight, activation and state energy beside the ANN's
 * total at the same widths.
 */
export function formatEnergyLayerTable(report: EnergyReport, ops: OpsReport, precision: EnergyResult['precision'] = report.results[0]?.precision ?? 'fp32'): string {
  const r = report.results.find((x) => x.precision === precision);
  if (!r) return '';
  const head = ['Layer', 'Input density', 'Spike rate', 'SOPs', 'MACs', 'Compute', 'Weights', 'Activations', 'State', 'SNN total', 'ANN total'];
  const lines = [row(head), row(head.map((_, i) => (i === 0 ? '---' : '---:')))];
  r.snn.layers.forEach((l, i) => {
    const o = ops.layers[i];
    const a = r.ann.layers[i];
    if (!o || !a || l.computePJ + l.memoryPJ + a.computePJ + a.memoryPJ === 0) return;
    lines.push(
      row([
        l.name,
        pct(o.inputDensity) + (o.inputBinary ? ' (spikes)' : ''),
        o.category === 'neuron' ? pct(o.outputDensity) : '',
        formatCount(o.sops),
        formatCount(o.macs),
        formatEnergy(l.computePJ),
        formatEnergy(l.weightPJ),
        formatEnergy(l.activationPJ),
        formatEnergy(l.statePJ),
        formatEnergy(l.computePJ + l.memoryPJ),
        formatEnergy(a.computePJ + a.memoryPJ),
      ]),
    );
  });
  const s = r.snn;
  lines.push(row(['**total**', '', '', '', '', formatEnergy(s.computePJ), formatEnergy(s.weightPJ), formatEnergy(s.activationPJ), formatEnergy(s.statePJ), formatEnergy(s.totalPJ), formatEnergy(r.ann.totalPJ)]));
  return lines.join('\n');
}

/**
 * The comparison a quantized model is judged by: the quantized SNN, the same
 * SNN in fp32 and the equivalent ANN quantized the same way, per sample,
 * compute-only and memory-inclusive. Empty when the report has no quantized row.
 */
export function formatQuantizedComparison(report: EnergyReport): string {
  const q = report.results.find((r) => r.precision === 'quantized');
  const f = report.results.find((r) => r.precision === 'fp32');
  if (!q) return '';
  const head = ['Model', 'Compute', 'Compute + memory'];
  const lines = [row(head), row(['---', '---:', '---:'])];
  if (f) lines.push(row(['fp32 SNN', formatEnergy(f.snn.computePJ), formatEnergy(f.snn.totalPJ)]));
  lines.push(row([`quantized SNN (${q.label ?? ''})`, formatEnergy(q.snn.computePJ), formatEnergy(q.snn.totalPJ)]));
  lines.push(row(['equivalent ANN, quantized the same way', formatEnergy(q.ann.computePJ), formatEnergy(q.ann.totalPJ)]));
  return lines.join('\n');
}

/** The assumptions as a markdown bullet list (to print under the tables). */
export function formatAssumptions(assumptions: readonly string[]): string {
  return assumptions.map((a) => `- ${a}`).join('\n');
}
