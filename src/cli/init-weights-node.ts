import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, parseEmbeddedConfigText, type LoadedConfig } from '../config/load-node.js';
import { ConfigError, NotFoundError } from '../errors.js';
import type { Module } from '../module/module.js';
import { configFromWeights, loadModelWeights } from './weights-node.js';

/*
 * `spikeflow train --weights FILE`: start training from the weights of a
 * model.safetensors (an imported NIR graph, another run) instead of a fresh
 * initialisation. Unlike --resume it starts a new run: epoch 1, a fresh
 * optimizer and schedule. Kept out of train-node.ts so that file only calls
 * these two functions.
 */

/** The run's config: --config when given, else the one the weights file embeds (with --set applied). */
export function configForInitWeights(weights: string, configFile: string | undefined, sets: string[]): LoadedConfig {
  const path = resolve(weights);
  if (!existsSync(path)) throw new NotFoundError(`--weights: file not found: ${path}`);
  if (configFile !== undefined) return loadConfig(configFile, sets);
  const text = configFromWeights(path);
  if (!text) throw new ConfigError(`--weights: ${path} carries no config; pass --config`);
  return { config: parseEmbeddedConfigText(text, `${path} (embedded config)`, sets), source: `${path} (embedded config)` };
}

/**
 * Replace the freshly built model's parameters by the file's. Call before the
 * optimizer is made: loading replaces the parameter tensors the optimizer
 * would otherwise hold.
 */
export function applyInitWeights(weights: string, model: Module, resume: string | undefined, opts: { allowNonFinite?: boolean } = {}): void {
  if (resume !== undefined) throw new ConfigError('--weights and --resume exclude each other: --resume continues a run (its checkpoint has the weights), --weights starts a new run from weights');
  // A float model's weights may start quantization-aware training: the steps are then initialised from them.
  loadModelWeights(resolve(weights), model, { floatIntoQuantized: true, allowNonFinite: opts.allowNonFinite ?? false });
}
