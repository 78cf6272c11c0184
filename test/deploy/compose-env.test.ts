// The compose file passes on every variable the shipped config/ reads, so what docs/deploy.md says can be set in the
// environment reaches the container (a variable it leaves out is silently its YAML default inside the container).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { documentedVariables } from '../support/shipped-env.js';

// Set by the image or the compose file itself, not passed on from the host.
const NOT_PASSED_ON = new Set(['CENTINELA_LISTEN']);

/** Every variable the shipped config/ reads. */
function readByConfig(): Set<string> {
  const read = new Set<string>();
  for (const file of readdirSync('config').filter((f) => f.endsWith('.yaml'))) {
    const text = readFileSync(join('config', file), 'utf8').replace(/^\s*#.*$/gm, '');
    for (const m of text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)) read.add(m[1] as string);
  }
  return read;
}

it('passes on every variable the shipped config reads', () => {
  const read = readByConfig();
  const compose = parse(readFileSync('deploy/docker-compose.sidecar.yml', 'utf8')) as {
    services: { centinela: { environment: Record<string, string> } };
  };
  const passed = new Set(Object.keys(compose.services.centinela.environment));
  expect([...read].filter((v) => !passed.has(v) && !NOT_PASSED_ON.has(v)).sort()).toEqual([]);
});

it('every variable the shipped config reads is in docs/deploy.md, with its default', () => {
  const documented = documentedVariables();
  expect([...readByConfig()].filter((v) => !documented.has(v)).sort()).toEqual([]);
});
