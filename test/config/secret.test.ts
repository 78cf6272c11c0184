import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redactUrl, Secret } from '../../src/config/secret.js';

describe('Secret', () => {
  it('prints as <secret> every way it can be printed', () => {
    const s = new Secret('hunter2');
    expect(`${s}`).toBe('<secret>');
    expect(JSON.stringify({ s })).toBe('{"s":"<secret>"}');
    expect(inspect({ s })).not.toContain('hunter2');
    expect(s.reveal()).toBe('hunter2');
  });
});

describe('redactUrl', () => {
  it.each([
    ['postgres://app:pw@db:5432/prod', 'postgres://app:xxxxx@db:5432/prod'],
    ['postgres://grupogad_user:@db:5432/prod', 'postgres://grupogad_user@db:5432/prod'],
    ['redis://default:pw@redis:6379', 'redis://default:xxxxx@redis:6379'],
    ['https://TOKEN@hooks.example/x', 'https://xxxxx@hooks.example/x'],
    ['https://hooks.example/x?token=abc&page=2', 'https://hooks.example/x?token=xxxxx&page=2'],
    ['not a url', '<secret>'],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});
