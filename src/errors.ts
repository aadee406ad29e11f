/**
 * Typed errors. Each names what was wrong and where; the CLI prints `message`
 * as one line (exit code 2) and shows the stack only with --debug.
 */
export class SpikeflowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Tensor shapes that do not fit an operation or a layer. */
export class ShapeError extends SpikeflowError {}

/** A configuration key, type or value that is not accepted. */
export class ConfigError extends SpikeflowError {}

/** A file that cannot be read or is malformed (names the file and, where known, the byte offset). */
export class FormatError extends SpikeflowError {}

/** A dataset or other input that is missing. */
export class NotFoundError extends SpikeflowError {}

/** Training produced a non-finite number. */
export class NumericError extends SpikeflowError {}

/** A backend that cannot be used here. */
export class BackendError extends SpikeflowError {}

/** A server (the sweep queue's Redis) that cannot be reached. */
export class ConnectionError extends SpikeflowError {}
