import { describe, expect, it } from 'vitest';
import { tInterval, tQuantile } from '../../src/metrics/confidence.ts';
import {
  evaluateThresholds,
  parseThreshold,
  type ThresholdSpec,
  ThresholdSyntaxError,
} from '../../src/metrics/thresholds.ts';
import type { RunResult } from '../../src/runner/result.ts';
import { parseScenario, runScenario } from '../../src/scenario/plan.ts';
import { syntheticResult } from '../report/helpers.ts';

describe('threshold expressions', () => {
  const parsed: Array<[string, unknown]> = [
    [
      'success_rate >= 0.95',
      { left: { metric: 'success_rate' }, op: '>=', right: { kind: 'literal', value: 0.95 } },
    ],
    ['p(99) < 10s', { left: { metric: 'p', percentile: 99 }, op: '<', right: { value: 10_000, unit: 'ms' } }],
    ['p95 <= 800', { left: { metric: 'p', percentile: 95 }, op: '<=', right: { value: 800 } }],
    ['error_rate < 5%', { left: { metric: 'error_rate' }, op: '<', right: { value: 0.05, unit: 'percent' } }],
    ['recovery_time < 2m', { left: { metric: 'recovery_time' }, right: { value: 120_000 } }],
    ['wasted_retries == 0', { left: { metric: 'wasted_retries' }, op: '==', right: { value: 0 } }],
    ['0.95 <= success_rate', { left: { metric: 'success_rate' }, op: '>=', right: { value: 0.95 } }],
    [
      '"expo-jitter".success_rate > "fixed-2s".success_rate',
      {
        left: { strategy: 'expo-jitter', metric: 'success_rate' },
        op: '>',
        right: { kind: 'metric', strategy: 'fixed-2s', metric: 'success_rate' },
      },
    ],
    [
      '"a".success_rate > "b".success_rate with 95% confidence',
      { left: { strategy: 'a' }, right: { strategy: 'b' }, confidence: 0.95 },
    ],
  ];
  it.each(parsed)('parses %s', (source, shape) => {
    expect(parseThreshold(source)).toMatchObject(shape as object);
  });

  const invalid: Array<[string, RegExp]> = [
    ['success_rate', /no comparison/],
    ['success_rate => 0.9', /no comparison/],
    ['sucess_rate > 0.9', /unknown metric "sucess_rate"/],
    ['p(0) < 1s', /between 0 and 100/],
    ['1 < 2', /compares two numbers/],
    ['success_rate < 10s', /not a duration/],
    ['p(99) < 50%', /not a fraction/],
    ['"a".success_rate == "b".success_rate with 95% confidence', /needs an ordering/],
    ['"a".success_rate > "b".success_rate with 20% confidence', /out of range/],
  ];
  it.each(invalid)('rejects %s with a hint', (source, message) => {
    expect(() => parseThreshold(source)).toThrow(message);
    try {
      parseThreshold(source);
    } catch (e) {
      expect(e).toBeInstanceOf(ThresholdSyntaxError);
      expect((e as ThresholdSyntaxError).hint.length).toBeGreaterThan(0);
    }
  });
});

describe('t-intervals', () => {
  it.each([
    [1, 12.706],
    [4, 2.776],
    [10, 2.228],
    [30, 2.042],
    [1000, 1.962],
  ])('the 97.5%% quantile of t with %i degrees of freedom is %f', (df, expected) => {
    expect(tQuantile(0.975, df)).toBeCloseTo(expected, 2);
  });

  it('builds mean ± t·s/√n, and a point with one sample', () => {
    const i = tInterval([1, 2, 3, 4, 5])!;
    expect(i.mean).toBe(3);
    expect(i.high - i.mean).toBeCloseTo((2.776 * Math.sqrt(2.5)) / Math.sqrt(5), 2);
    expect(tInterval([7])).toMatchObject({ n: 1, low: 7, high: 7 });
    expect(tInterval([])).toBeNull();
  });
});

const TINY = `name: tiny
seed: 9
duration: 20s
traffic:
  arrivals: { kind: constant, rate: 300/min }
upstream:
  rate_limits: { requests_per_min: 10000, tokens_per_min: 50000000 }
  phases:
    - { start: 0s, end: 20s, faults: { "500": 0.2 } }
strategies:
  - name: single
  - name: retries
    policies:
      - { type: retry, max_attempts: 4, backoff: { kind: exponential, base_ms: 100ms, cap_ms: 1s, jitter: full } }
`;

