// Reads the reply of Redis' INFO command: `# Section` headers and `field:value` lines.

/** The INFO fields the redis probe reports. Counters are totals since the server started. */
export interface RedisInfo {
  usedMemoryBytes: number;
  /** 0 means no limit. */
  maxMemoryBytes: number;
  connectedClients: number;
  blockedClients: number;
  rejectedConnections: number;
  evictedKeys: number;
  uptimeSeconds: number;
  /** `master` or `slave` (Redis' word for a replica). */
  role: string;
  version: string;
}

const NUMERIC = {
  usedMemoryBytes: 'used_memory',
  maxMemoryBytes: 'maxmemory',
  connectedClients: 'connected_clients',
  blockedClients: 'blocked_clients',
  rejectedConnections: 'rejected_connections',
  evictedKeys: 'evicted_keys',
  uptimeSeconds: 'uptime_in_seconds',
} as const;

// Sections are flattened: INFO field names are unique across sections.
function parseInfoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/**
 * The probe's fields from an INFO reply. Throws an Error naming the field when a reply lacks one or holds a
 * non-number, so a server that answers something else (a proxy, a different protocol) is reported, not guessed at.
 */
export function parseInfo(text: string): RedisInfo {
  const fields = parseInfoFields(text);
  const version = fields.get('redis_version');
  if (version === undefined) throw new Error('the INFO reply has no redis_version: this does not look like Redis');
  const numbers = {} as Record<keyof typeof NUMERIC, number>;
  for (const [key, field] of Object.entries(NUMERIC) as [keyof typeof NUMERIC, string][]) {
    const value = fields.get(field);
    if (value === undefined) throw new Error(`the INFO reply has no ${field}`);
    const n = Number(value);
    if (value === '' || !Number.isFinite(n)) throw new Error(`INFO field ${field} is "${value}", not a number`);
    numbers[key] = n;
  }
  const role = fields.get('role');
  if (role === undefined) throw new Error('the INFO reply has no role');
  return { ...numbers, role, version };
}
