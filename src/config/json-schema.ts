// JSON Schemas of the three configuration files, generated from the zod schemas for editors with a YAML
// language server (each shipped YAML file names its schema on its first line).
import { z } from 'zod';
import { CONFIG_FILES } from './load.js';

/** File name under config/schema/ → its JSON Schema (what may be written, so `io: 'input'`). */
export function configJsonSchemas(): Record<string, object> {
  const out: Record<string, object> = {};
  for (const { name, schema } of Object.values(CONFIG_FILES)) {
    out[name.replace(/\.yaml$/, '.schema.json')] = {
      ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
      title: `centinela ${name}`,
    };
  }
  return out;
}

/** The text committed for a schema: two-space JSON and a final newline. */
export function jsonSchemaText(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
