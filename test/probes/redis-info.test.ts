// parseInfo against a real INFO reply (Redis 7.0, captured with redis-cli) and broken variants of it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseInfo } from '../../src/probes/redis-info.js';

const captured = readFileSync(new URL('../fixtures/redis/info-7.0-master.txt', import.meta.url), 'utf8');

/** The captured reply with some fields set to other values (CRLF line ends kept). */
function withFields(values: Record<string, string | null>): string {
  let text = captured;
  for (const [field, value] of Object.entries(values)) {
    const line = new RegExp(`^${field}:.*\\r$`, 'm');
    expect(text).toMatch(line);
    text = text.replace(line, value === null ? '' : `${field}:${value}\r`);
  }
  return text;
}

describe('parseInfo', () => {
  it('reads the captured reply', () => {
    expect(parseInfo(captured)).toEqual({
      usedMemoryBytes: 966_472,
      maxMemoryBytes: 0,
      connectedClients: 1,
      blockedClients: 0,
      rejectedConnections: 0,
      evictedKeys: 0,
      uptimeSeconds: 829,
      role: 'master',
      version: '7.0.15',
    });
  });

  it('reads each field from its own line', () => {
    const info = parseInfo(
      withFields({
        used_memory: '104857600',
        maxmemory: '268435456',
        connected_clients: '57',
        blocked_clients: '3',
        rejected_connections: '12',
        evicted_keys: '4096',
        uptime_in_seconds: '7',
        role: 'slave',
      }),
    );
    expect(info).toMatchObject({
      usedMemoryBytes: 104_857_600,
      maxMemoryBytes: 268_435_456,
      connectedClients: 57,
      blockedClients: 3,
      rejectedConnections: 12,
      evictedKeys: 4096,
      uptimeSeconds: 7,
      role: 'slave',
    });
  });

  it('accepts LF line ends and values that contain colons', () => {
    const text = captured.replaceAll('\r\n', '\n').replace(/^os:.*$/m, 'os:Linux: a:b:c');
    expect(parseInfo(text).usedMemoryBytes).toBe(966_472);
  });

  it('names the missing or broken field', () => {
    expect(() => parseInfo(withFields({ evicted_keys: null }))).toThrow('the INFO reply has no evicted_keys');
    expect(() => parseInfo(withFields({ used_memory: '12MB' }))).toThrow(
      'INFO field used_memory is "12MB", not a number',
    );
    expect(() => parseInfo(withFields({ maxmemory: '' }))).toThrow('INFO field maxmemory is "", not a number');
    expect(() => parseInfo(withFields({ role: null }))).toThrow('the INFO reply has no role');
  });

  it('refuses text that is not an INFO reply', () => {
    expect(() => parseInfo('HTTP/1.1 400 Bad Request\r\n\r\n')).toThrow('this does not look like Redis');
    expect(() => parseInfo('')).toThrow('this does not look like Redis');
  });
});
