// Writes config/schema/*.schema.json from the zod schemas: `npm run schema` after changing src/config/.
// test/config/json-schema.test.ts fails while the committed files differ from what this writes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchemas, jsonSchemaText } from '../src/config/json-schema.js';

for (const [file, schema] of Object.entries(configJsonSchemas())) {
  writeFileSync(join('config', 'schema', file), jsonSchemaText(schema));
  console.log(`wrote config/schema/${file}`);
}
