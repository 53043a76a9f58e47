import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema, scenarioJsonSchemaText } from '../../src/scenario/json-schema.ts';

describe('scenarios/schema.json', () => {
  it('is up to date with the zod schema (regenerate with: node scripts/gen-schema.ts)', () => {
    const committed = readFileSync(new URL('../../scenarios/schema.json', import.meta.url), 'utf8');
    // Compared as data, so a formatter re-indenting the file does not matter.
    expect(JSON.parse(committed)).toEqual(JSON.parse(scenarioJsonSchemaText()));
  });

  it('describes the sections, the required fields and the strategy choices', () => {
    const s = scenarioJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { items?: { properties?: Record<string, { enum?: string[] }> } }>;
    };
    // strategies may be left out beside a target (the zod schema asks for one or the other).
    expect(s.required.sort()).toEqual(['duration', 'traffic']);
    expect(s.additionalProperties).toBe(false);
    expect(Object.keys(s.properties)).toEqual(
      expect.arrayContaining([
        'traffic',
        'upstream',
        'strategies',
        'thresholds',
        'seeds',
        'mode',
        'target',
        'variants',
      ]),
    );
    expect(s.properties.strategies!.items!.properties!.preset!.enum).toContain('openai-sdk');
  });
});