async function tinyRuns(seeds = 1): Promise<RunResult[]> {
  return (await runScenario(parseScenario('tiny.yaml', TINY), { seeds })).runs;
}

function specs(...sources: string[]): ThresholdSpec[] {
  return sources.map((s) => ({ scope: null, expr: parseThreshold(s) }));
}

describe('evaluating thresholds', () => {
  it('gives one verdict per strategy for an unscoped threshold, with observed and limit', async () => {
    const runs = await tinyRuns();
    const [single, retries] = evaluateThresholds(specs('success_rate >= 0.9'), runs);
    expect(single).toMatchObject({ strategy: 'single', pass: false, limit: 0.9, op: '>=' });
    expect(single!.observed!).toBeLessThan(0.9);
    expect(single!.message).toMatch(/"single" success_rate = 0\.\d+, expected >= 0\.9/);
    expect(retries).toMatchObject({ strategy: 'retries', pass: true });
  });

  it('compares two strategies', async () => {
    const runs = await tinyRuns();
    const [v] = evaluateThresholds(specs('"retries".success_rate > "single".success_rate'), runs);
    expect(v).toMatchObject({ strategy: 'retries', pass: true });
    const [w] = evaluateThresholds(specs('"single".success_rate > "retries".success_rate'), runs);
    expect(w!.pass).toBe(false);
  });

  it('fails, never passes silently, on a metric with no samples or a strategy that did not run', async () => {
    const runs = await tinyRuns();
    const [rec, cost, ghost] = evaluateThresholds(
      [
        { scope: 'retries', expr: parseThreshold('recovery_time < 1h') },
        { scope: 'retries', expr: parseThreshold('cost < 100') },
        { scope: null, expr: parseThreshold('"ghost".success_rate > 0') },
      ],
      runs,
    );
    // The fault window lasts to the end of the run: there is nothing to recover in, so no sample (it fails).
    expect(rec).toMatchObject({ pass: false, observed: null });
    expect(rec!.message).toMatch(/no fault window that ends before the run does/);
    const noWindows = structuredClone(runs);
    for (const s of noWindows[0]!.strategies) s.summary.recovery = [];
    const [none] = evaluateThresholds(
      [{ scope: 'retries', expr: parseThreshold('recovery_time < 1h') }],
      noWindows,
    );
    expect(none!.pass).toBe(false);
    expect(none!.message).toMatch(/no samples.*no fault window/);
    expect(cost!.message).toMatch(/no samples.*price_per_1k_tokens/);
    expect(ghost!.message).toMatch(/no strategy named "ghost"/);
  });

  it('demands several seeds for "with confidence", and then uses the paired differences', async () => {
    const expr = '"retries".success_rate > "single".success_rate with 95% confidence';
    const [one] = evaluateThresholds(specs(expr), await tinyRuns(1));
    expect(one).toMatchObject({ pass: false });
    expect(one!.message).toMatch(/needs at least 2 seeds/);
    const [five] = evaluateThresholds(specs(expr), await tinyRuns(5));
    expect(five).toMatchObject({ pass: true, interval: { n: 5, confidence: 0.95 } });
    const [reverse] = evaluateThresholds(
      specs('"single".success_rate > "retries".success_rate with 95% confidence'),
      await tinyRuns(5),
    );
    expect(reverse!.pass).toBe(false);
  });
});

/**
 * Verdicts at the boundary, operator by operator. Each table has the equal case, which is the one a
 * `<` written as `<=` (or a confidence bound `ci.low > 0` written as `>= 0`) gets wrong; every row was
 * checked to turn red under those mutations of src/metrics/thresholds.ts.
 */
