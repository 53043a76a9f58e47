import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  FACTORS,
  KEY_PARAMETERS,
  perturbed,
  scaled,
  storyFile,
  verdictsOf,
} from '../../scripts/robustness.ts';
import type { ClaimVerdict } from '../../src/claims/evaluate.ts';
import { parseScenario } from '../../src/scenario/plan.ts';

/**
 * The seed stories (scenarios/seed-article/) and their claims, judged over 5 seeds in simulated time.
 * VERDICTS are the verdicts as written; the README's story section shows them beside the ±20% sweep of
 * scripts/robustness.ts, which is too slow for the suite (minutes) and runs on its own.
 */
const VERDICTS: Record<string, ClaimVerdict[]> = {
  // main flow, blast radius, amplification, "down for over three hours"
  'intermittent-failures-breaker': ['inconclusive', 'confirmed', 'inconclusive', 'contradicted'],
  // success rate, amplification
  'flash-sale-thundering-herd': ['contradicted', 'contradicted'],
  // jitter beats fixed, fixed reaches 78.3%, jitter reaches 96.7%
  'load-test-2000rpm': ['confirmed', 'contradicted', 'contradicted'],
  // 5 retries gain success, 5 retries send more attempts
  'retries-3-vs-5': ['confirmed', 'confirmed'],
  // retrying a 401 serves no more, ten seconds wasted, fewer wasted retries
  'expired-api-key': ['contradicted', 'confirmed', 'confirmed'],
  // throttled under the RPM limit, the token counter serves more, with fewer attempts per request
  'tpm-exhaustion': ['confirmed', 'confirmed', 'confirmed'],
  // the queue serves more, reaches 99.2%, makes users wait longer
  'queue-5x-growth': ['confirmed', 'confirmed', 'confirmed'],
  // jitter serves more, fixed 2 s sends more attempts, Retry-After sends fewer
  'singles-day-429-storm': ['contradicted', 'confirmed', 'contradicted'],
  // abandoned work billed, more billed in all, no more served
  'duplicate-submissions': ['confirmed', 'confirmed', 'confirmed'],
};

const textOf = (story: string) => readFileSync(storyFile(story), 'utf8');

describe('seed stories: each claim over 5 seeds', () => {
  it.each(Object.entries(VERDICTS))(
    '%s',
    async (story, expected) => {
      expect(await verdictsOf(story, textOf(story))).toEqual(expected);
    },
    240_000,
  );
});

describe('seed stories: the robustness sweep’s parameters', () => {
  it('every story with claims names its key parameters, and each one can be scaled both ways', () => {
    for (const story of Object.keys(VERDICTS)) {
      const text = textOf(story);
      const doc = parse(text) as { claims?: unknown[] };
      expect(doc.claims?.length).toBe(VERDICTS[story]!.length);
      const params = KEY_PARAMETERS[story]!;
      expect(params.length).toBeGreaterThan(0);
      for (const path of params) {
        for (const f of FACTORS) {
          const changed = perturbed(text, path, f);
          expect(changed).not.toBe(text);
          // Still a valid scenario (parseScenario throws with file:line otherwise).
          expect(parseScenario(`${story}.yaml`, changed).scenario.claims).toHaveLength(doc.claims!.length);
        }
      }
    }
  });

  it.each([
    [9, 0.8, 7],
    [9, 1.2, 11],
    [1, 0.8, 0.8],
    [0.3, 1.2, 0.36],
    [0.9, 1.2, 1],
    ['2s', 0.8, '1600ms'],
    ['10m', 1.2, '720000ms'],
    ['1/s', 0.8, '0.8/s'],
    ['6000/min', 1.2, '7200/min'],
  ])('scales %j by %d to %j (counts whole, fractions at most 1, units kept)', (value, f, want) => {
    const got = scaled(value, f, 'x');
    if (typeof want === 'number') expect(got as number).toBeCloseTo(want, 12);
    else expect(got).toBe(want);
  });

  it('refuses a path the story does not have, naming it', () => {
    const text = textOf('flash-sale-thundering-herd');
    expect(() => perturbed(text, 'client.threads', 0.8)).toThrow(/client\.threads: no "threads"/);
    expect(() => scaled('blocking', 0.8, 'client.sleep')).toThrow(/client\.sleep: cannot scale/);
  });
});
