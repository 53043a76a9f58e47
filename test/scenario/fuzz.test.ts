import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isSquallError } from '../../src/errors.ts';
import { ScenarioValidationError } from '../../src/scenario/load.ts';
import { parseScenario } from '../../src/scenario/plan.ts';

/**
 * No input makes the loader fail with anything but a validation error: random text, random YAML
 * values, and (most useful) valid scenarios with one field replaced by a random value.
 */
const BASE = {
  name: 'fuzz',
  seed: 1,
  duration: '1m',
  traffic: { arrivals: { kind: 'constant', rate: '60/min' } },
  upstream: { phases: [{ start: '10s', end: '20s', faults: { '503': 0.5 } }] },
  strategies: [
    { name: 'a', preset: 'openai-sdk' },
    {
      name: 'b',
      policies: [
        {
          type: 'retry',
          max_attempts: 3,
          backoff: { kind: 'exponential', base_ms: '1s', cap_ms: '30s', jitter: 'full' },
        },
        { type: 'timeout', attempt_timeout_ms: '10s' },
      ],
    },
  ],
  thresholds: { all: ['success_rate >= 0.5'], compare: ['"b".p(99) < "a".p(99)'] },
};

/** Every path to a value in BASE. */
function paths(v: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(v)) return [prefix, ...v.flatMap((x, i) => paths(x, [...prefix, i]))];
  if (v && typeof v === 'object')
    return [prefix, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...prefix, k]))];
  return [prefix];
}
const PATHS = paths(BASE).filter((p) => p.length > 0);

function setAt(root: unknown, path: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

function loadOnly(text: string): 'ok' | 'invalid' {
  try {
    parseScenario('fuzz.yaml', text);
    return 'ok';
  } catch (e) {
    if (e instanceof ScenarioValidationError) {
      expect(e.problems.length).toBeGreaterThan(0);
      for (const p of e.problems) {
        expect(p.line).toBeGreaterThanOrEqual(1);
        expect(p.col).toBeGreaterThanOrEqual(1);
        expect(p.message.length).toBeGreaterThan(0);
      }
      return 'invalid';
    }
    if (isSquallError(e)) return 'invalid';
    throw e;
  }
}

const anyValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double(),
  fc.string(),
  fc.constantFrom('-1s', '0', '1e9h', '100%', '-5/min', 'NaN', 'full', '"', '{', 'p(99) <'),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
);

describe('scenario loader fuzzing', () => {
  it('the base scenario is valid', () => {
    expect(loadOnly(stringify(BASE))).toBe('ok');
  });

  it('random text never crashes the loader', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => void loadOnly(text)),
      { numRuns: 300, seed: 42 },
    );
  });

  it('random YAML documents never crash the loader', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => void loadOnly(stringify(v) ?? '')),
      { numRuns: 300, seed: 43 },
    );
  });

  it('a valid scenario with any one field replaced never crashes the loader', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PATHS),
        anyValue,
        (path, value) => void loadOnly(stringify(setAt(BASE, path, value))),
      ),
      { numRuns: 1500, seed: 44 },
    );
    // 1,500 schema checks: about 5 s alone, 20 s on a loaded 2-core machine; the count, not the clock, is the test.
  }, 120_000);
});
