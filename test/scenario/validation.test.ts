import { describe, expect, it } from 'vitest';
import { ScenarioValidationError, type ValidationProblem } from '../../src/scenario/load.ts';
import { parseScenario } from '../../src/scenario/plan.ts';

/** A valid scenario; each case below breaks one line of it. */
const VALID = `name: demo
seed: 4
duration: 1m
traffic:
  arrivals: { kind: constant, rate: 120/min }
upstream:
  phases:
    - { name: storm, start: 10s, end: 30s, faults: { "503": 0.5 } }
strategies:
  - name: fixed
    preset: naive-fixed
  - name: expo
    policies:
      - type: retry
        max_attempts: 3
        backoff: { kind: exponential, base_ms: 1s, cap_ms: 30s, jitter: full }
thresholds:
  all: [success_rate >= 0.5]
  compare: ['"expo".amplification < "fixed".amplification']
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

function edit(from: string, to: string): string {
  if (!VALID.includes(from)) throw new Error(`fixture has no ${from}`);
  return VALID.replace(from, to);
}

describe('scenario validation', () => {
  it('accepts the valid fixture and converts strategies to camelCase configs', () => {
    const s = parseScenario('demo.yaml', VALID).scenario;
    expect(s.duration).toBe(60_000);
    expect(s.strategies[1]).toMatchObject({
      name: 'expo',
      policies: [{ type: 'retry', maxAttempts: 3, backoff: { baseMs: 1000, capMs: 30_000, jitter: 'full' } }],
    });
    expect(s.thresholds?.map((t) => [t.scope, t.expr.source])).toEqual([
      [null, 'success_rate >= 0.5'],
      [null, '"expo".amplification < "fixed".amplification'],
    ]);
  });

  // [what is wrong, the edit, line, col, path, message fragment, hint fragment]
  const cases: Array<[string, string, string, number, number, string, RegExp, RegExp | null]> = [
    ['broken YAML', 'duration: 1m', 'duration: [1m', 4, 1, '', /not valid YAML/, /indentation/],
    ['unknown top-level key', 'seed: 4', 'sed: 4', 2, 1, 'sed', /unknown key "sed"/, /`seed`/],
    ['wrong type', 'seed: 4', 'seed: [4]', 2, 7, 'seed', /expected a whole number or a string/, null],
    ['bad duration', 'duration: 1m', 'duration: 1 minute', 3, 11, 'duration', /expected a duration/, /30s/],
    ['zero duration', 'duration: 1m', 'duration: 0s', 3, 11, 'duration', /more than 0/, null],
    [
      'negative rate',
      'rate: 120/min',
      'rate: -5/min',
      5,
      37,
      'traffic.arrivals.rate',
      /expected a rate/,
      /2000\/min/,
    ],
    [
      'phase ending before it starts',
      'start: 10s, end: 30s',
      'start: 30s, end: 10s',
      8,
      39,
      'upstream.phases.0.end',
      /end after it starts/,
      null,
    ],
    [
      'unknown fault kind',
      '"503": 0.5',
      '"5O3": 0.5',
      8,
      61,
      'upstream.phases.0.faults.5O3',
      /unknown fault kind/,
      /known kinds/,
    ],
    [
      'misspelt policy field',
      'max_attempts: 3',
      'max_attempt: 3',
      15,
      9,
      'strategies.1.policies.0.max_attempt',
      /unknown field "max_attempt"/,
      /did you mean `max_attempts`\?/,
    ],
    [
      'camelCase key',
      'max_attempts: 3',
      'maxAttempts: 3',
      15,
      9,
      'strategies.1.policies.0.maxAttempts',
      /snake_case/,
      /`max_attempts`/,
    ],
    [
      'unknown jitter kind',
      'jitter: full',
      'jitter: fulll',
      16,
      73,
      'strategies.1.policies.0.backoff.jitter',
      /unknown jitter kind "fulll"/,
      /`full`/,
    ],
    [
      'impossible retry count',
      'max_attempts: 3',
      'max_attempts: 0',
      15,
      23,
      'strategies.1.policies.0.max_attempts',
      /≥ 1/,
      null,
    ],
    [
      'unknown preset',
      'preset: naive-fixed',
      'preset: naive-fixd',
      11,
      13,
      'strategies.0.preset',
      /unknown preset/,
      /naive-fixed/,
    ],
    [
      'duplicate strategy name',
      '- name: expo',
      '- name: fixed',
      12,
      11,
      'strategies.1.name',
      /already the name/,
      null,
    ],
    [
      'threshold syntax',
      'success_rate >= 0.5',
      'success_rate ≥ 0.5',
      18,
      9,
      'thresholds.all.0',
      /no comparison/,
      /success_rate >= 0.95/,
    ],
    [
      'unknown metric',
      'success_rate >= 0.5',
      'sucess_rate >= 0.5',
      18,
      9,
      'thresholds.all.0',
      /unknown metric "sucess_rate"/,
      /`success_rate`/,
    ],
    [
      'threshold naming a missing strategy',
      '"expo".amplification <',
      '"expoo".amplification <',
      19,
      13,
      'thresholds.compare.0',
      /no strategy is named "expoo"/,
      /"expo"/,
    ],
    [
      'thresholds under a missing strategy',
      '  all: [success_rate >= 0.5]',
      '  expoo: [success_rate >= 0.5]',
      18,
      3,
      'thresholds.expoo',
      /not a strategy/,
      /"expo"/,
    ],
    [
      'unit mismatch',
      'success_rate >= 0.5',
      'success_rate >= 5s',
      18,
      9,
      'thresholds.all.0',
      /not a duration/,
      /fraction/,
    ],
  ];

  it.each(cases)(
    '%s: reported at its line and column with a hint',
    (_what, from, to, line, col, path, message, hint) => {
      const found = problems(edit(from, to));
      const p = found.find((x) => x.path === path && message.test(x.message));
      expect(p, JSON.stringify(found, null, 1)).toBeDefined();
      expect([p!.line, p!.col]).toEqual([line, col]);
      expect(p!.file).toBe('demo.yaml');
      if (hint) expect(p!.hint).toMatch(hint);
    },
  );

  it('reports every problem at once, in file order', () => {
    const text = edit('seed: 4', 'sed: 4')
      .replace('rate: 120/min', 'rate: fast')
      .replace('jitter: full', 'jitter: fulll')
      .replace('success_rate >= 0.5', 'sucess_rate >= 0.5');
    const found = problems(text);
    expect(found.map((p) => p.path)).toEqual([
      'sed',
      'traffic.arrivals.rate',
      'strategies.1.policies.0.backoff.jitter',
      'thresholds.all.0',
    ]);
    expect(found.map((p) => p.line)).toEqual([...found.map((p) => p.line)].sort((a, b) => a - b));
  });

  it('formats problems as file:line:col  path: message with the hint below', () => {
    try {
      parseScenario('demo.yaml', edit('max_attempts: 3', 'max_attempt: 3'));
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain(
        'demo.yaml:15:9  strategies.1.policies.0.max_attempt: unknown field "max_attempt"\n    hint: did you mean `max_attempts`?',
      );
    }
  });

  it('requires duration, traffic and at least one strategy', () => {
    const found = problems('name: empty\nstrategies: []\n');
    expect(found.map((p) => p.path).sort()).toEqual(['duration', 'strategies', 'traffic'].sort());
  });
});
