import { noGrad } from '../autograd/tape.js';
import type { Module } from '../module/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { estimateEnergy, type EnergyOptions, type EnergyReport } from './energy.js';
import { SpikeMonitor, type MonitorSummary, type SummaryOptions } from './monitor.js';
import { countOps, type OpsOptions, type OpsReport } from './ops-count.js';

export interface ProfileResult {
  summary: MonitorSummary;
  ops: OpsReport;
  energy: EnergyReport;
}

/**
 * Measure a model on a set of input sequences: each batch starts from reset
 * neuron state, runs in eval mode without recording, and the counts and energy
 * are derived from the accumulated statistics. The model's train/eval mode is
 * restored afterwards. `perNeuron` keeps every neuron's rate in the summary
 * (the CLI's firing-rate plots use them).
 */
export function profileModel(model: Module, batches: Iterable<Tensor>, opts: OpsOptions & EnergyOptions & SummaryOptions = {}): ProfileResult {
  const monitor = new SpikeMonitor(model);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (const x of batches) {
        model.resetState();
        monitor.forward(x);
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const summary = monitor.summary({ perNeuron: opts.perNeuron ?? false });
  const ops = countOps(summary, opts);
  return { summary, ops, energy: estimateEnergy(ops, opts) };
}
