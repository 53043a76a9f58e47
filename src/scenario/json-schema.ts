import { z } from 'zod';
import { ADAPTER_TYPES, POLICY_TYPES } from '../strategies/config.ts';
import { PRESET_NAMES } from '../strategies/presets.ts';
import { scenarioSchema } from './schema.ts';

/**
 * `scenarios/schema.json`: the JSON Schema editors use to autocomplete and check scenario files, generated
 * from the zod schema (the single source of truth) by scripts/gen-schema.ts. It describes the input as
 * written (durations as strings, probabilities as "30%"); squall's own validation is stricter (meaning
 * checks such as phases that end before they start), so an editor may accept what `squall validate` does not.
 *
 * The `strategies:` entries are checked by the strategy checker, not by zod, so their schema here is a
 * sketch made from the same tables (presets, policy and adapter types) that permits any further field.
 *
 * Point an editor at it with the first line of a scenario file:
 *   # yaml-language-server: $schema=../schema.json
 */
export const SCHEMA_ID = 'urn:squall:scenario';

const STRATEGY_SKETCH = {
  type: 'object',
  description:
    'A strategy: exactly one of preset, policies or adapter (none: a single attempt). Keys are snake_case.',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
    description: { type: 'string' },
    preset: { enum: [...PRESET_NAMES] },
    policies: {
      type: 'array',
      description: 'outermost first',
      items: {
        type: 'object',
        required: ['type'],
        properties: { type: { enum: [...POLICY_TYPES] } },
      },
    },
    adapter: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: [...ADAPTER_TYPES] },
        path: { type: 'string' },
        export: { type: 'string' },
      },
    },
    classify: {
      type: 'object',
      properties: {
        transient_statuses: { type: 'array', items: { type: 'integer' } },
        client_statuses: { type: 'array', items: { type: 'integer' } },
        retry_quota429: { type: 'boolean' },
        honour_should_retry_header: { type: 'boolean' },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

const THRESHOLDS_SKETCH = {
  description:
    'k6-style expressions: a list (every strategy) or a mapping of all / compare / a strategy name to lists. E.g. success_rate >= 0.95, p(99) < 10s, "a".success_rate > "b".success_rate with 95% confidence',
  oneOf: [
    { type: 'array', items: { type: 'string' } },
    {
      type: 'object',
      additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    },
  ],
} as const;

export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Record<string, unknown> & { properties: Record<string, unknown> };
  schema.properties.strategies = { type: 'array', minItems: 1, items: STRATEGY_SKETCH };
  schema.properties.thresholds = THRESHOLDS_SKETCH;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_ID,
    title: 'squall scenario',
    ...schema,
  };
}

/** The file's text: stable key order, a trailing newline. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
