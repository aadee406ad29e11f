import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { ConfigError, FormatError, NotFoundError } from '../errors.js';

/*
 * Corpora from disk for the character-level language models (text.ts).
 * Any UTF-8 text file; and the King James Bible, which Debian ships
 * compressed (bible-kjv-text, /usr/lib/bible.data) and decodes with the
 * `bible` program of bible-kjv.
 */

/** Where Debian's bible-kjv-text installs its (compressed) text. */
export const KJV_DATA = '/usr/lib/bible.data';
/** The verse range that is the whole book. */
const KJV_ALL = 'Gen1:1-Rev22:21';

/** The first byte offset at which `bytes` is not UTF-8, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    let len: number, min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [len, min] = [2, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [len, min] = [3, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [len, min] = [4, 0x10000];
    else return i;
    if (i + len > n) return i;
    let cp = b & (0xff >> (len + 1));
    for (let k = 1; k < len; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return -1;
}

/** A UTF-8 text file, whole; empty files, other encodings and files over `maxBytes` are errors naming the file. */
export function readTextFile(path: string, maxBytes: number): string {
  if (!existsSync(path)) throw new NotFoundError(`text corpus '${path}' does not exist`);
  const size = statSync(path).size;
  if (size > maxBytes) throw new ConfigError(`text corpus '${path}' holds ${size} bytes, over the limit of ${maxBytes} (limits.data_bytes)`);
  const bytes = readFileSync(path);
  if (bytes.length === 0) throw new FormatError(`text corpus '${path}' is empty`);
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) throw new FormatError(`text corpus '${path}' is not UTF-8: byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at offset ${bad} starts no valid character`);
  // A byte-order mark is not text.
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The King James Bible as plain text (about 4.3 MB, 4.3 M characters):
 * Debian's bible-kjv-text decoded by the `bible` program (bible-kjv), every
 * verse from Genesis 1:1 to Revelation 22:21 with its chapter headings and
 * verse numbers, one verse per line.
 */
export function readKjv(): string {
  if (!existsSync(KJV_DATA)) {
    throw new NotFoundError(`the kjv dataset needs the Debian package bible-kjv-text (its text, ${KJV_DATA}) and bible-kjv (the 'bible' program that decodes it): apt-get install -y bible-kjv`);
  }
  try {
    return execFileSync('bible', ['-l1000', KJV_ALL], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? "the 'bible' program is not installed" : (e as Error).message;
    throw new NotFoundError(`the kjv dataset: ${why}; it comes with the Debian package bible-kjv (apt-get install -y bible-kjv), which decodes bible-kjv-text's ${KJV_DATA}`);
  }
}
