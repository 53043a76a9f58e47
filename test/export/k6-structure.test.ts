import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { isSquallError } from '../../src/errors.ts';
import { exportK6, type K6Export } from '../../src/export/k6.ts';
import { formatRate, rateUnit } from '../../src/export/k6-executors.ts';
import { loadScenario } from '../../src/scenario/plan.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const load = (rel: string) => loadScenario(join(ROOT, 'scenarios', rel));

/** The `export const options: Options = {...};` object, read back from the script text. */
function optionsInScript(e: K6Export): unknown {
  const m = /export const options: Options = (\{[\s\S]*?\n\});/.exec(e.script);
  if (!m) throw new Error('no options in the script');
  return JSON.parse(m[1]!);
}

describe('squall export k6: executors', () => {
  it.each([
    [1, '1s', 1],
    [2000 / 60, '1m', 2000],
    [2.5, '1m', 150],
    [1 / 3600, '1h', 1],
  ])('a rate of %d/s is written as whole requests per timeUnit %s', (perSec, unit, count) => {
    const u = rateUnit([perSec]);
    expect(u.timeUnit).toBe(unit);
    expect(Math.round(perSec * u.perSec)).toBe(count);
  });

  it('the header prints rates as people write them (2000 per 1m, not 2000.0000000000002)', () => {
    const e = exportK6(load('seed-article/singles-day-429-storm.yaml'), { strategy: 'expo-jitter' });
    expect(e.script).toContain('open model: 2000 requests per 1m (constant-arrival-rate)');
    const header = e.script.split('\n').filter((l) => l.startsWith('//'));
    expect(header.join('\n')).not.toMatch(/\d\.\d{9,}/);
    expect(formatRate(2000.0000000000002, true)).toBe('2000');
    expect(formatRate(1234.56789, false)).toBe('about 1234.57');
  });

  it('a constant open rate becomes constant-arrival-rate for the scenario duration, drain as gracefulStop', () => {
    const e = exportK6(load('seed-article/singles-day-429-storm.yaml'), { strategy: 'expo-jitter' });
    expect(e.options.scenarios).toEqual({
      constant: expect.objectContaining({
        executor: 'constant-arrival-rate',
        rate: 2000,
        timeUnit: '1m',
        duration: '6m0s',
        gracefulStop: '30s',
      }),
    });
    const c = e.options.scenarios.constant!;
    expect(c.maxVUs as number).toBeGreaterThanOrEqual(c.preAllocatedVUs as number);
    expect(optionsInScript(e)).toEqual(e.options);
  });

  it('a spike becomes ramping-arrival-rate stages that jump to the spike rate and back', () => {
    const e = exportK6(load('seed-article/flash-sale-thundering-herd.yaml'), { strategy: 'fixed-2s' });
    const s = e.options.scenarios.spike!;
    // The file: 1,500/min, a spike to 6,000/min at 1m for 1m, 4m in all.
    expect(s).toMatchObject({ executor: 'ramping-arrival-rate', startRate: 25, timeUnit: '1s' });
    expect(s.stages).toEqual([
      { duration: '1m0s', target: 25 },
      { duration: '0s', target: 100 },
      { duration: '1m0s', target: 100 },
      { duration: '0s', target: 25 },
      { duration: '2m0s', target: 25 },
    ]);
  });

  it('a daily curve becomes ramps and says it approximates; Poisson spacing is called out', () => {
    const e = exportK6(load('seed-article/queue-5x-growth.yaml'), { strategy: 'direct' });
    const s = e.options.scenarios.daily!;
    expect(s.executor).toBe('ramping-arrival-rate');
    expect((s.stages as unknown[]).length).toBeGreaterThan(10);
    expect(e.script).toMatch(/daily curve: the cosine is followed in straight ramps/);
    expect(e.script).toMatch(/Poisson arrivals: k6 arrival-rate executors space iterations evenly/);
  });
});

describe('squall export k6: thresholds', () => {
  it('maps what k6 can evaluate and lists the rest with a reason', () => {
    const e = exportK6(load('ci/smoke.yaml'), { strategy: 'sdk-defaults' });
    expect(e.options.thresholds).toEqual({
      logical_duration: ['p(99)<15000'],
      http_req_duration: ['p(99)<15000'],
      logical_success: ['rate>=0.99'],
    });
    expect(e.thresholds.unmapped.map((u) => u.source)).toEqual([
      'amplification <= 1.1',
      '"sdk-defaults".success_rate > "no-retries".success_rate',
    ]);
    expect(e.script).toMatch(
      /Thresholds that cannot be mapped[\s\S]*amplification <= 1\.1: a ratio of two counters/,
    );
  });

  it('thresholds listed under another strategy are not applied', () => {
    const e = exportK6(load('ci/smoke.yaml'), { strategy: 'no-retries' });
    expect(e.options.thresholds).toEqual({
      logical_duration: ['p(99)<15000'],
      http_req_duration: ['p(99)<15000'],
    });
  });

  it('counters map to count thresholds; error_rate flips onto logical_success', () => {
    const e = exportK6(load('../test/export/fixtures/counter-thresholds.yaml'), {
      strategy: 'retry-everything',
    });
    expect(e.options.thresholds.wasted_retries).toEqual(['count>0']);
    // failure_p95 (a1d5e80) is the latency of failures only; k6's logical_duration mixes both.
    expect(e.options.thresholds.logical_duration).toBeUndefined();
    expect(e.thresholds.unmapped).toContainEqual({
      source: 'failure_p95 >= 9s',
      reason: expect.stringMatching(/failures only/),
    });
  });
});

