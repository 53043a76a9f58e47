import { describe, expect, it } from 'vitest';
import { ScenarioValidationError, type ValidationProblem } from '../../src/scenario/load.ts';
import { parseScenario, toPlan } from '../../src/scenario/plan.ts';

/** A valid scenario with a client section; each case below breaks one line of it. */
const VALID = `name: app
duration: 1m
traffic:
  arrivals: { kind: constant, rate: 2/s }
client:
  workers: 8
  sleep: blocking
  queue: { max: 100, timeout: 30s }
  connections: 10
  timeout: 29s
  other_traffic:
    - { name: product-page, rate: 20/s, service_time: { median: 40ms, p99: 250ms } }
strategies:
  - { name: plain, policies: [] }
`;

function problems(text: string): ValidationProblem[] {
  try {
    parseScenario('app.yaml', text);
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

describe('the client: section', () => {
  it('converts to the config every strategy run gets, defaults filled', () => {
    const plan = toPlan(parseScenario('app.yaml', VALID), '1', 'test');
    expect(plan.client).toEqual({
      workers: 8,
      sleep: 'blocking',
      queue: { max: 100, timeoutMs: 30_000 },
      connections: 10,
      connectionQueue: { max: 2048, timeoutMs: 30_000 },
      timeoutMs: 29_000,
      otherTraffic: [
        {
          name: 'product-page',
          ratePerSec: 20,
          serviceTime: { kind: 'lognormal', medianMs: 40, p99Ms: 250 },
        },
      ],
    });
    expect(
      toPlan(parseScenario('app.yaml', VALID.replace(/client:[\s\S]*?strategies:/, 'strategies:')), '1', 't')
        .client,
    ).toBeUndefined();
  });

  // [what is wrong, the edit, line, col, path, message fragment, hint fragment]
  const cases: Array<[string, string, string, number, number, string, RegExp, RegExp | null]> = [
    ['zero workers', 'workers: 8', 'workers: 0', 6, 12, 'client.workers', />=1|≥ ?1|too small/i, null],
    ['unknown sleep', 'sleep: blocking', 'sleep: sleepy', 7, 10, 'client.sleep', /blocking|async/, null],
    [
      'unknown key',
      'connections: 10',
      'conections: 10',
      9,
      3,
      'client.conections',
      /unknown key/,
      /connections/,
    ],
    [
      'bad queue timeout',
      'timeout: 30s }',
      'timeout: soon }',
      8,
      31,
      'client.queue.timeout',
      /expected a duration/,
      /30s/,
    ],
    ['zero app timeout', 'timeout: 29s', 'timeout: 0s', 10, 12, 'client.timeout', /more than 0/, null],
    [
      'bad route rate',
      'rate: 20/s',
      'rate: fast',
      12,
      35,
      'client.other_traffic.0.rate',
      /expected a rate/,
      /30\/s/,
    ],
    [
      'other traffic without workers',
      '  workers: 8\n',
      '',
      11,
      5,
      'client.other_traffic',
      /client.workers/,
      /workers: 8/,
    ],
  ];

  it.each(cases)(
    '%s: file:line:col, path, message and hint',
    (_what, from, to, line, col, path, message, hint) => {
      const found = problems(edit(from, to));
      const p = found.find((x) => x.path === path);
      expect(p, JSON.stringify(found)).toBeDefined();
      expect(p!.file).toBe('app.yaml');
      expect([p!.line, p!.col]).toEqual([line, col]);
      expect(p!.message).toMatch(message);
      if (hint) expect(p!.hint).toMatch(hint);
    },
  );

  it('names a duplicate route', () => {
    const text = edit(
      '    - { name: product-page, rate: 20/s, service_time: { median: 40ms, p99: 250ms } }\n',
      '    - { name: page, rate: 20/s, service_time: { fixed: 10ms } }\n    - { name: page, rate: 1/s, service_time: { fixed: 10ms } }\n',
    );
    const p = problems(text).find((x) => x.path === 'client.other_traffic.1.name');
    expect(p?.message).toMatch(/already the name of other_traffic\[0\]/);
    expect(p?.line).toBe(13);
  });
});
