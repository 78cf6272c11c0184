// Errors of the rules' operations (silences, maintenance windows, alerts), with stable codes the API maps to statuses.

export type AlertingErrorCode =
  | 'SILENCE_INVALID'
  | 'SILENCE_TOO_LONG'
  | 'SILENCES_FULL'
  | 'SILENCE_NOT_FOUND'
  | 'SILENCE_ENDED'
  | 'UNKNOWN_NAME'
  | 'WINDOW_INVALID'
  | 'WINDOW_TOO_LONG'
  | 'WINDOW_OVERLAPS'
  | 'WINDOW_NOT_FOUND'
  | 'WINDOW_CLOSED';

/** A request the rules refuse; the message says what was wrong and what to send instead. */
export class AlertingError extends Error {
  override readonly name = 'AlertingError';
  constructor(
    readonly code: AlertingErrorCode,
    message: string,
  ) {
    super(message);
  }
}
