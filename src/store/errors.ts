// Errors of the state store, with stable codes.

export type StateErrorCode = 'STATE_OPEN' | 'STATE_TOO_NEW' | 'STATE_CORRUPT' | 'STATE_FENCED' | 'STATE_UNREACHABLE';

/** A problem with the state file; the message names the file and what to do. */
export class StateError extends Error {
  override readonly name = 'StateError';
  /** PostgreSQL's or the driver's own words for the failure (`ECONNREFUSED`), when it has them; never the URL. */
  readonly reason: string | undefined;
  constructor(
    readonly code: StateErrorCode,
    message: string,
    options?: { cause?: unknown; reason?: string },
  ) {
    super(message, options);
    this.reason = options?.reason;
  }
}
