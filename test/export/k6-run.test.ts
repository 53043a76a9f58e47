import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exportK6 } from '../../src/export/k6.ts';
import { loadScenario } from '../../src/scenario/plan.ts';
import { runK6Script, type SentRequest, type StubResponse } from './k6-harness.ts';

/** The generated scripts' default function, run under Node against scripted responses (k6-harness.ts). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'squall-k6-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = (rel: string, strategy: string) =>
  exportK6(loadScenario(join(ROOT, 'scenarios', rel)), { strategy }).script;

/** The fallback routes fixture (fixtures/fallback-routes.yaml): a chain and the article's table as routes. */
const fixture = (strategy: string) =>
  exportK6(loadScenario(join(ROOT, 'test/export/fixtures/fallback-routes.yaml')), { strategy }).script;

/** A scenario of our own, for strategies no shipped scenario has. */
function scriptOf(yaml: string, strategy: string): string {
  const file = join(dir, `${strategy}.yaml`);
  writeFileSync(file, yaml);
  return exportK6(loadScenario(file), { strategy }).script;
}

/** Answers the nth request (0-based, over the whole run) from a list; the last answer repeats. */
const inTurn =
  (...answers: StubResponse[]) =>
  (_req: SentRequest, sent: readonly SentRequest[]): StubResponse =>
    answers[Math.min(sent.length - 1, answers.length - 1)]!;

const modelOf = (r: SentRequest) => r.body.model as string;

describe('generated k6 script, executed: the retry loop', () => {
  const storm = script('seed-article/singles-day-429-storm.yaml', 'expo-jitter-retry-after');

  it('reads Retry-After as squall and the openai SDK do (parseFloat; a number in retry-after-ms settles it)', () => {
    const run = runK6Script(
      storm,
      inTurn(
        { status: 429, headers: { 'retry-after-ms': '250ms', 'retry-after': '9' } },
        { status: 429, headers: { 'retry-after': '1.5 seconds' } },
        { status: 200, body: '{"choices":[]}' },
      ),
    );
    run.iterate();
    expect(run.sleepsMs.get(1)).toEqual([250, 1500]);
  });

  it('retries a 429 after its retry-after-ms, a 500 after a full-jitter backoff, and stops at the 200', () => {
    const run = runK6Script(
      storm,
      inTurn(
        { status: 429, headers: { 'retry-after-ms': '1500' } },
        { status: 500 },
        { status: 200, body: '{"choices":[]}' },
      ),
    );
    run.iterate();
    expect(run.requests.map((r) => r.tags.attempt)).toEqual(['1', '2', '3']);
    expect(run.requests.map((r) => r.tags.retry)).toEqual(['false', 'true', 'true']);
    expect(run.requests.every((r) => r.url === 'http://127.0.0.1:8787/v1/chat/completions')).toBe(true);
    const waits = run.sleepsMs.get(1)!;
    expect(waits).toHaveLength(2);
    // The server's wait wins over the backoff; the second retry's backoff is full jitter over 1 s × 2¹.
    expect(waits[0]).toBe(1500);
    expect(waits[1]).toBeGreaterThanOrEqual(0);
    expect(waits[1]).toBeLessThanOrEqual(2000);
    expect(run.count('attempts')).toBe(3);
    expect(run.count('retries')).toBe(2);
    expect(run.count('wasted_retries')).toBe(0);
    expect(run.metrics.get('logical_success')!.map((s) => s.value)).toEqual([1]);
    expect(run.count('logical_failures')).toBe(0);
    // Latency includes the waits: three 100 ms attempts and the two sleeps.
    expect(run.metrics.get('logical_duration')![0]!.value).toBeCloseTo(300 + waits[0]! + waits[1]!, 2);
  });

  it('tags every attempt of one logical request with the same logical_request id, a new one per iteration', () => {
    const run = runK6Script(storm, inTurn({ status: 500 }, { status: 200 }, { status: 200 }));
    run.iterate();
    run.iterate();
    expect(run.requests.map((r) => [r.logicalRequest, r.tags.attempt])).toEqual([
      ['1-0', '1'],
      ['1-0', '2'],
      ['1-1', '1'],
    ]);
  });

  it('gives up after maxAttempts, with backoff bounded by its cap, and counts a failure', () => {
    const run = runK6Script(storm, inTurn({ status: 503 }));
    run.iterate();
    expect(run.requests).toHaveLength(4);
    const waits = run.sleepsMs.get(1)!;
    expect(waits).toHaveLength(3);
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).toBeLessThanOrEqual(1000 * 2 ** (i + 1));
    });
    expect(run.count('logical_failures')).toBe(1);
    expect(run.metrics.get('logical_success')![0]!.value).toBe(0);
  });

  it('a retry-after over the cap falls back to the backoff', () => {
    const run = runK6Script(
      storm,
      inTurn({ status: 429, headers: { 'retry-after': '120' } }, { status: 200 }),
    );
    run.iterate();
    expect(run.sleepsMs.get(1)![0]).toBeLessThanOrEqual(2000);
  });

  it('a 401 is not retried, and a retry-everything strategy counts its retries of it as wasted', () => {
    const careful = runK6Script(storm, inTurn({ status: 401 }));
    careful.iterate();
    expect(careful.requests).toHaveLength(1);
    const reckless = runK6Script(
      fixture('retry-everything'),
      inTurn({ status: 401 }, { status: 500 }, { status: 200 }),
    );
    reckless.iterate();
    expect(reckless.requests).toHaveLength(3);
    expect(reckless.sleepsMs.get(1)).toEqual([2000, 2000]);
    // Both attempts after the 401 went to the model that had failed for good (squall's recorder rule).
    expect(reckless.count('wasted_retries')).toBe(2);
  });
});

