import { Registry, type RegistryEntry } from '../registry/registry.js';
import type { SplitDataset } from './dataset.js';
import type { EmulatedNmnistSpec } from './events/nmnist-emulated.js';

/*
 * The datasets a config's `data.dataset` can name. This module is
 * browser-safe and starts empty: loaders that read files register from the
 * Node side (src/data/datasets-node.ts registers mnist, fashion-mnist, idx and
 * nmnist-emulated), and a browser page registers its own entry, or passes a
 * SplitDataset to buildSession and leaves the registry alone.
 */

/** What a loader is asked for: the config's `data` block, in the library's terms. */
export interface DatasetRequest {
  /** Directory with the dataset files (for nmnist-emulated: of the source MNIST digits). */
  dataDir?: string;
  /** Keep only the first N samples of each split (generated datasets then generate only those). */
  trainLimit?: number | null;
  testLimit?: number | null;
  /** Temporal datasets: time bins per sample. */
  frames?: number;
  /** nmnist-emulated generation parameters other than the bins (defaults: EMULATED_NMNIST_DEFAULTS). */
  emulation?: Partial<Omit<EmulatedNmnistSpec, 'bins' | 'emulator'>> & { emulator?: Partial<EmulatedNmnistSpec['emulator']> };
  /**
   * The entry's own options (`data.options` of a config), as a config spells
   * them (snake_case); the entry reads them with its option spec
   * (`readConfigOptions`), so a direct caller gets the same checks as a config.
   */
  options?: Readonly<Record<string, unknown>>;
  /** Cache folder for generated or converted datasets; null: no cache; undefined: the loader's default. */
  cacheDir?: string | null;
  /** Most bytes one data file may hold once decompressed (limits.data_bytes; default DEFAULT_LIMITS.dataBytes). Loaders that read files check it before reading or inflating. */
  maxDataBytes?: number;
  log?: (line: string) => void;
}

export interface DatasetEntry extends RegistryEntry {
  /**
   * Samples are already time sequences [T, ...] (event data): the run needs
   * the `frames` encoder, and `data.frames` (default encoder.steps) bins.
   */
  readonly temporal: boolean;
  /** Both splits, with `trainLimit` / `testLimit` applied. */
  load(request: DatasetRequest): SplitDataset;
}

export const datasetRegistry = new Registry<DatasetEntry>('dataset');
