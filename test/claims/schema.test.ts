import { describe, expect, it } from 'vitest';
import { ScenarioValidationError, type ValidationProblem } from '../../src/scenario/load.ts';
import { parseScenario } from '../../src/scenario/plan.ts';

/** `claims:` in a scenario file: parsed checks, and every mistake reported with line, column and hint. */
const VALID = `duration: 1m
traffic: { arrivals: { kind: constant, rate: 60/min } }
strategies: [{ name: fixed }, { name: expo }]
claims:
  - text: backoff with jitter serves more requests
    source: an article, section 2
    article: 99.2% vs 71%
    check: '"expo".success_rate > "fixed".success_rate'
`;

function problems(text: string): ValidationProblem[] {
  try {
    parseScenario('demo.yaml', text);
  } catch (e) {
    if (e instanceof ScenarioValidationError) return e.problems;
    throw e;
  }
  throw new Error('expected the scenario to be invalid');
}

describe('claims: in a scenario', () => {
  it('parses each claim with its check as a threshold expression', () => {
    const claims = parseScenario('demo.yaml', VALID).scenario.claims!;
    expect(claims).toHaveLength(1);
    expect(claims[0]).toMatchObject({
      text: 'backoff with jitter serves more requests',
      source: 'an article, section 2',
      article: '99.2% vs 71%',
      check: {
        op: '>',
        left: { strategy: 'expo', metric: 'success_rate' },
        right: { kind: 'metric', strategy: 'fixed', metric: 'success_rate' },
      },
    });
  });

  // [what is wrong, replace, with, line, path, message, hint]
  const cases: Array<[string, string, string, number, string, RegExp, RegExp]> = [
    [
      'a syntax error in the check',
      `check: '"expo".success_rate > "fixed".success_rate'`,
      `check: '"expo".success_rat > 3'`,
      8,
      'claims.0.check',
      /unknown metric "success_rat"/,
      /success_rate/,
    ],
    [
      'a metric without its strategy',
      `check: '"expo".success_rate > "fixed".success_rate'`,
      `check: 'success_rate > 0.9'`,
      8,
      'claims.0.check',
      /name the strategy of every metric/,
      /"expo-jitter".success_rate/,
    ],
    [
      'a strategy the scenario does not run',
      `check: '"expo".success_rate > "fixed".success_rate'`,
      `check: '"expo".success_rate > "fixed-2s".success_rate'`,
      8,
      'claims.0.check',
      /no strategy is named "fixed-2s"/,
      /by name/,
    ],
    [
      'a confidence clause (claims always use their interval)',
      `"fixed".success_rate'`,
      `"fixed".success_rate with 90% confidence'`,
      8,
      'claims.0.check',
      /drop "with 90% confidence"/,
      /e\.g\./,
    ],
    [
      'no source',
      '    source: an article, section 2\n',
      '',
      5,
      'claims.0.source',
      /say where the claim comes from: article title, author and section, found nothing/,
      /./,
    ],
  ];
  it.each(cases)('reports %s at its line with a hint', (_, from, to, line, path, message, hint) => {
    expect(VALID).toContain(from);
    const p = problems(VALID.replace(from, to));
    expect(p).toHaveLength(1);
    expect(p[0]!.line).toBe(line);
    expect(p[0]!.path).toBe(path);
    expect(p[0]!.message).toMatch(message);
    if (p[0]!.hint !== undefined || hint.source !== '.') expect(p[0]!.hint ?? '').toMatch(hint);
  });

  it('rejects unknown keys in a claim with a suggestion', () => {
    const p = problems(VALID.replace('    article:', '    artcle:'));
    expect(p[0]).toMatchObject({ path: 'claims.0.artcle', line: 7 });
    expect(p[0]!.hint).toMatch(/`article`/);
  });
});
