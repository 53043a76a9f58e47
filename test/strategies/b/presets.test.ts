import { describe, expect, it } from 'vitest';
import { buildStrategySync } from '../../../src/strategies/build.ts';
import { parseStrategyConfig } from '../../../src/strategies/config.ts';
import { PRESET_NAMES, PRESETS, type PresetName } from '../../../src/strategies/presets.ts';
import type { AttemptOutcome, LogicalOutcome } from '../../../src/strategies/types.ts';
import { bench, fail, network, ok, type Respond, request, runAt } from './harness.ts';

/** Runs a preset in virtual time against a scripted upstream stand-in; `arrivals` are start times. */
async function runPreset(preset: PresetName, respond: Respond, arrivals: number[] = [0]) {
  const b = bench({ respond, seed: `preset:${preset}` });
  const strategy = buildStrategySync(parseStrategyConfig({ name: preset, preset }));
  const outcomes: LogicalOutcome[] = await runAt(b.clock, arrivals, () => strategy.call(request(), b.ctx));
  const times = b.sent.map((s) => s.atMs);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  return { b, outcomes, times, gaps };
}

const always =
  (f: (model: string) => AttemptOutcome): Respond =>
  (_r, o) =>
    f(o.model);
const firstThen =
  (first: (m: string) => AttemptOutcome): Respond =>
  (_r, o, i) =>
    i === 0 ? first(o.model) : ok(o.model);
const s500 = (m: string) => fail(500, m);
const quota = (m: string) => fail(429, m, { code: 'insufficient_quota', type: 'insufficient_quota' });
const limited = (headers: Record<string, string>) => (m: string) =>
  fail(429, m, { code: 'rate_limit_exceeded', headers });

describe('preset openai-sdk mirrors openai-node', () => {
  it('persistent 500 → exactly 3 attempts, delays in (375, 500] then (750, 1000] ms', async () => {
    const { outcomes, times, gaps } = await runPreset('openai-sdk', always(s500));
    expect(times).toHaveLength(3);
    expect(gaps[0]).toBeGreaterThan(375);
    expect(gaps[0]).toBeLessThanOrEqual(500);
    expect(gaps[1]).toBeGreaterThan(750);
    expect(gaps[1]).toBeLessThanOrEqual(1000);
    expect(outcomes[0]).toMatchObject({ ok: false, result: 'failed_transient', attempts: 3 });
  });

  it('the jitter only ever shortens, by at most 25%, over many seeds', async () => {
    for (let i = 0; i < 40; i++) {
      const b = bench({ respond: always(s500), seed: `sdk-${i}` });
      const s = buildStrategySync(parseStrategyConfig({ name: 'sdk', preset: 'openai-sdk' }));
      await runAt(b.clock, [0], () => s.call(request({ id: `q${i}` }), b.ctx));
      const [a, c, d] = b.sent.map((x) => x.atMs);
      expect(c! - a!).toBeGreaterThan(375);
      expect(c! - a!).toBeLessThanOrEqual(500);
      expect(d! - c!).toBeGreaterThan(750);
      expect(d! - c!).toBeLessThanOrEqual(1000);
    }
  });

  it('honours retry-after-ms 2000', async () => {
    const { gaps } = await runPreset('openai-sdk', firstThen(limited({ 'retry-after-ms': '2000' })));
    expect(gaps).toEqual([2000]);
  });

  it('honours retry-after in seconds and as an HTTP date, up to 60 s', async () => {
    expect((await runPreset('openai-sdk', firstThen(limited({ 'retry-after': '7' })))).gaps).toEqual([7000]);
    const date = new Date(12_000).toUTCString();
    expect((await runPreset('openai-sdk', firstThen(limited({ 'retry-after': date })))).gaps).toEqual([
      12_000,
    ]);
    expect((await runPreset('openai-sdk', firstThen(limited({ 'retry-after': '60' })))).gaps).toEqual([
      60_000,
    ]);
  });

  it('ignores retry-after 120 s (over 60 s) and uses its own backoff', async () => {
    const { gaps } = await runPreset('openai-sdk', firstThen(limited({ 'retry-after': '120' })));
    expect(gaps[0]).toBeGreaterThan(375);
    expect(gaps[0]).toBeLessThanOrEqual(500);
  });

  it('retries insufficient_quota like the real SDK (every 429 is retried)', async () => {
    const { times, outcomes } = await runPreset('openai-sdk', always(quota));
    expect(times).toHaveLength(3);
    expect(outcomes[0]).toMatchObject({ result: 'failed_transient' });
  });

  it.each([
    [408, 3],
    [409, 3],
    [429, 3],
    [500, 3],
    [502, 3],
    [503, 3],
    [504, 3],
    [529, 3],
    [400, 1],
    [401, 1],
    [403, 1],
    [404, 1],
    [422, 1],
  ])('status %i → %i attempts', async (status, attempts) => {
    const { times } = await runPreset(
      'openai-sdk',
      always((m) => fail(status, m)),
    );
    expect(times).toHaveLength(attempts);
  });

  it('obeys x-should-retry either way', async () => {
    expect(
      (
        await runPreset(
          'openai-sdk',
          always((m) => fail(500, m, { headers: { 'x-should-retry': 'false' } })),
        )
      ).times,
    ).toHaveLength(1);
    expect(
      (
        await runPreset(
          'openai-sdk',
          always((m) => fail(400, m, { headers: { 'x-should-retry': 'true' } })),
        )
      ).times,
    ).toHaveLength(3);
  });

  it('retries connection errors and gives each attempt the 10-minute timeout', async () => {
    const { b, times } = await runPreset(
      'openai-sdk',
      always((m) => network('reset', m)),
    );
    expect(times).toHaveLength(3);
    expect(b.sent.every((s) => s.timeoutMs === 600_000)).toBe(true);
  });
});

