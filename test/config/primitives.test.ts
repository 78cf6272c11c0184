// Label matching as PromQL does it, shared by rules, silences, inhibitions, windows and the metrics probe; and the
// value types of the configuration that take more than a pattern (labels, optional secrets, listen addresses).
import { describe, expect, it } from 'vitest';
import { labels, listenAddress, optionalSecret } from '../../src/config/primitives.js';
import { matchers, matchesAll } from '../../src/matchers.js';

const m = (map: Record<string, string>) => matchers.parse(map);

describe('matchesAll', () => {
  it.each([
    [{ container: 'grupo_gad_api' }, { container: 'grupo_gad_api' }, true],
    [{ container: 'grupo_gad_api' }, { container: 'grupo_gad_db' }, false],
    [{ status: '!=200' }, { status: '500' }, true],
    [{ status: '!=200' }, { status: '200' }, false],
    [{ route: '=~/api/.*' }, { route: '/api/v1/tasks' }, true],
    [{ route: '=~/api/.*' }, { route: '/health/api/x' }, false], // anchored
    [{ status: '!~5..' }, { status: '503' }, false],
    [{ status: '!~5..' }, { status: '404' }, true],
    [{ env: '' }, {}, true], // a missing label is the empty string
    [{ env: '=~.+' }, {}, false],
    [{ env: '!=prod' }, {}, true],
    [{ a: '1', b: '=~2|3' }, { a: '1', b: '3' }, true],
    [{ a: '1', b: '=~2|3' }, { a: '1', b: '4' }, false],
    // Only own keys are labels: Object.prototype's names are absent, so they hold the empty string.
    [{ constructor: '=~.*native code.*' }, {}, false],
    [{ toString: '!=' }, {}, false],
  ])('%j on %j is %s', (map, labels, expected) => {
    expect(matchesAll(m(map), labels)).toBe(expected);
  });

  it('matches anything with no matchers', () => {
    expect(matchesAll([], { any: 'thing' })).toBe(true);
  });
});

describe('labels', () => {
  it('refuses __proto__ as a label name instead of dropping it', () => {
    const result = labels.safeParse(JSON.parse('{"team":"api","__proto__":"x"}'));
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('"__proto__" cannot be a label name. Rename it');
  });
});

describe('optionalSecret', () => {
  it('reads an empty value as not set, so ${X:-} turns a feature off', () => {
    expect(optionalSecret.parse('')).toBeUndefined();
    expect(optionalSecret.parse(undefined)).toBeUndefined();
    expect(optionalSecret.parse('k3y')?.reveal()).toBe('k3y');
  });
});

describe('listenAddress', () => {
  it.each([
    ['0.0.0.0:9810', { host: '0.0.0.0', port: 9810 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9810', { host: '::1', port: 9810 }],
    [':9810', { host: '0.0.0.0', port: 9810 }],
    [' localhost:80 ', { host: 'localhost', port: 80 }],
    ['centinela.internal:9810', { host: 'centinela.internal', port: 9810 }],
  ])('reads %j', (listen, expected) => {
    expect(listenAddress.parse(listen)).toEqual(expected);
  });

  it.each([
    ['9810', 'is not host:port'],
    ['host:', 'is not host:port'],
    ['host:port', 'is not host:port'],
    ['::1:9810', 'is not host:port'],
    ['[api]:9810', 'is not host:port'],
    ['hunter2 S3cr3t:80', 'is not host:port'],
    ['host:65536', 'must have a port from 0 to 65535'],
  ])('refuses %j, saying what to write', (listen, what) => {
    expect(listenAddress.safeParse(listen).error?.issues.map((i) => i.message)).toEqual([
      `${what}. Write e.g. 0.0.0.0:9810 or 127.0.0.1:9810`,
    ]);
  });
});