describe('generated k6 script, executed: the fallback chain', () => {
  const chain = fixture('fallback-chain');
  const table = fixture('article-table');

  it('a 503 moves to the next model at once', () => {
    const run = runK6Script(chain, (req) => ({ status: modelOf(req) === 'gpt-4o' ? 503 : 200 }));
    run.iterate();
    expect(run.requests.map(modelOf)).toEqual(['gpt-4o', 'gpt-4.1']);
    expect(run.requests.map((r) => r.tags.model)).toEqual(['gpt-4o', 'gpt-4.1']);
    expect(run.requests.map((r) => r.tags.attempt)).toEqual(['1', '2']);
    expect(run.requests.map((r) => r.logicalRequest)).toEqual(['1-0', '1-0']);
    expect(run.sleepsMs.get(1)).toBeUndefined();
    expect(run.metrics.get('fallbacks')).toEqual([
      { vu: 1, value: 1, tags: { from: 'gpt-4o', to: 'gpt-4.1' } },
    ]);
    expect(run.count('retries')).toBe(0);
    expect(run.metrics.get('logical_success')![0]!.value).toBe(1);
  });

  it('a chain that runs out of models ends as fallback_exhausted, a failure', () => {
    const run = runK6Script(chain, inTurn({ status: 503 }));
    run.iterate();
    expect(run.requests.map(modelOf)).toEqual(['gpt-4o', 'gpt-4.1', 'gpt-4o-mini']);
    expect(run.count('fallbacks')).toBe(2);
    expect(run.count('fallback_exhausted')).toBe(1);
    expect(run.count('logical_failures')).toBe(1);
    expect(run.metrics.get('logical_requests')![0]!.tags.outcome).toBe('fallback_exhausted');
  });

  it('a 500 is retried twice on the same model (1 s, then 2 s) before the next model', () => {
    const run = runK6Script(table, (req) => ({ status: modelOf(req) === 'gpt-4o' ? 500 : 200 }));
    run.iterate();
    expect(run.requests.map(modelOf)).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o', 'gpt-4o-mini']);
    expect(run.sleepsMs.get(1)).toEqual([1000, 2000]);
    expect(run.count('retries')).toBe(2);
    expect(run.count('fallbacks')).toBe(1);
    // The strategy's 30 s attempt timeout is k6's request timeout.
    expect(run.requests.every((r) => r.timeoutMs === 30_000)).toBe(true);
  });

  it('a 429 is retried on the same model with 2^n s plus up to 1 s of jitter', () => {
    const run = runK6Script(table, inTurn({ status: 429 }, { status: 429 }, { status: 200 }));
    run.iterate();
    expect(run.requests.map(modelOf)).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o']);
    const [first, second] = run.sleepsMs.get(1)!;
    expect(first).toBeGreaterThanOrEqual(1000);
    expect(first).toBeLessThan(2000);
    expect(second).toBeGreaterThanOrEqual(2000);
    expect(second).toBeLessThan(3000);
  });

  it('a timeout is retried once, then the next model', () => {
    const run = runK6Script(table, (req) =>
      modelOf(req) === 'gpt-4o' ? { status: 0, errorCode: 1050 } : { status: 200 },
    );
    run.iterate();
    expect(run.requests.map(modelOf)).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o-mini']);
    expect(run.count('abandoned_attempts')).toBe(2);
  });

  it('a client error fails at once: no retry, no fallback', () => {
    const run = runK6Script(table, inTurn({ status: 400 }));
    run.iterate();
    expect(run.requests.map(modelOf)).toEqual(['gpt-4o']);
    expect(run.count('fallbacks')).toBe(0);
    expect(run.metrics.get('logical_requests')![0]!.tags.outcome).toBe('client');
  });
});

describe('generated k6 script, executed: the breaker is per virtual user', () => {
  const breakerScript = scriptOf(
    `name: breaker-run
seed: 3
duration: 1m
traffic:
  arrivals: { kind: constant, rate: 60/min }
upstream:
  phases: []
strategies:
  - name: breaker-3
    policies:
      - { type: breaker, threshold: 3, open_ms: 30s }
`,
    'breaker-3',
  );

  it('opens after the threshold of failures on one VU; another VU still sends; it probes after openMs', () => {
    const run = runK6Script(breakerScript, inTurn({ status: 503 }));
    for (let i = 0; i < 3; i++) run.iterate(1);
    expect(run.count('breaker_opened')).toBe(1);
    run.iterate(1);
    expect(run.requests.filter((r) => r.vu === 1)).toHaveLength(3);
    expect(run.metrics.get('logical_requests')!.map((s) => s.tags.outcome)).toEqual([
      'transient',
      'transient',
      'transient',
      'breaker_rejected',
    ]);
    // VU 2 has a breaker of its own, still closed.
    run.iterate(2);
    expect(run.requests.filter((r) => r.vu === 2)).toHaveLength(1);
    expect(run.metrics.get('breaker_opened')!.map((s) => s.vu)).toEqual([1]);
    // After openMs the breaker lets one probe through; it fails, so it opens again.
    run.advance(30_000);
    run.iterate(1);
    expect(run.requests.filter((r) => r.vu === 1)).toHaveLength(4);
    expect(run.count('breaker_opened')).toBe(2);
  });
});
