/*
 * Size budgets checked before memory is allocated for something an untrusted
 * file or config declares: a data file's decompressed payload, a model's
 * parameters, one layer's per-sample output. A header that declares more
 * than the budget is refused from the header alone, so a 10 MB file cannot
 * make the process inflate or allocate gigabytes first. Browser-safe.
 */

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** The budgets (bytes). The config's `limits` section sets them for a run (docs/config.md). */
export interface SizeLimits {
  /** Most bytes one data file may hold once decompressed (IDX payload, a CIFAR batch file). */
  readonly dataBytes: number;
  /** Most bytes of model parameters (float32, all layers together). */
  readonly parameterBytes: number;
  /** Most bytes of one layer's output for one sample and one time step (float32). */
  readonly activationBytes: number;
}

export const DEFAULT_LIMITS: SizeLimits = Object.freeze({ dataBytes: 1 * GiB, parameterBytes: 1 * GiB, activationBytes: 256 * MiB });

/** Bytes per parameter and activation value in the budgets: float32, what every backend stores by default. */
export const BYTES_PER_VALUE = 4;

/** Where each budget is set, for messages ("... over the 1 GiB limit (limits.data_bytes)"). */
export const LIMIT_KEYS: Readonly<Record<keyof SizeLimits, string>> = Object.freeze({
  dataBytes: 'limits.data_bytes',
  parameterBytes: 'limits.parameter_bytes',
  activationBytes: 'limits.activation_bytes',
});

/**
 * A byte count for messages: binary units for round powers (the limits,
 * "1 GiB"), decimal ones otherwise ("2.35 GB"), so a declared size reads as
 * people count file sizes and a limit as it was set.
 */
export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return `${n} bytes`;
  for (const [unit, size] of [['GiB', GiB], ['MiB', MiB], ['KiB', 1024]] as const) {
    if (n >= size && n % size === 0 && n / size < 1024) return `${n / size} ${unit}`;
  }
  for (const [unit, size] of [['TB', 1e12], ['GB', 1e9], ['MB', 1e6], ['kB', 1e3]] as const) {
    if (n >= size) return `${(n / size).toFixed(2)} ${unit}`;
  }
  return `${n} bytes`;
}

/** The limits with some overridden (a config's `limits` section, a caller's options). */
export function withLimits(over: Partial<SizeLimits> | undefined): SizeLimits {
  return { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(over ?? {}).filter(([, v]) => v !== undefined)) };
}
