// The environment the shipped config/ cannot load without (docs/deploy.md): every test and bench that loads config/
// starts from it, and adds what it points elsewhere.
import { readFileSync } from 'node:fs';

import type { Reading } from '../../src/locale/locale.js';

/**
 * CENTINELA_PUBLIC_URL, CENTINELA_WRITE_TOKEN and each paged person's ntfy topic, set as docs/deploy.md tells an
 * operator to; and NTFY_SERVER on the discard port of loopback, so that no test or bench that pages publishes to
 * ntfy.sh (one that checks pushes points it at a receiver of its own).
 */
export const SHIPPED_ENV: Readonly<Record<string, string>> = {
  CENTINELA_PUBLIC_URL: 'https://centinela.example.org',
  CENTINELA_WRITE_TOKEN: 'shipped-config-write-token',
  CTO_NTFY_TOPIC: 'grupogad-cto-5f1c0e9a7b3d2c48e6a1f07b',
  TECH_LEAD_NTFY_TOPIC: 'grupogad-lead-0d7e3b91c4a25f68e1b9c3a2',
  DEVOPS_NTFY_TOPIC: 'grupogad-devops-8a24c6e0f1b37d95a0c4e2f6',
  NTFY_SERVER: 'http://127.0.0.1:9',
};

/** The variables docs/deploy.md's Environment section documents (each named in a table's first column). */
export function documentedVariables(): Set<string> {
  const doc = readFileSync('docs/deploy.md', 'utf8');
  const section = doc.slice(doc.indexOf('\n## Environment\n'));
  const tables = section.slice(0, section.indexOf('\n## ', 1));
  const firstCells = [...tables.matchAll(/^\| ([^|]+) \|/gm)].map((m) => m[1] as string);
  return new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1] as string)));
}

/** How config/centinela.yaml has pages read: in Spanish, times in Guayaquil. */
export const SHIPPED_READING: Reading = { locale: 'es', timezone: 'America/Guayaquil' };
