// Writes scenarios/schema.json from the zod scenario schema. Run after changing a schema:
//   node scripts/gen-schema.ts
// test/scenario/json-schema.test.ts fails while the committed file is out of date.
import { writeFileSync } from 'node:fs';
import { scenarioJsonSchemaText } from '../src/scenario/json-schema.ts';

const target = new URL('../scenarios/schema.json', import.meta.url);
writeFileSync(target, scenarioJsonSchemaText());
process.stdout.write(`wrote ${target.pathname}\n`);
