import type { Backend } from '../backend/backend.js';
import type { Module } from '../module/module.js';
import { profileModel } from '../analysis/profile.js';
import { OP_ENERGY_PJ } from '../analysis/energy.js';
import { Rng } from '../tensor/rng.js';
import { evalBatches, evaluateBpc } from './evaluate.js';
import { generate } from './generate.js';

/*
 * What `spikeflow eval` reports for a language model: held-out bits per
 * character and perplexity, the firing rate of every neuron layer, operations
 * and energy per token from the analysis module's counts (synaptic
 * accumulates where a layer's input is spikes, multiply-accumulates where it
 * is real), and recurrent generation speed.
 */

export interface LmMeasureOptions {
  context: number;
  batchSize: number;
  maxTokens: number;
  speedTokens: number;
  backend: Backend;
}

export interface LmMeasurement {
  testTokens: number;
  bpc: number;
  /** Per character: 2^bpc. */
  perplexity: number;
  firingRates: { layer: string; rate: number }[];
  perToken: {
    macs: number;
    sops: number;
    /** The same network with every input dense and real (the ANN count). */
    denseMacs: number;
    /** Compute energy at 45 nm fp32 (pJ): the spiking model's (analysis/energy.ts), and denseMacs at one fp32 MAC each. */
    energyPJ: number;
    annEnergyPJ: number;
  };
  tokensPerSecond: number;
  speedTokens: number;
  /** Rows the analysis could not price (counted as zero). */
  uncounted: string[];
}

export function lmMeasure(model: Module, test: Int32Array, o: LmMeasureOptions): LmMeasurement {
  const T = o.context;
  const bpc = evaluateBpc(model, test, T, o.batchSize, o.maxTokens);
  const testTokens = Math.floor(Math.min(test.length - 1, o.maxTokens) / T) * T;
  // Counts on a few windows of the test text (rates settle within a batch; the whole split would cost another pass).
  const batches = [...evalBatches(test, T, o.batchSize, Math.min(o.maxTokens, 4 * o.batchSize * T))].map((b) => b.x);
  const prof = profileModel(model, batches, { precisions: ['fp32'] });
  const perToken = 1 / T;
  const row = prof.energy.results[0]!;
  // The ANN twin's count: every synaptic row at full density as multiply-accumulates, and the ops of the
  // composite layers (WKV, gates, attention, GELU) at their dense count (the analysis's own ANN totals run
  // the network once, not per token, and leave out the rows inside composite layers: nearly all of a block).
  const denseMacs = prof.ops.layers.reduce((a, l) => a + (l.category === 'op' ? l.ann.macs * Math.max(1, l.steps) : l.denseMacsPerStep * l.steps), 0);
  const firingRates = prof.summary.layers.filter((l) => l.isNeuron).map((l) => ({ layer: l.path, rate: l.outputDensity }));
  const speed = generate(model, test.subarray(0, 1), { tokens: o.speedTokens, temperature: 1, topP: 1, rng: new Rng(0), backend: o.backend });
  return {
    testTokens,
    bpc,
    perplexity: Math.pow(2, bpc),
    firingRates,
    perToken: {
      macs: prof.ops.totals.macs * perToken,
      sops: prof.ops.totals.sops * perToken,
      denseMacs: denseMacs * perToken,
      energyPJ: row.snn.computePJ * perToken,
      annEnergyPJ: denseMacs * OP_ENERGY_PJ.fp32.mac * perToken,
    },
    tokensPerSecond: speed.tokensPerSecond,
    speedTokens: o.speedTokens,
    uncounted: prof.ops.uncounted,
  };
}