describe('preset vercel-ai-sdk mirrors the AI SDK', () => {
  it('2 retries after 2 s then 4 s, no jitter', async () => {
    const { times } = await runPreset('vercel-ai-sdk', always(s500));
    expect(times).toEqual([0, 2000, 6000]);
  });

  it('honours retry-after-ms and retries insufficient_quota (isRetryable is status-only)', async () => {
    expect((await runPreset('vercel-ai-sdk', firstThen(limited({ 'retry-after-ms': '1500' })))).gaps).toEqual(
      [1500],
    );
    expect((await runPreset('vercel-ai-sdk', always(quota))).times).toHaveLength(3);
    expect(
      (
        await runPreset(
          'vercel-ai-sdk',
          always((m) => fail(400, m)),
        )
      ).times,
    ).toHaveLength(1);
  });
});

describe('preset langchain-js mirrors AsyncCaller + p-retry', () => {
  it('6 retries, each 1 s · 2^n · [1, 2)', async () => {
    const { times, gaps } = await runPreset('langchain-js', always(s500));
    expect(times).toHaveLength(7);
    gaps.forEach((gap, n) => {
      expect(gap).toBeGreaterThanOrEqual(1000 * 2 ** n);
      expect(gap).toBeLessThan(2000 * 2 ** n);
    });
  });

  it.each([400, 401, 402, 403, 404, 405, 406, 407, 409])('never retries %i', async (status) => {
    expect(
      (
        await runPreset(
          'langchain-js',
          always((m) => fail(status, m)),
        )
      ).times,
    ).toHaveLength(1);
  });

  it('never retries insufficient_quota, but retries a rate-limit 429, a 408 and a 422', async () => {
    expect((await runPreset('langchain-js', always(quota))).times).toHaveLength(1);
    expect((await runPreset('langchain-js', firstThen(limited({})))).times).toHaveLength(2);
    expect(
      (
        await runPreset(
          'langchain-js',
          firstThen((m) => fail(408, m)),
        )
      ).times,
    ).toHaveLength(2);
    expect(
      (
        await runPreset(
          'langchain-js',
          firstThen((m) => fail(422, m)),
        )
      ).times,
    ).toHaveLength(2);
  });
});

describe('preset aws-standard mirrors the AWS SDK standard mode', () => {
  it('3 attempts with full jitter: uniform(0, 100 ms) then uniform(0, 200 ms)', async () => {
    const { times, gaps } = await runPreset('aws-standard', always(s500));
    expect(times).toHaveLength(3);
    expect(gaps[0]).toBeGreaterThanOrEqual(0);
    expect(gaps[0]).toBeLessThan(100);
    expect(gaps[1]).toBeLessThan(200);
  });

  it('stops retrying when the 500-token retry quota is spent: 10 a retry after a 500 (TRANSIENT)', async () => {
    // 60 requests a minute apart, all failing with 500: 25 × 2 retries spend the 500 tokens; the rest get 1 attempt.
    const arrivals = Array.from({ length: 60 }, (_, i) => i * 60_000);
    const { b } = await runPreset('aws-standard', always(s500), arrivals);
    const perRequest = new Map<string, number>();
    for (const s of b.sent) perRequest.set(s.requestId, (perRequest.get(s.requestId) ?? 0) + 1);
    const counts = [...perRequest.values()];
    expect(counts.slice(0, 25).every((c) => c === 3)).toBe(true);
    expect(counts.slice(25).every((c) => c === 1)).toBe(true);
    expect(b.sent).toHaveLength(110);
  });

  it('a 429 (THROTTLING) costs 5 a retry: the quota lasts 50 failing requests', async () => {
    const arrivals = Array.from({ length: 60 }, (_, i) => i * 60_000);
    const { b } = await runPreset(
      'aws-standard',
      always((m) => fail(429, m, { code: 'rate_limit_exceeded' })),
      arrivals,
    );
    expect(b.sent).toHaveLength(50 * 3 + 10);
  });

  it('retries 500, 502, 503, 504 and 429; not 400, 408 or 409 (CLIENT_ERROR)', async () => {
    for (const status of [500, 502, 503, 504, 429])
      expect(
        (
          await runPreset(
            'aws-standard',
            always((m) => fail(status, m)),
          )
        ).times,
      ).toHaveLength(3);
    for (const status of [400, 408, 409])
      expect(
        (
          await runPreset(
            'aws-standard',
            always((m) => fail(status, m)),
          )
        ).times,
      ).toHaveLength(1);
  });
});

