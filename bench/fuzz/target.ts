import type { Prng } from './prng.js';

/**
 * One parser under fuzz: how to make valid seed inputs (in the parent), where
 * their known header fields and text parts are (for targeted edits), and how
 * a child process feeds a case file to the parser's public entry point.
 */
export interface FuzzTarget {
  /** Name used by --parser and in the table. */
  readonly name: string;
  /** The entry point driven, for the table's legend and the docs. */
  readonly entry: string;
  /** File name of the case in the child's folder (the extension matters to readers that detect formats). */
  readonly fileName: string;
  /** Valid inputs: fixtures or files written by spikeflow's own writers. */
  seeds(ctx: SeedContext): Promise<Uint8Array[]>;
  /** Known integer header fields of a seed, for edits with interesting values. */
  fields?(bytes: Uint8Array): HeaderField[];
  /** The [start, end) byte range that is text (a header, or the whole file), for text-level edits. */
  textRegion?(bytes: Uint8Array): [number, number] | null;
  /** A length prefix of the text region: after a text edit it is usually set to the new length, so the edit is read. */
  textLength?(bytes: Uint8Array): HeaderField | null;
  /** After mutation: re-gzip, fix a length prefix, ... so that some cases get past the first check. */
  finish?(bytes: Uint8Array, rng: Prng): Uint8Array;
  /** Child side, once per child before its first case of this target: companion files in `dir`. */
  prepare?(dir: string): Promise<void>;
  /** Child side: parse `file` (in `dir`) the way spikeflow's readers and CLI do. */
  run(file: string, dir: string): Promise<void>;
}

export interface SeedContext {
  /** Repository root (fixtures under test/fixtures, examples/). */
  readonly root: string;
  /** A scratch folder the seed builders may write to. */
  readonly tmp: string;
}

export interface HeaderField {
  readonly name: string;
  readonly offset: number;
  readonly size: 1 | 2 | 4 | 8;
  readonly little: boolean;
}
