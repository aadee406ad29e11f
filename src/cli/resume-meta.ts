import { ConfigError } from '../errors.js';
import type { DataLoaderState } from '../data/loader.js';
import { count, failIn, isRecord, rngState, type Fail } from '../train/checkpoint-state.js';
import type { EpochRecord } from './report.js';
import type { CheckpointTeacher } from './teacher-node.js';

/*
 * What `spikeflow train` stores in a checkpoint's `config` metadata besides
 * the run config: the data loader's position, the epochs so far (the
 * history metrics.jsonl is rewritten from) and the teacher of a distilled
 * run. Checked field by field on --resume, so a damaged or edited checkpoint
 * is a FormatError naming the file and field rather than a TypeError or a
 * run that goes on from a nonsensical position.
 */

export interface ResumeMeta {
  loader: DataLoaderState | null;
  history: EpochRecord[];
  teacher: CheckpointTeacher | null | undefined;
}

const METRIC_FIELDS = ['train_loss', 'train_accuracy', 'test_loss', 'test_accuracy', 'lr', 'seconds', 'samples_per_s'] as const;

function loaderState(x: unknown, fail: Fail): DataLoaderState {
  if (!isRecord(x)) fail('config.loader', 'an object (epoch, position, epochRng, datasetLength, batchSize)', x);
  const l = x as Record<string, unknown>;
  const epoch = count(l.epoch, 'config.loader.epoch', fail);
  const position = count(l.position, 'config.loader.position', fail);
  const datasetLength = count(l.datasetLength, 'config.loader.datasetLength', fail);
  const batchSize = count(l.batchSize, 'config.loader.batchSize', fail);
  if (batchSize === 0) fail('config.loader.batchSize', 'a positive integer', batchSize);
  const epochRng = rngState(l.epochRng, 'config.loader.epochRng', fail).map((v) => (v === null ? NaN : v));
  return { epoch, position, epochRng, datasetLength, batchSize };
}

function history(x: unknown, fail: Fail): EpochRecord[] {
  if (!Array.isArray(x)) fail('config.history', 'a list of epoch records', x);
  return (x as unknown[]).map((r, i) => {
    const field = `config.history[${i}]`;
    if (!isRecord(r)) fail(field, 'an epoch record', r);
    const rec = r as Record<string, unknown>;
    // The epochs so far, in order: a gap or a repeat would show in metrics.jsonl, which is rewritten from this list.
    if (rec.epoch !== i + 1) fail(`${field}.epoch`, `${i + 1}`, rec.epoch);
    // JSON writes NaN (an epoch without samples) as null.
    for (const k of METRIC_FIELDS) if (!(rec[k] === null || typeof rec[k] === 'number')) fail(`${field}.${k}`, 'a number', rec[k]);
    return rec as unknown as EpochRecord;
  });
}

function teacher(x: unknown, fail: Fail): CheckpointTeacher | null | undefined {
  if (x === undefined || x === null) return x;
  if (!isRecord(x) || typeof x.dir !== 'string' || typeof x.sha256 !== 'string') fail('config.teacher', 'null or { dir, sha256 } strings', x);
  return x as unknown as CheckpointTeacher;
}

/**
 * Read the train command's metadata from checkpoint `source`'s `config`,
 * given the epochs the checkpoint's state says are done.
 */
export function readResumeMeta(config: unknown, epochsDone: number, source: string): ResumeMeta {
  const fail = failIn(source);
  if (config === null || config === undefined) return { loader: null, history: [], teacher: undefined };
  if (!isRecord(config)) fail('config', 'an object', config);
  const c = config as Record<string, unknown>;
  const h = c.history === undefined ? [] : history(c.history, fail);
  if (c.history !== undefined && h.length !== epochsDone) fail('config.history', `${epochsDone} epoch records (state.epoch)`, `${h.length} records`);
  return { loader: c.loader === undefined ? null : loaderState(c.loader, fail), history: h, teacher: teacher(c.teacher, fail) };
}

/** Restore the loader position, naming the checkpoint when it does not fit this run's data (another train_limit or batch_size). */
export function restoreLoader(loader: { setState(s: DataLoaderState): void }, state: DataLoaderState, source: string): void {
  try {
    loader.setState(state);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`--resume: ${source}: checkpoint field config.loader: ${e.message.replace(/^DataLoader\.setState: /, '')}`);
    throw e;
  }
}
