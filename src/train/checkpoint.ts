import { ArrayStorage } from '../backend/storage.js';
import { FormatError, ShapeError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, entryFromTensor, entryValues, type SafetensorsEntry, type SafetensorsFile } from '../interop/safetensors.js';
import type { Module } from '../module/module.js';
import type { Rng } from '../tensor/rng.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Optimizer, OptimizerState } from './optim/optimizer.js';
import type { LrScheduler } from './schedulers.js';
import { readSavedState, type SavedState } from './checkpoint-state.js';

/**
 * Checkpoints as safetensors bytes (browser-safe; file I/O in checkpoint-node.ts).
 *
 * Tensors: `param.<name>` and `buffer.<name>` (names from `namedParameters()` /
 * `namedBuffers()`), `optim.<paramIndex>.<slot>` (optimizer state), all in the
 * backend's dtype so a reload is bit-exact. `__metadata__`: `format`
 * ("spikeflow.checkpoint"), `version`, `config` (the run's JSON config) and
 * `state` (JSON: epoch, step, optimizer hyper-parameters and step counts,
 * scheduler counter, RNG states).
 */

export const CHECKPOINT_FORMAT = 'spikeflow.checkpoint';
export const CHECKPOINT_VERSION = '1';

export interface CheckpointParts {
  model: Module;
  optimizer?: Optimizer | null;
  scheduler?: LrScheduler | null;
  /** Named generators (data order, dropout, encoder...) whose state must continue. */
  rngs?: Record<string, Rng>;
}

export interface CheckpointContent extends CheckpointParts {
  epoch?: number;
  step?: number;
  config?: unknown;
}

export interface CheckpointInfo {
  epoch: number;
  step: number;
  config: unknown;
}

export function encodeCheckpoint(c: CheckpointContent): Uint8Array {
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [n, p] of c.model.namedParameters()) tensors.set(`param.${n}`, entryFromTensor(p));
  for (const [n, b] of c.model.namedBuffers()) tensors.set(`buffer.${n}`, entryFromTensor(b));
  let optimizer: SavedState['optimizer'] = null;
  if (c.optimizer) {
    const { tensors: ot, ...rest } = c.optimizer.stateDict();
    for (const [k, t] of Object.entries(ot)) tensors.set(`optim.${k}`, entryFromTensor(t));
    optimizer = rest;
  }
  const rngs: SavedState['rngs'] = {};
  for (const [name, r] of Object.entries(c.rngs ?? {})) rngs[name] = r.getState().map((v) => (Number.isNaN(v) ? null : v));
  const state: SavedState = { epoch: c.epoch ?? 0, step: c.step ?? 0, optimizer, scheduler: c.scheduler ? c.scheduler.stateDict() : null, rngs };
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config: JSON.stringify(c.config ?? null),
    state: JSON.stringify(state),
  });
}

