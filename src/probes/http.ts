// The `http` probe: one request (method, headers, body) whose status, JSON fields and body text are checked, with
// the body read up to max_body_bytes and redirects followed up to max_redirects. The runbook's health check.
import type { HttpProbeConfig } from '../config/probes.js';
import {
  answerPreview,
  bodyPreview,
  encodedBody,
  HttpClient,
  PREVIEW_BYTES,
  RedirectError,
  readCapped,
} from './http-client.js';
import { describeFailure } from './net-failure.js';
import { matchingIndices, PatternUnfinished } from './pattern-match.js';
import { defineProbe, type ProbeResult, sample } from './probe.js';
import { showJson } from './target-text.js';

export default defineProbe({
  kind: 'http',
  create(config) {
    const client = new HttpClient({
      url: config.url,
      headers: config.headers,
      tls: config.tls,
      maxRedirects: config.max_redirects,
    });
    return {
      async run({ signal }): Promise<ProbeResult> {
        try {
          const response = await client.send({ method: config.method, body: config.body, signal });
          const status = response.statusCode;
          const samples = [sample('status_code', status)];
          if (!config.expect.status.some((want) => statusMatches(status, want))) {
            const { bytes } = await readCapped(response.body, PREVIEW_BYTES + 1);
            return { up: false, reason: `status ${status}${answerPreview(response.headers, bytes)}`, samples };
          }
          const { bytes, truncated } = await readCapped(response.body, config.max_body_bytes);
          const detail = `status ${status}, ${bytes.length} bytes${truncated ? ' (cut at max_body_bytes)' : ''}`;
          const encoded = checksBody(config) ? encodedBody(response.headers) : undefined;
          const problems = encoded ? [encoded] : await checkBody(bytes, truncated, config, signal);
          return problems.length === 0
            ? { up: true, samples, detail }
            : { up: false, reason: problems.join('; '), samples, detail };
        } catch (err) {
          return { up: false, reason: failureReason(err, signal, client) };
        }
      },
      close: () => client.close(),
    };
  },
});

/** `200` matches 200 only; `2xx` matches 200–299. */
function statusMatches(status: number, want: number | string): boolean {
  return typeof want === 'number' ? status === want : Math.floor(status / 100) === Number(want[0]);
}

/** True when `expect` looks into the body (json or body_regex); the status alone reads none of it. */
function checksBody(config: HttpProbeConfig): boolean {
  return Object.keys(config.expect.json ?? {}).length > 0 || config.expect.body_regex !== undefined;
}

/**
 * What is wrong with the body against `expect.json` and `expect.body_regex`; empty when all holds. The regex is
 * matched in the pattern thread (pattern-match.ts), so a slow one holds no other probe; the run's signal stops it.
 */
async function checkBody(
  bytes: Buffer,
  truncated: boolean,
  config: HttpProbeConfig,
  signal: AbortSignal,
): Promise<string[]> {
  const problems: string[] = [];
  const text = bytes.toString('utf8');
  const expected = config.expect.json;
  if (expected && Object.keys(expected).length > 0) {
    const document = truncated ? undefined : parseJson(text);
    if (truncated) {
      problems.push(`body is larger than max_body_bytes (${config.max_body_bytes}); its JSON fields cannot be checked`);
    } else if (document instanceof SyntaxError) {
      const where = bytes.length === 0 ? ' (it is empty)' : whereNotJson(document);
      problems.push(`body is not valid JSON${where}${bodyPreview(bytes, bytes.length)}`);
    } else {
      for (const [path, want] of Object.entries(expected)) {
        const got = lookup(document, path);
        if (got === MISSING) problems.push(`JSON field ${path} is missing, expected ${showJson(want, 80)}`);
        else if (got !== want)
          problems.push(`JSON field ${path} was ${showJson(got, 80)}, expected ${showJson(want, 80)}`);
      }
    }
  }
  const source = config.expect.body_regex;
  if (source !== undefined) {
    const problem = await bodyRegexProblem(source, text, bytes.length, signal);
    if (problem !== undefined) {
      const scope = truncated ? ` in its first ${config.max_body_bytes} bytes` : '';
      problems.push(problem === MISMATCH ? `body does not match /${source}/${scope}` : problem);
    }
  }
  return problems;
}

const MISMATCH = Symbol('mismatch');

/**
 * MISMATCH when `source` is not found in the body, undefined when it is; or why it could not be told: the run was
 * stopped while it was matched or waited to be, or the pattern thread refused it.
 */
async function bodyRegexProblem(
  source: string,
  text: string,
  bytes: number,
  signal: AbortSignal,
): Promise<string | typeof MISMATCH | undefined> {
  try {
    return (await matchingIndices({ source }, [text], signal)).length > 0 ? undefined : MISMATCH;
  } catch (err) {
    if (!(err instanceof PatternUnfinished)) return `body_regex could not be matched: ${(err as Error).message}`;
    return err.started
      ? `body_regex did not finish matching the body (${bytes} bytes) before the run was stopped (${err.message}): ` +
          'write it smaller, without long counted repetitions, or lower max_body_bytes'
      : `body_regex was still waiting for other probes' patterns to be matched when the run was stopped (${err.message})`;
  }
}

/** The parsed document, or the SyntaxError saying where it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    return err as SyntaxError;
  }
}

/**
 * Where JSON.parse found the body is not JSON, in words that quote none of it: ` (at line 1, column 6)`, ` (it ends
 * early)`, or nothing. Its own message quotes the body (`Unexpected token '<', "<html>oops"... is not valid JSON`),
 * bytes that are not text included, so it is never shown; the body is, through bodyPreview.
 */
function whereNotJson(error: SyntaxError): string {
  const at = /\(line (\d+) column (\d+)\)$/.exec(error.message);
  if (at) return ` (at line ${at[1]}, column ${at[2]})`;
  return error.message === 'Unexpected end of JSON input' ? ' (it ends early)' : '';
}

const MISSING = Symbol('missing');

/** The value at a dotted path (`checks.db.status`, `items.0.name`); MISSING when any step is absent. */
function lookup(document: unknown, path: string): unknown {
  let at: unknown = document;
  for (const step of path.split('.')) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, step)) return MISSING;
    at = (at as Record<string, unknown>)[step];
  }
  return at;
}

function failureReason(err: unknown, signal: AbortSignal, client: HttpClient): string {
  if (!signal.aborted && err instanceof RedirectError) return err.message;
  return describeFailure(err, signal, client.endpoint);
}
