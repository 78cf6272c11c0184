// Errors of the state store, with stable codes.

export type StateErrorCode = 'STATE_OPEN' | 'STATE_TOO_NEW' | 'STATE_CORRUPT' | 'STATE_FENCED' | 'STATE_UNREACHABLE';

/** A problem with the state file; the message names the file and what to do. */
export class StateError extends Error {
  override readonly name = 'StateError';
  constructor(
    readonly code: StateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
