import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeChannelEvents, type EventStream } from '../events/stream.js';
import type { RecordedSplits } from '../events/recorded-node.js';
import { espeakBinary, espeakVersion, synthesize, type EspeakJob } from './espeak-node.js';
import { audioToSpikes, type AudioFrontendSpec } from './frontend.js';
import { addNoise } from './noise.js';
import { digitUtterances, espeakArgs, hashName, RENDITIONS, type Utterance } from './spoken-digits.js';
import { decodeWav } from './wav.js';

/*
 * The spoken-digits corpus (spoken-digits.ts) synthesized with espeak-ng and
 * turned into cochlea-like spikes (frontend.ts), as RecordedSplits: the same
 * shape the SHD reader gives, so convertRecorded bins it into [T, channels]
 * frames and caches them exactly as for shd.
 *
 * Two caches, both under `<cacheDir>/spoken-digits/`: the synthesized WAVs
 * (`audio/`, keyed by the espeak-ng version and arguments, so a changed
 * front end or binning never re-runs the synthesizer), and the frames
 * (EventTransformCache, keyed by the sample id below plus the binning).
 * Without a cache folder the audio is rendered into a temporary folder and
 * held in memory.
 */

/** Bumped when the audio → spikes computation changes for the same spec, so cached frames are not reused. */
export const SPOKEN_DIGITS_VERSION = 1;

export interface SpokenDigitsSpec {
  frontend: AudioFrontendSpec;
  /** Additive white noise at this SNR (dB); null: none. */
  noiseSnrDb: number | null;
  /** 'test': the test speakers are the test split; 'validation': the validation speakers are (and leave training). */
  split: 'test' | 'validation';
}

export interface SpokenDigitsOptions {
  /** Cache folder root; null: no cache. */
  cacheDir: string | null;
  trainLimit?: number | null | undefined;
  testLimit?: number | null | undefined;
  log?: ((line: string) => void) | undefined;
  /** espeak-ng processes at once (default 4: it mostly waits). */
  concurrency?: number;
}

/** The utterances of each split under `split` (train keeps the validation speakers unless they are the test split). */
export function spokenDigitsLists(split: 'test' | 'validation'): { train: Utterance[]; test: Utterance[] } {
  if (split === 'validation') return { train: digitUtterances('train'), test: digitUtterances('validation') };
  // Training on train + validation speakers: interleave rendition blocks so a prefix still holds every class.
  const a = digitUtterances('train'), b = digitUtterances('validation');
  const train: Utterance[] = [];
  const per = (xs: Utterance[]): number => xs.length / RENDITIONS;
  for (let r = 0; r < RENDITIONS; r++) train.push(...a.slice(r * per(a), (r + 1) * per(a)), ...b.slice(r * per(b), (r + 1) * per(b)));
  return { train, test: digitUtterances('test') };
}

export function spokenDigitsSplits(spec: SpokenDigitsSpec, opts: SpokenDigitsOptions): RecordedSplits {
  const bin = espeakBinary();
  const version = espeakVersion(bin);
  const lists = spokenDigitsLists(spec.split);
  const take = (xs: Utterance[], limit: number | null | undefined): Utterance[] => (limit ? xs.slice(0, limit) : xs);
  const train = take(lists.train, opts.trainLimit), test = take(lists.test, opts.testLimit);
  const temp = opts.cacheDir === null ? mkdtempSync(join(tmpdir(), 'spikeflow-digits-')) : null;
  const audioDir = temp ?? join(opts.cacheDir!, 'spoken-digits', 'audio');
  mkdirSync(audioDir, { recursive: true });
  const wavPath = (u: Utterance): string => join(audioDir, createHash('sha256').update(`${version}|${espeakArgs(u).join('\u0000')}`).digest('hex').slice(0, 32) + '.wav');
  const memory = new Map<string, Uint8Array>();
  try {
    const missing: EspeakJob[] = [...train, ...test].filter((u) => !existsSync(wavPath(u))).map((u) => ({ args: espeakArgs(u), out: wavPath(u) }));
    if (missing.length > 0) {
      opts.log?.(`spoken-digits: synthesizing ${missing.length} utterances with ${version} (${opts.concurrency ?? 4} at a time) into ${audioDir}`);
      synthesize(missing, { bin, concurrency: opts.concurrency ?? 4, log: opts.log, what: 'spoken-digits' });
    }
    if (temp !== null) for (const u of [...train, ...test]) memory.set(u.name, new Uint8Array(readFileSync(wavPath(u))));
  } finally {
    if (temp !== null) rmSync(temp, { recursive: true, force: true });
  }
  const frontendKey = JSON.stringify(spec.frontend);
  const read = (u: Utterance): EventStream => {
    const path = wavPath(u);
    const bytes = memory.get(u.name) ?? new Uint8Array(readFileSync(path));
    const wav = decodeWav(bytes, { file: path });
    const audio = spec.noiseSnrDb === null ? wav.samples : addNoise(wav.samples, spec.noiseSnrDb, hashName(`noise|${u.name}`));
    return audioToSpikes(audio, wav.sampleRate, spec.frontend);
  };
  const ref = (u: Utterance): { id: string; label: number; read: () => EventStream } => ({
    id: `v${SPOKEN_DIGITS_VERSION}|${version}|${espeakArgs(u).join(' ')}|${frontendKey}|snr ${spec.noiseSnrDb ?? 'none'}`,
    label: u.label,
    read: () => read(u),
  });
  return {
    name: 'spoken-digits',
    numClasses: 20,
    empty: makeChannelEvents({ t: [], channel: [], channels: spec.frontend.channels, timeUnit: 's' }),
    train: train.map(ref),
    test: test.map(ref),
  };
}
