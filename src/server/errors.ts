// The HTTP API's errors: one class, a stable code per failure, each documented in docs/api.md (a test checks).
import { jsonExcerpt } from '../excerpt.js';

/** Every code the API can answer with, its HTTP status and when it happens. */
export const API_ERRORS = {
  BAD_REQUEST: { status: 400, when: 'the body, a parameter or the query string is not what the endpoint takes' },
  INVALID_JSON: { status: 400, when: 'the body is not valid JSON' },
  UNAUTHORIZED: { status: 401, when: 'no bearer token, or the wrong one' },
  WRITES_DISABLED: { status: 403, when: 'the server has no server.write_token configured, so it accepts no writes' },
  NOT_FOUND: { status: 404, when: 'no such route' },
  ALERT_NOT_FOUND: { status: 404, when: 'no alert instance with that id' },
  SILENCE_NOT_FOUND: { status: 404, when: 'no silence with that id' },
  MAINTENANCE_NOT_FOUND: { status: 404, when: 'no maintenance window with that id' },
  HEARTBEAT_NOT_FOUND: { status: 404, when: 'no heartbeat probe of that name in alerts.yaml' },
  NOT_FIRING: { status: 409, when: 'the alert is not firing, so there is nothing to acknowledge' },
  ALREADY_ACKED: { status: 409, when: 'the alert is already acknowledged' },
  SILENCE_ENDED: { status: 409, when: 'the silence has already ended' },
  WINDOW_CLOSED: { status: 409, when: 'the maintenance window is already closed' },
  SILENCE_TOO_LONG: {
    status: 422,
    when: 'the silence is longer than evaluation.silence_max allows for an alert it could match (a source may send one)',
  },
  SILENCES_FULL: {
    status: 422,
    when: 'evaluation.max_silences silences are already in force or waiting to start: expire some first',
  },
  WINDOW_TOO_LONG: {
    status: 422,
    when: "the maintenance window's max is longer than evaluation.window_max allows for an alert it could hold back",
  },
  WINDOW_OVERLAPS: { status: 409, when: 'a maintenance window open now already covers one of the probes' },
  UNKNOWN_NAME: {
    status: 422,
    when: 'a matcher names an alert (alertname) or a probe that the config does not have; "force": true creates it anyway',
  },
  AMBIGUOUS: { status: 409, when: 'the request needs an id because more than one item would match' },
  LINK_MALFORMED: { status: 400, when: 'an emailed ack link is incomplete or damaged' },
  LINK_FORGED: { status: 403, when: "an emailed ack link's signature does not match" },
  LINK_EXPIRED: { status: 410, when: 'an emailed ack link is past its expiry (ack.link_ttl)' },
  LINK_DISABLED: { status: 503, when: 'ack links are off: escalation.yaml has no ack.link_secret' },
  CONFIG_INVALID: { status: 422, when: 'a reload found problems in the new config; the running config is kept' },
  URI_TOO_LONG: { status: 414, when: 'a path parameter (an id) is longer than the server accepts' },
  PAYLOAD_TOO_LARGE: { status: 413, when: 'the body is larger than the server accepts' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, when: 'the body is not application/json' },
  SOURCE_FULL: {
    status: 429,
    when: "a source already has its max_alerts alerts open: the request's new alerts were refused, the others taken",
  },
  RATE_LIMITED: { status: 429, when: 'a heartbeat was pinged again less than a second after its last recorded ping' },
  NOT_READY: { status: 503, when: 'the daemon is starting or stopping' },
  NO_ACTIVE: {
    status: 503,
    when: 'a write sent to the standby found no active centinela to apply it in time; nothing was applied, send it again',
  },
  ACTIVE_SILENT: {
    status: 503,
    when: 'a write sent to the standby was taken by the active, which did not answer in time: check whether it was applied',
  },
  NOT_SAVED: {
    status: 503,
    when: 'PostgreSQL did not save the write: unreachable (the write is in force on this centinela and saved when it answers) or another centinela took over',
  },
  INTERNAL: { status: 500, when: 'a bug or a state store failure; the log has the detail' },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** A failure the API reports as `{ error: { code, message, details? } }` with the code's status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.status = API_ERRORS[code].status;
  }
}

/** Problems an answer names at most: a 64 KiB body of `{}` matchers made some 5 MB of them (review r13q). */
export const PROBLEMS_SHOWN = 20;

/**
 * What an answer's problems may take together, and one of them, as written in the answer's JSON (where a control
 * character takes six): the answer holds them twice (message and details), and the request or the new config chose
 * their words (ten unknown keys of 200 characters in each of 25 matchers made 84 KB, review r13r).
 */
const PROBLEMS_JSON_CHARS = 6_000;
const PROBLEM_JSON_CHARS = 1_000;

/**
 * As many of the first PROBLEMS_SHOWN `problems` as PROBLEMS_JSON_CHARS holds, each cut, then how many more of
 * `total`: a caller with many may pass only the first PROBLEMS_SHOWN and their count.
 */
export function shownProblems(problems: readonly string[], total = problems.length): string[] {
  const shown: string[] = [];
  let used = 0;
  for (const problem of problems) {
    const cut = jsonExcerpt(problem, PROBLEM_JSON_CHARS);
    used += JSON.stringify(cut).length;
    if (shown.length === PROBLEMS_SHOWN || used > PROBLEMS_JSON_CHARS) break;
    shown.push(cut);
  }
  if (shown.length < total) {
    const more = total - shown.length;
    shown.push(`and ${more} more ${more === 1 ? 'problem' : 'problems'}`);
  }
  return shown;
}

/** The 400 for `problems` (of `total`), as many as shownProblems() keeps. */
export function badRequest(problems: readonly string[], total = problems.length): ApiError {
  const shown = shownProblems(problems, total);
  return new ApiError('BAD_REQUEST', shown.join('; '), { problems: shown });
}