describe('preset polly-v8 mirrors Polly v8 defaults', () => {
  it('retries 3 times after a constant 2 s', async () => {
    expect((await runPreset('polly-v8', always(s500))).times).toEqual([0, 2000, 4000, 6000]);
  });

  it('breaks at a 10% failure ratio once 100 calls are in the 30 s window, for 5 s', async () => {
    // 100 calls in the first second: 90 succeed, then every call fails. The 100th result (10 failures) trips it.
    let served = 0;
    const respond: Respond = (_r, o) => (served++ < 90 ? ok(o.model) : fail(500, o.model));
    // One late call finds the break over (transitions happen on the next call, as in Polly).
    const arrivals = [...Array.from({ length: 130 }, (_, i) => i * 10), 20_000];
    const { b } = await runPreset('polly-v8', respond, arrivals);
    const open = b.events.find((e) => e.type === 'breaker' && e.state === 'open');
    // The 100th call (at 990 ms) brings 10 failures in 100: exactly the 0.1 ratio.
    expect(open?.atMs).toBe(990);
    expect(b.sent.filter((x) => x.atMs > 990 && x.atMs < 5990)).toEqual([]);
    const halfOpen = b.events.find((e) => e.type === 'breaker' && e.state === 'half_open');
    expect(halfOpen!.atMs - open!.atMs).toBeGreaterThanOrEqual(5000);
  });
});

describe('preset resilience4j mirrors resilience4j defaults', () => {
  it('3 attempts 500 ms apart', async () => {
    expect((await runPreset('resilience4j', always(s500))).times).toEqual([0, 500, 1000]);
  });
});

describe('preset seed-article mirrors the seed article', () => {
  it('3 retries with full jitter: uniform(0, 2^n s)', async () => {
    const { times, gaps } = await runPreset('seed-article', always(s500));
    expect(times).toHaveLength(4);
    gaps.forEach((gap, n) => {
      expect(gap).toBeLessThan(1000 * 2 ** n);
    });
  });

  it('opens after 5 consecutive failures, fails fast for 30 s, then lets one probe through', async () => {
    const arrivals = [0, 20_000, 40_000, 60_000, 80_000, 100_000, 101_000, 140_000, 140_001];
    const { outcomes, b } = await runPreset('seed-article', always(s500), arrivals);
    expect(outcomes.map((o) => o.result)).toEqual([
      ...Array(5).fill('failed_transient'),
      'breaker_open',
      'breaker_open',
      'failed_transient',
      'breaker_open',
    ]);
    expect(outcomes[5]!.attempts).toBe(0);
    const states = b.events.filter((e) => e.type === 'breaker').map((e) => e.type === 'breaker' && e.state);
    expect(states).toEqual(['open', 'half_open', 'open']);
  });

  it('honours retry-after', async () => {
    expect((await runPreset('seed-article', firstThen(limited({ 'retry-after': '3' })))).gaps).toEqual([
      3000,
    ]);
  });
});

describe('preset naive-fixed is the anti-pattern', () => {
  it('retries even a 401, 5 times, every 2 s', async () => {
    const { times } = await runPreset(
      'naive-fixed',
      always((m) => fail(401, m, { code: 'invalid_api_key' })),
    );
    expect(times).toEqual([0, 2000, 4000, 6000, 8000, 10_000]);
  });
});

describe('the preset table', () => {
  it('every preset has a description, a source and builds', () => {
    for (const name of PRESET_NAMES) {
      const preset = PRESETS[name];
      expect(preset.description.length).toBeGreaterThan(20);
      expect(preset.source.length).toBeGreaterThan(20);
      expect(() => buildStrategySync(parseStrategyConfig({ name, preset: name }))).not.toThrow();
    }
    expect(PRESET_NAMES).toEqual([
      'openai-sdk',
      'vercel-ai-sdk',
      'langchain-js',
      'aws-standard',
      'polly-v8',
      'resilience4j',
      'seed-article',
      'naive-fixed',
    ]);
  });

  it.each([
    ['polly-v8', { failureRateThreshold: 0.1, windowMs: 30_000, minimumVolume: 100, openMs: 5000 }],
    ['resilience4j', { failureRateThreshold: 0.5, minimumVolume: 100, openMs: 60_000, halfOpenProbes: 10 }],
    ['seed-article', { threshold: 5, openMs: 30_000, halfOpenProbes: 1 }],
  ] as const)('%s breaker numbers match the library defaults', (name, numbers) => {
    const breaker = PRESETS[name].policies.find((p) => p.type === 'breaker' || p.type === 'sampling-breaker');
    expect(breaker).toMatchObject(numbers);
  });

  it('a strategy may adjust a preset classification without copying it', async () => {
    const b = bench({ respond: always(quota) });
    const s = buildStrategySync(
      parseStrategyConfig({ name: 'sdk-no-quota', preset: 'openai-sdk', classify: { retryQuota429: false } }),
    );
    await runAt(b.clock, [0], () => s.call(request(), b.ctx));
    expect(b.sent).toHaveLength(1);
  });
});