describe('threshold verdicts at the boundary', () => {
  /** One run per seed; `rates[seed][strategy]` is that strategy's success rate in that seed. */
  function runsWith(rates: ReadonlyArray<Record<string, number>>): RunResult[] {
    return rates.map((perStrategy, i) => {
      const names = Object.keys(perStrategy);
      const r = syntheticResult({ strategies: names.length, seconds: 10, seed: String(i + 1) });
      r.seed = String(i + 1);
      names.forEach((name, j) => {
        const s = r.strategies[j]!;
        s.name = name;
        s.summary.successRate = perStrategy[name]!;
      });
      return r;
    });
  }
  const verdict = (source: string, runs: RunResult[]) =>
    evaluateThresholds([{ scope: null, expr: parseThreshold(source) }], runs)[0]!;

  it.each<[string, boolean]>([
    ['success_rate < 0.5', false],
    ['success_rate <= 0.5', true],
    ['success_rate > 0.5', false],
    ['success_rate >= 0.5', true],
    ['success_rate == 0.5', true],
    ['success_rate != 0.5', false],
    ['success_rate < 0.6', true],
    ['success_rate <= 0.4', false],
    ['success_rate > 0.4', true],
    ['success_rate >= 0.6', false],
    ['success_rate == 0.6', false],
    ['success_rate != 0.6', true],
    // A literal on the left flips the operator: 0.5 > x is x < 0.5.
    ['0.5 > success_rate', false],
    ['0.5 >= success_rate', true],
  ])('against a number at 0.5: %s → %s', (source, pass) => {
    expect(verdict(source, runsWith([{ a: 0.5 }])).pass).toBe(pass);
  });

  it.each<[string, { a: number; b: number }, boolean]>([
    ['<', { a: 0.5, b: 0.5 }, false],
    ['<=', { a: 0.5, b: 0.5 }, true],
    ['>', { a: 0.5, b: 0.5 }, false],
    ['>=', { a: 0.5, b: 0.5 }, true],
    ['==', { a: 0.5, b: 0.5 }, true],
    ['!=', { a: 0.5, b: 0.5 }, false],
    ['<', { a: 0.4, b: 0.5 }, true],
    ['>', { a: 0.6, b: 0.5 }, true],
    ['<=', { a: 0.6, b: 0.5 }, false],
    ['>=', { a: 0.4, b: 0.5 }, false],
  ])('between strategies: "a".success_rate %s "b".success_rate with %o → %s', (op, rates, pass) => {
    expect(verdict(`"a".success_rate ${op} "b".success_rate`, runsWith([rates])).pass).toBe(pass);
  });

  // Paired per-seed differences a − b; [0, 0, 0] puts both ends of the interval exactly on 0.
  it.each<[string, number[], boolean]>([
    ['>', [0, 0, 0], false],
    ['>=', [0, 0, 0], true],
    ['<', [0, 0, 0], false],
    ['<=', [0, 0, 0], true],
    ['>', [0.1, 0.1, 0.1], true],
    ['<', [-0.1, -0.1, -0.1], true],
    ['>', [0.1, 0.12, 0.11], true],
    // The interval straddles 0: neither side holds with confidence.
    ['>', [0.1, -0.1, 0.05], false],
    ['<', [0.1, -0.1, 0.05], false],
    ['>=', [0.1, -0.1, 0.05], false],
    ['<=', [0.1, -0.1, 0.05], false],
  ])('with 95 percent confidence: "a" %s "b", per-seed differences %j → %s', (op, diffs, pass) => {
    const runs = runsWith(diffs.map((d) => ({ a: 0.5 + d, b: 0.5 })));
    const v = verdict(`"a".success_rate ${op} "b".success_rate with 95% confidence`, runs);
    expect(v.pass).toBe(pass);
    expect(v.interval?.n).toBe(3);
  });

  it('against a number with 95% confidence, the whole interval of the mean must lie on the passing side', () => {
    const exact = runsWith([{ a: 0.9 }, { a: 0.9 }, { a: 0.9 }]);
    expect(verdict('success_rate > 0.9 with 95% confidence', exact).pass).toBe(false);
    expect(verdict('success_rate >= 0.9 with 95% confidence', exact).pass).toBe(true);
    const spread = runsWith([{ a: 0.85 }, { a: 0.95 }, { a: 0.9 }]);
    expect(verdict('success_rate >= 0.8 with 95% confidence', spread).pass).toBe(false);
    expect(verdict('success_rate >= 0.5 with 95% confidence', spread).pass).toBe(true);
  });

  it('carries the metric unit, so reports write `5.00 s < 1m0s`, not `5000 < 60000`', () => {
    const runs = runsWith([{ a: 0.5 }]);
    expect(verdict('success_rate >= 95%', runs).unit).toBe('fraction');
    expect(verdict('p(99) < 1m', runs).unit).toBe('ms');
    expect(verdict('amplification <= 2', runs).unit).toBe('ratio');
  });
});
