/**
 * Messages between the fuzz pool and its child processes, and the outcome
 * classes. The child classifies what it can see (the parse returned, or threw
 * a SpikeflowError or anything else); the parent adds what only it can see
 * (the child died, ran past the time limit, or grew past the memory cap).
 */
export const OUTCOMES = ['ok', 'clean', 'internal', 'crash', 'hang', 'over-budget'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes that are bugs: everything but a parse and a typed refusal. */
export function isFailure(o: Outcome): boolean {
  return o !== 'ok' && o !== 'clean';
}

/**
 * Parent → child: load a target's modules and companion files, and parse a
 * valid input once if given (module loading and compilation are then not timed
 * as part of the first case; the outcome of this parse is not reported).
 */
export interface WarmRequest {
  readonly type: 'warm';
  readonly id: number;
  readonly target: string;
  readonly bytes?: Uint8Array;
}

/** Parent → child: parse these bytes with this target. */
export interface CaseRequest {
  readonly type: 'case';
  readonly id: number;
  readonly target: string;
  readonly bytes: Uint8Array;
}

export type Request = WarmRequest | CaseRequest;

/** Child → parent. */
export interface Reply {
  readonly id: number;
  readonly outcome: 'ok' | 'clean' | 'internal';
  readonly error?: { readonly name: string; readonly message: string; readonly stack?: string };
  /** Time the parse took in the child. */
  readonly ms: number;
  /** The child's peak resident set so far (process.resourceUsage().maxRSS), kB. */
  readonly maxRssKb: number;
}

export interface CaseResult {
  readonly outcome: Outcome;
  /** Error class (clean, internal) or how the child ended (crash). */
  readonly name?: string;
  readonly message?: string;
  readonly stack?: string;
  /** Wall time from sending the case to its result, ms. */
  readonly ms: number;
  /** Peak resident set of the child seen for this case, MB (when known). */
  readonly rssMb?: number;
}