function parseJson(source: string, field: string, text: string | undefined): unknown {
  if (text === undefined) throw new FormatError(`${source}: checkpoint metadata lacks '${field}'`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${source}: checkpoint metadata '${field}' is not valid JSON (${(e as Error).message})`);
  }
}

/** The index of the first NaN/±Inf among a tensor's values, or −1. */
function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}

function copyInto(source: string, key: string, what: string, e: SafetensorsEntry, t: Tensor): () => void {
  if (!shapeEq(e.shape, t.shape)) throw new ShapeError(`${source}: tensor '${key}' has shape ${fmtShape(e.shape)}, ${what} has ${fmtShape(t.shape)}`);
  if (e.dtype !== 'F32' && e.dtype !== 'F64') throw new FormatError(`${source}: tensor '${key}': field dtype: expected F32 or F64, got ${e.dtype}`);
  // Training never checkpoints a non-finite model (src/train/finite.ts): such a value is damage, and a resume would only diverge.
  const bad = firstNonFinite(e.data as Float32Array | Float64Array);
  if (bad >= 0) throw new FormatError(`${source}: tensor '${key}' (${what}) holds ${(e.data as Float32Array)[bad]} at element ${bad}`);
  return () => t.storage.data.set(entryValues(e));
}

/**
 * Restore a decoded checkpoint into a model (and optimizer, scheduler, RNGs when
 * given). Everything is validated first — every model parameter and buffer must
 * be present with the same shape, no unknown `param.`/`buffer.` tensor may be
 * left over — and only then written, so a failed load changes nothing. Values
 * are copied into the existing tensors, keeping references (e.g. the optimizer's) valid.
 */
export function restoreCheckpoint(file: SafetensorsFile, parts: CheckpointParts, source = '<checkpoint>'): CheckpointInfo {
  const md = file.metadata;
  if (md.format !== CHECKPOINT_FORMAT) throw new FormatError(`${source}: not a spikeflow checkpoint (metadata format = ${JSON.stringify(md.format)})`);
  if (md.version !== CHECKPOINT_VERSION) throw new FormatError(`${source}: checkpoint version ${md.version} is not supported (expected ${CHECKPOINT_VERSION})`);
  // Every field of `state` is checked (types and ranges) before anything is restored.
  const state = readSavedState(parseJson(source, 'state', md.state), source);
  const config = parseJson(source, 'config', md.config);

  const writes: (() => void)[] = [];
  const used = new Set<string>();
  const take = (key: string, what: string, t: Tensor): void => {
    const e = file.tensors.get(key);
    if (!e) throw new FormatError(`${source}: checkpoint has no tensor '${key}' (${what})`);
    used.add(key);
    writes.push(copyInto(source, key, what, e, t));
  };
  for (const [n, p] of parts.model.namedParameters()) take(`param.${n}`, `parameter '${n}' of the model`, p);
  for (const [n, b] of parts.model.namedBuffers()) take(`buffer.${n}`, `buffer '${n}' of the model`, b);
  for (const key of file.tensors.keys()) {
    if ((key.startsWith('param.') || key.startsWith('buffer.')) && !used.has(key)) {
      throw new FormatError(`${source}: tensor '${key}' does not match any parameter or buffer of the model (${parts.model.kind})`);
    }
  }

  if (parts.optimizer) {
    if (!state.optimizer) throw new FormatError(`${source}: checkpoint holds no optimizer state`);
    const tensors: Record<string, Tensor> = {};
    for (const [key, e] of file.tensors) {
      if (!key.startsWith('optim.')) continue;
      if (e.dtype !== 'F32' && e.dtype !== 'F64') throw new FormatError(`${source}: tensor '${key}': field dtype: expected F32 or F64, got ${e.dtype}`);
      tensors[key.slice('optim.'.length)] = new Tensor(new ArrayStorage(e.data as Float32Array | Float64Array), e.shape);
    }
    const opt = parts.optimizer;
    const saved: OptimizerState = { ...state.optimizer, tensors };
    opt.checkStateDict(saved, source);
    writes.push(() => opt.loadStateDict(saved));
  }
  if (parts.scheduler) {
    if (!state.scheduler) throw new FormatError(`${source}: checkpoint holds no scheduler state`);
    const sch = parts.scheduler, s = state.scheduler;
    if (s.kind !== sch.schedule.kind || s.interval !== sch.interval) {
      throw new FormatError(`${source}: scheduler state is ${s.kind}/${s.interval}, this scheduler is ${sch.schedule.kind}/${sch.interval}`);
    }
    writes.push(() => sch.loadStateDict(s));
  }
  for (const [name, rng] of Object.entries(parts.rngs ?? {})) {
    const s = state.rngs?.[name];
    if (s === undefined) throw new FormatError(`${source}: checkpoint has no state for RNG '${name}' (field state.rngs.${name})`);
    writes.push(() => rng.setState(s.map((v) => (v === null ? NaN : v))));
  }
  for (const w of writes) w();
  return { epoch: state.epoch, step: state.step, config };
}

/** Decode checkpoint bytes and restore them (see restoreCheckpoint); non-finite values are refused unless `allowNonFinite`. */
export function loadCheckpointBytes(bytes: Uint8Array, parts: CheckpointParts, source = '<checkpoint>', opts: { allowNonFinite?: boolean } = {}): CheckpointInfo {
  return restoreCheckpoint(decodeSafetensors(bytes, source, opts), parts, source);
}
