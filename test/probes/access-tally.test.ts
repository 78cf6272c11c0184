// Caddy's access records read and counted: client IP and route taken as Caddy writes them, ids folded out of routes,
// other records passed over, broken lines counted, and the window's rates, top IPs and failing routes.
import { describe, expect, it } from 'vitest';
import { AccessTally, parseAccessLine, routeOf } from '../../src/probes/access-tally.js';
import { caddyLine } from '../support/caddy-access.js';
import { sampleValue } from '../support/probe-runs.js';

describe('parseAccessLine', () => {
  it('reads the client IP (client_ip, else remote_ip), the status and the route', () => {
    expect(parseAccessLine(caddyLine('203.0.113.7', 401, '/api/v1/auth/login?next=/x'))).toEqual({
      kind: 'request',
      clientIp: '203.0.113.7',
      status: 401,
      route: '/api/v1/auth/login',
    });
    const old = JSON.stringify({
      logger: 'http.log.access',
      request: { remote_ip: '198.51.100.2', uri: '/' },
      status: 200,
    });
    expect(parseAccessLine(old)).toMatchObject({ clientIp: '198.51.100.2', status: 200, route: '/' });
  });

  it("passes over Caddy's other records and blank lines", () => {
    expect(parseAccessLine('{"level":"info","logger":"tls.obtain","msg":"certificate obtained"}')).toEqual({
      kind: 'other',
    });
    expect(parseAccessLine('   ')).toEqual({ kind: 'other' });
  });

  it.each([
    ['plain text', '2026/12/04 13:00:00 [ERROR] something'],
    ['broken JSON', '{"logger":"http.log.access","request":{'],
    ['a JSON array', '[1,2]'],
    [
      'an access record without status',
      JSON.stringify({ logger: 'http.log.access', request: { client_ip: '1.2.3.4', uri: '/' } }),
    ],
    ['a status that is text', JSON.stringify({ request: { client_ip: '1.2.3.4', uri: '/' }, status: '401' })],
    ['no client address', JSON.stringify({ request: { uri: '/' }, status: 200 })],
    ['request not an object', JSON.stringify({ logger: 'http.log.access', request: 'x', status: 200 })],
  ])('counts %s as malformed', (_, line) => {
    expect(parseAccessLine(line)).toEqual({ kind: 'malformed' });
  });
});

describe('routeOf', () => {
  it.each([
    ['/api/v1/tasks/42', '/api/v1/tasks/:id'],
    ['/api/v1/users/3f2b8c1e-9d4a-4b7e-8f00-1234567890ab/tasks', '/api/v1/users/:id/tasks'],
    ['/files/0123456789abcdef0123', '/files/:id'],
    ['/api/v1/auth/login?token=hunter2#frag', '/api/v1/auth/login'],
    ['', '/'],
    ['/v2', '/v2'],
  ])('%s → %s', (uri, route) => {
    expect(routeOf(uri)).toBe(route);
  });

  it('bounds the length of a route', () => {
    expect(routeOf(`/${'x'.repeat(5000)}`)).toHaveLength(200);
  });
});

describe('AccessTally', () => {
  function tally(lines: string[]): AccessTally {
    const t = new AccessTally();
    for (const l of lines) t.add(parseAccessLine(l));
    return t;
  }

  it('gives per-minute rates over the window: totals, by IP (top N), 4xx and 5xx by route', () => {
    const t = tally([
      ...Array.from({ length: 90 }, () => caddyLine('203.0.113.7', 401)),
      ...Array.from({ length: 30 }, () => caddyLine('203.0.113.7', 403, '/api/v1/admin')),
      ...Array.from({ length: 20 }, () => caddyLine('198.51.100.2', 200, '/api/v1/tasks/1')),
      ...Array.from({ length: 4 }, (_, i) => caddyLine('198.51.100.2', 502, `/api/v1/tasks/${i}`)),
      caddyLine('192.0.2.1', 404, '/wp-login.php'),
      'not json',
      '{"logger":"tls"}',
    ]);
    const samples = t.samples(2, 120_000); // two minutes
    expect(sampleValue(samples, 'requests_per_minute')).toBe(72.5);
    expect(sampleValue(samples, 'auth_failures_per_minute')).toBe(60);
    expect(sampleValue(samples, 'malformed_lines')).toBe(1);
    expect(sampleValue(samples, 'requests_by_ip_per_minute', { client_ip: '203.0.113.7' })).toBe(60);
    expect(sampleValue(samples, 'requests_by_ip_per_minute', { client_ip: '198.51.100.2' })).toBe(12);
    // Only the top 2 are named.
    expect(sampleValue(samples, 'requests_by_ip_per_minute', { client_ip: '192.0.2.1' })).toBeUndefined();
    expect(sampleValue(samples, 'auth_failures_by_ip_per_minute', { client_ip: '203.0.113.7' })).toBe(60);
    expect(sampleValue(samples, 'auth_failures_by_ip_per_minute', { client_ip: '198.51.100.2' })).toBeUndefined();
    expect(sampleValue(samples, 'client_errors_per_minute', { route: '/api/v1/auth/login' })).toBe(45);
    expect(sampleValue(samples, 'client_errors_per_minute', { route: '/api/v1/admin' })).toBe(15);
    expect(sampleValue(samples, 'server_errors_per_minute', { route: '/api/v1/tasks/:id' })).toBe(2);
  });

  it('describes the window: totals, the top client IPs, the failing routes', () => {
    const t = tally([
      caddyLine('203.0.113.7', 401),
      caddyLine('203.0.113.7', 401),
      caddyLine('198.51.100.2', 500, '/api/v1/tasks/9'),
      '{oops',
    ]);
    expect(t.describe(5, 'last 1m')).toBe(
      [
        'last 1m: 3 requests, 2 answered 401/403, 1 malformed line(s) skipped',
        'top client IPs:',
        '  203.0.113.7  2 requests, 2 401/403',
        '  198.51.100.2  1 requests, 0 401/403',
        'routes answering 4xx/5xx:',
        '  /api/v1/auth/login  2 4xx, 0 5xx',
        '  /api/v1/tasks/:id  0 4xx, 1 5xx',
      ].join('\n'),
    );
  });
});