describe('squall export k6: strategy and retry loop', () => {
  it('writes the retry policy, classification and Retry-After into the script', () => {
    const e = exportK6(load('seed-article/singles-day-429-storm.yaml'), {
      strategy: 'expo-jitter-retry-after',
    });
    expect(e.spec).toMatchObject({
      maxAttempts: 4,
      backoff: { kind: 'exponential', baseMs: 1000, capMs: 30_000, jitter: 'full' },
      retryOn: ['transient', 'network'],
      retryAfter: { honour: true, maxMs: 60_000, overMax: 'backoff' },
      breaker: null,
    });
    expect(e.script).toContain('"maxAttempts": 4');
    // The loop: an attempt per iteration, tagged with its number, stopping at maxAttempts.
    expect(e.script).toMatch(/for \(let attempt = 1; ; attempt\+\+\)/);
    expect(e.script).toMatch(/if \(attempt >= STRATEGY\.maxAttempts\) return last;/);
    expect(e.script).toMatch(/attempt: String\(attempt\)/);
    expect(e.script).toMatch(/serverDelayMs\(outcome\) \?\? backoffMs/);
  });

  it('the seed-article breaker wraps the retry loop, per virtual user, and the header says so', () => {
    const e = exportK6(load('ci/short-outage.yaml'), { strategy: 'breaker' });
    expect(e.spec.breaker).toEqual({
      kind: 'consecutive',
      scope: 'request',
      threshold: 5,
      openMs: 30_000,
      halfOpenProbes: 1,
      failOn: ['transient', 'network'],
    });
    expect(e.script).toMatch(/each virtual user has its own breaker/);
    expect(e.options.thresholds.breaker_opened).toEqual(['count>=1']);
  });

  it("a preset's per-attempt timeout becomes k6's request timeout", () => {
    const e = exportK6(load('ci/short-outage.yaml'), { strategy: 'sdk-defaults' });
    expect(e.spec).toMatchObject({ maxAttempts: 3, attemptTimeoutMs: 300_000, deadlineMs: 300_000 });
    const impatient = exportK6(load('incidents/2024-12-04-stalls.yaml'), { strategy: 'impatient-10s' });
    expect(impatient.spec.attemptTimeoutMs).toBe(10_000);
  });

  it('by default exports the first strategy a k6 script can run', () => {
    expect(exportK6(load('examples/custom-strategy.yaml')).strategy).toBe('sdk-preset');
  });

  it.each([
    ['examples/custom-strategy.yaml', 'mine', /module adapter/],
    ['examples/custom-strategy.yaml', 'nobody', /no strategy is named "nobody"/],
    ['seed-article/queue-5x-growth.yaml', 'worker-queue', /worker queue/],
  ])('%s --strategy %s is refused with a clear message', (rel, strategy, message) => {
    let error: unknown;
    try {
      exportK6(load(rel), { strategy });
    } catch (e) {
      error = e;
    }
    expect(isSquallError(error, 'ERR_SQUALL_STRATEGY')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    ['../test/export/fixtures/fallback-routes.yaml', 'fallback-chain', ['gpt-4o', 'gpt-4.1', 'gpt-4o-mini']],
    ['../test/export/fixtures/fallback-routes.yaml', 'article-table', ['gpt-4o', 'gpt-4o-mini']],
  ])('%s --strategy %s exports its fallback chain without --approximate', (rel, strategy, models) => {
    const e = exportK6(load(rel), { strategy });
    expect(e.dropped).toEqual([]);
    expect(e.spec.fallback?.models).toEqual(models);
    expect(e.spec.fallback?.routes).toMatchObject({
      '503': { action: 'fallback' },
      '500': { action: 'retry_then_fallback', retries: 2 },
      '429': { action: 'backoff_retry', retries: 4 },
      client: { action: 'fail' },
    });
    expect(e.script).toMatch(/Reproduces exactly:[\s\S]*fallback chain: gpt-4o → /);
  });

  it('the fallbacks threshold maps onto the fallbacks counter', () => {
    const e = exportK6(load('../test/export/fixtures/fallback-routes.yaml'), {
      strategy: 'fallback-chain',
    });
    expect(e.options.thresholds.fallbacks).toEqual(['count>0']);
  });

  it('--approximate drops what k6 cannot run and lists it in the header', () => {
    const e = exportK6(load('seed-article/queue-5x-growth.yaml'), {
      strategy: 'worker-queue',
      approximate: true,
    });
    expect(e.dropped).toEqual([expect.stringMatching(/^policies\[0\] \(queue\)/)]);
    expect(e.script).toMatch(
      /NOT reproduced \(exported with --approximate\):\n\/\/ {3}- policies\[0\] \(queue\)/,
    );
    expect(e.spec.maxAttempts).toBe(4);
  });
});

describe('squall export k6: TestRun manifest', () => {
  it('is a k6-operator TestRun with parallelism and the script from a ConfigMap', () => {
    const e = exportK6(load('ci/smoke.yaml'), {
      strategy: 'sdk-defaults',
      scriptFile: 'out/smoke.k6.ts',
      parallelism: 4,
    });
    const doc = parseYaml(e.testRun) as Record<string, never>;
    expect(doc).toMatchObject({
      apiVersion: 'k6.io/v1alpha1',
      kind: 'TestRun',
      metadata: { name: 'squall-ci-smoke-sdk-defaults' },
      spec: { parallelism: 4, script: { configMap: { file: 'smoke.k6.ts' } } },
    });
  });
});
