// The committed JSON Schemas are what the generator writes, and each shipped YAML file points at its own.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchemas, jsonSchemaText } from '../../src/config/json-schema.js';

describe('config/schema/*.schema.json', () => {
  const schemas = configJsonSchemas();

  it.each(Object.keys(schemas))('%s equals what `npm run schema` writes', (file) => {
    const committed = readFileSync(`config/schema/${file}`, 'utf8');
    expect(committed, `config/schema/${file} is stale: run \`npm run schema\``).toBe(
      jsonSchemaText(schemas[file] as object),
    );
  });

  it('describes strict objects, so editors flag unknown keys', () => {
    const alerts = schemas['alerts.schema.json'] as { additionalProperties?: boolean; properties: object };
    expect(alerts.additionalProperties).toBe(false);
    expect(Object.keys(alerts.properties)).toEqual([
      'probes',
      'rules',
      'inhibit',
      'maintenance',
      'sources',
      'evaluation',
    ]);
  });

  it.each(['alerts', 'escalation', 'centinela'])('config/%s.yaml names its schema on its first line', (name) => {
    const first = readFileSync(`config/${name}.yaml`, 'utf8').split('\n')[0];
    expect(first).toBe(`# yaml-language-server: $schema=./schema/${name}.schema.json`);
  });
});
