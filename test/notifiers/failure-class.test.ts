// The one retry decision, as a table: transport errors, HTTP statuses with Retry-After, SMTP replies.
import { describe, expect, it } from 'vitest';
import {
  fromHttpStatus,
  fromSmtpError,
  fromTransportError,
  parseRetryAfter,
} from '../../src/notifiers/failure-class.js';

const now = Date.UTC(2026, 0, 1, 10, 0);

describe('fromHttpStatus', () => {
  it.each([
    [200, undefined, { ok: true }],
    [202, undefined, { ok: true }],
    [204, undefined, { ok: true }],
    [301, undefined, { ok: false, retryable: false }],
    [400, undefined, { ok: false, retryable: false }],
    [401, undefined, { ok: false, retryable: false }],
    [403, undefined, { ok: false, retryable: false }],
    [404, undefined, { ok: false, retryable: false }],
    [410, undefined, { ok: false, retryable: false }],
    [422, undefined, { ok: false, retryable: false }],
    [408, undefined, { ok: false, retryable: true }],
    [429, undefined, { ok: false, retryable: true }],
    [429, '7', { ok: false, retryable: true, retryAfterMs: 7000 }],
    [429, 'Thu, 01 Jan 2026 10:02:00 GMT', { ok: false, retryable: true, retryAfterMs: 120_000 }],
    [429, 'soon', { ok: false, retryable: true }],
    [500, undefined, { ok: false, retryable: true }],
    [502, undefined, { ok: false, retryable: true }],
    [503, '30', { ok: false, retryable: true, retryAfterMs: 30_000 }],
    [504, undefined, { ok: false, retryable: true }],
  ] as const)('HTTP %i (Retry-After %s) → %o', (status, retryAfter, expected) => {
    const d = fromHttpStatus(status, 'webhook (generic) to http://x', retryAfter, now);
    expect(d).toMatchObject(expected);
    if (!expected.ok && !('retryAfterMs' in expected)) expect(d).not.toHaveProperty('retryAfterMs');
    if (!d.ok) expect(d.reason).toBe(`webhook (generic) to http://x: HTTP ${status}`);
  });

  it('keeps the start of the answer in the reason', () => {
    expect(fromHttpStatus(404, 'w', undefined, now, 'Not Found')).toMatchObject({ reason: 'w: HTTP 404 Not Found' });
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['120', 120_000],
    [' 5 ', 5000],
    ['Thu, 01 Jan 2026 10:00:30 GMT', 30_000],
    ['Thu, 01 Jan 2026 09:00:00 GMT', 0],
    ['-3', undefined],
    ['later', undefined],
    [undefined, undefined],
  ])('%s → %s', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe('transport and SMTP errors', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), /ECONNREFUSED/],
    [Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), /UND_ERR_SOCKET other side closed/],
    [Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }), /timed out/],
    [
      Object.assign(new Error('fetch failed'), { cause: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND x' } }),
      /ENOTFOUND/,
    ],
  ])('transport error %#: retry', (err, reason) => {
    const d = fromTransportError(err, 'w');
    expect(d).toMatchObject({ ok: false, retryable: true });
    expect(d.ok || d.reason).toMatch(reason);
  });

  it.each([
    [
      { code: 'EAUTH', responseCode: 535, response: '535 Invalid username or password' },
      false,
      /authentication refused/,
    ],
    [{ code: 'EENVELOPE', responseCode: 451, response: '451 Try again later' }, true, /SMTP 451 Try again later/],
    [{ code: 'EMESSAGE', responseCode: 421, response: '421 closing' }, true, /421/],
    [{ code: 'EENVELOPE', responseCode: 550, response: '550 No such user' }, false, /550 No such user/],
    [{ code: 'ESOCKET', message: 'connect ECONNREFUSED' }, true, /ECONNREFUSED/],
    [{ code: 'ETLS', message: 'self-signed certificate' }, true, /self-signed/],
  ])('SMTP %o → retryable %s', (err, retryable, reason) => {
    const d = fromSmtpError(Object.assign(new Error('message' in err ? err.message : 'x'), err), 'email');
    expect(d).toMatchObject({ ok: false, retryable });
    expect(d.ok || d.reason).toMatch(reason);
  });
});
