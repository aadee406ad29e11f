import { Rng } from '../../tensor/rng.js';

/*
 * The `spoken-digits` corpus, as plain data (browser-safe; the Node side,
 * spoken-digits-node.ts, synthesizes it with espeak-ng): the digits 0–9 in
 * English and German, label = language·10 + digit (English 0–9, German
 * 10–19, the order SHD uses), 20 classes.
 *
 * A speaker is an espeak-ng voice plus a voice variant (timbre, pitch range,
 * breathiness: `-v en-gb-scotland+f3`). German has one espeak-ng voice, so
 * both languages take their speakers from the same list of variants: the
 * German speaker of variant i is `de+<variant>`, the English one
 * `<accent i mod 7>+<variant>`. Each speaker says each digit RENDITIONS
 * times with its own pitch, speed and amplitude, drawn from a generator
 * seeded by the utterance's name, so the corpus does not depend on the
 * order anything is listed or generated in.
 *
 * Split by speaker: the TEST_VARIANTS speak only in the test split (in both
 * languages), the VALIDATION_VARIANTS form the validation split (drawn from
 * what would otherwise be training), everything else is training. So no
 * test (or validation) voice timbre is ever heard in training.
 */

export const DIGIT_WORDS = {
  en: ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'],
  de: ['null', 'eins', 'zwei', 'drei', 'vier', 'fünf', 'sechs', 'sieben', 'acht', 'neun'],
} as const;

export type DigitLanguage = keyof typeof DIGIT_WORDS;
export const DIGIT_LANGUAGES: readonly DigitLanguage[] = ['en', 'de'];

/** espeak-ng's own English voices (the mbrola ones need mbrola; en-us-nyc sounds like en-us on digits). */
export const ENGLISH_VOICES = ['en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029'] as const;
export const GERMAN_VOICE = 'de';

/** espeak-ng variant files (`espeak-ng --voices=variant`), male, female and synthetic-sounding ones. */
export const VARIANTS = [
  'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8',
  'f1', 'f2', 'f3', 'f4', 'f5',
  'croak', 'klatt', 'klatt2', 'klatt3', 'whisper',
  'Andy', 'Annie', 'belinda', 'benjamin', 'linda', 'robert',
] as const;

/** Heard only in the test split. */
export const TEST_VARIANTS: readonly string[] = ['m3', 'f2', 'klatt2', 'Annie'];
/** The validation split (option `split: validation`): held out of training, never in test. */
export const VALIDATION_VARIANTS: readonly string[] = ['m6', 'f4', 'croak'];

/** Renditions of each digit per speaker. */
export const RENDITIONS = 8;

/** espeak-ng `-p` (0–99), `-s` (words per minute) and `-a` (0–200) ranges the renditions are drawn from. */
export const PROSODY_RANGES = { pitch: [25, 75], speed: [130, 200], amplitude: [60, 140] } as const;

export type DigitSplit = 'train' | 'validation' | 'test';

export interface Speaker {
  readonly language: DigitLanguage;
  /** espeak-ng voice and variant, `-v voice+variant`. */
  readonly voice: string;
  readonly variant: string;
  readonly split: DigitSplit;
}

export interface Utterance {
  readonly speaker: Speaker;
  readonly digit: number;
  /** language·10 + digit. */
  readonly label: number;
  readonly text: string;
  readonly rendition: number;
  readonly pitch: number;
  readonly speed: number;
  readonly amplitude: number;
  /** Unique, stable name: what the audio cache and the noise generator are keyed by. */
  readonly name: string;
}

export function speakerName(s: Speaker): string {
  return `${s.voice}+${s.variant}`;
}

function splitOf(variant: string): DigitSplit {
  return TEST_VARIANTS.includes(variant) ? 'test' : VALIDATION_VARIANTS.includes(variant) ? 'validation' : 'train';
}

/** Every speaker of the corpus (2 languages × 24 variants). */
export function digitSpeakers(): Speaker[] {
  const out: Speaker[] = [];
  VARIANTS.forEach((variant, i) => {
    const split = splitOf(variant);
    out.push({ language: 'en', voice: ENGLISH_VOICES[i % ENGLISH_VOICES.length]!, variant, split });
    out.push({ language: 'de', voice: GERMAN_VOICE, variant, split });
  });
  return out;
}

/** 32-bit FNV-1a of a string: seeds per-utterance generators from names. */
export function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function drawInt(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return lo + rng.int(hi - lo + 1);
}

/**
 * The utterances of one split, ordered rendition by rendition, speaker by
 * speaker, class by class: any prefix (a train_limit) holds every class
 * about equally and as many speakers as it can.
 */
export function digitUtterances(split: DigitSplit): Utterance[] {
  const speakers = digitSpeakers().filter((s) => s.split === split);
  const out: Utterance[] = [];
  for (let r = 0; r < RENDITIONS; r++) {
    for (const speaker of speakers) {
      for (let digit = 0; digit < 10; digit++) {
        const name = `${speaker.language}|${speakerName(speaker)}|${digit}|${r}`;
        const rng = new Rng(hashName(name));
        out.push({
          speaker,
          digit,
          label: DIGIT_LANGUAGES.indexOf(speaker.language) * 10 + digit,
          text: DIGIT_WORDS[speaker.language][digit]!,
          rendition: r,
          pitch: drawInt(rng, PROSODY_RANGES.pitch),
          speed: drawInt(rng, PROSODY_RANGES.speed),
          amplitude: drawInt(rng, PROSODY_RANGES.amplitude),
          name,
        });
      }
    }
  }
  // Speakers alternate en/de per variant, so every block of 20 utterances holds all 20 classes.
  return out;
}

/** espeak-ng arguments (without the output file) for an utterance. */
export function espeakArgs(u: Utterance): string[] {
  return ['-v', speakerName(u.speaker), '-p', String(u.pitch), '-s', String(u.speed), '-a', String(u.amplitude), u.text];
}
