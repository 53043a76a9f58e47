import { describe, expect, it } from 'vitest';
import { isSquallError } from '../../../src/errors.ts';
import { createBackoff } from '../../../src/strategies/backoff/index.ts';
import { retryBudget } from '../../../src/strategies/policies/budget.ts';
import { type RetryOptions, retryPolicy } from '../../../src/strategies/policies/retry.ts';
import { timeoutPolicy } from '../../../src/strategies/policies/timeout.ts';
import { type Policy, wrap } from '../../../src/strategies/policy.ts';
import type { StrategyEvent } from '../../../src/strategies/types.ts';
import {
  type Bench,
  bench,
  execution,
  gaps,
  network,
  request,
  response,
  type Step,
  scripted,
  settle,
  statusOf,
} from './harness.ts';

const fixed2s = createBackoff({ kind: 'fixed', delayMs: 2000 });
const sdkBackoff = createBackoff({ kind: 'exponential', baseMs: 500, capMs: 8000, jitter: 'negative25' });

async function run(steps: Step[], options: Partial<RetryOptions>, b: Bench = bench(), ...inner: Policy[]) {
  const { inner: step, calls } = scripted(b, steps);
  const policy = retryPolicy({ maxAttempts: 3, backoff: fixed2s, ...options });
  const exec = execution(b);
  const result = await settle(b, wrap(policy, ...inner)(exec, step));
  const retries = b.events.filter((e): e is Extract<StrategyEvent, { type: 'retry' }> => e.type === 'retry');
  return { result, calls, times: calls.map((c) => c.atMs), retries, b, exec };
}

describe('retry: attempt counts and delays', () => {
  it.each<[string, Step[], Partial<RetryOptions>, number[], string]>([
    [
      'fixed 2 s: 500, 500, 200 → attempts at 0, 2 s, 4 s',
      [response(500), response(500), response(200)],
      {},
      [0, 2000, 4000],
      '200',
    ],
    ['gives up after maxAttempts with the last failure', [response(503)], {}, [0, 2000, 4000], '503'],
    ['maxAttempts 1 never retries', [response(500)], { maxAttempts: 1 }, [0], '500'],
    ['a success ends it at once', [response(200)], {}, [0], '200'],
    ['401 is never retried', [response(401)], {}, [0], '401'],
    [
      'quota 429 is never retried by default',
      [response(429, { errorCode: 'insufficient_quota' })],
      {},
      [0],
      '429',
    ],
    [
      'quota 429 is retried when classified like the openai SDK',
      [response(429, { errorCode: 'insufficient_quota' })],
      { classify: { retryQuota429: true } },
      [0, 2000, 4000],
      '429',
    ],
    ['network reset is retried', [network('reset'), response(200)], {}, [0, 2000], '200'],
    [
      'naive retryOn (everything) retries a 400',
      [response(400)],
      { retryOn: ['transient', 'network', 'client'] },
      [0, 2000, 4000],
      '400',
    ],
    [
      'retryOn without network leaves resets alone',
      [network('reset')],
      { retryOn: ['transient'] },
      [0],
      'network:reset',
    ],
    [
      'a predicate retryOn decides per result',
      [response(500), response(502), response(200)],
      { retryOn: (r) => r.kind === 'response' && r.status === 500 },
      [0, 2000],
      '502',
    ],
    [
      'a none backoff retries immediately',
      [response(500), response(200)],
      { backoff: createBackoff({ kind: 'none' }) },
      [0, 0],
      '200',
    ],
  ])('%s', async (_name, steps, options, times, final) => {
    const r = await run(steps, options);
    expect(r.times).toEqual(times);
    expect(statusOf(r.result)).toBe(final);
    expect(r.exec.attempts).toBe(times.length);
  });

  it('emits one retry event per retry, with the delay, the reason and the next attempt number', async () => {
    const r = await run([response(500), network('reset'), response(200)], {});
    expect(r.retries).toEqual([
      { type: 'retry', requestId: 'r1', attemptNumber: 1, delayMs: 2000, reason: '500', atMs: 0 },
      {
        type: 'retry',
        requestId: 'r1',
        attemptNumber: 2,
        delayMs: 2000,
        reason: 'network:reset',
        atMs: 2000,
      },
    ]);
  });

  it('never retries a rejection made by an inner policy', async () => {
    const b = bench();
    const shedder: Policy = {
      name: 'limiter',
      execute: async () => ({ kind: 'rejected', by: 'limiter', reason: 'shed', message: 'full' }),
    };
    const r = await run([response(200)], {}, b, shedder);
    expect(statusOf(r.result)).toBe('rejected:shed');
    expect(r.calls).toHaveLength(0);
    expect(r.retries).toHaveLength(0);
  });

  it('openai SDK schedule: persistent 500s give 3 attempts, 375–500 ms then 750–1000 ms apart', async () => {
    const r = await run([response(500)], { maxAttempts: 3, backoff: sdkBackoff });
    expect(r.calls).toHaveLength(3);
    const [g1, g2] = gaps(r.calls);
    expect(g1).toBeGreaterThan(375);
    expect(g1).toBeLessThanOrEqual(500);
    expect(g2).toBeGreaterThan(750);
    expect(g2).toBeLessThanOrEqual(1000);
  });

  it('the same seed gives the same delays; another request id or seed gives others', async () => {
    const full = createBackoff({ kind: 'exponential', baseMs: 1000, capMs: 60_000, jitter: 'full' });
    const delays = async (seed: string, id: string) => {
      const b = bench({ seed });
      const { inner, calls } = scripted(b, [response(500)]);
      await settle(b, wrap(retryPolicy({ maxAttempts: 5, backoff: full }))(execution(b, request(id)), inner));
      return gaps(calls);
    };
    const first = await delays('seed-a', 'r1');
    expect(await delays('seed-a', 'r1')).toEqual(first);
    expect(await delays('seed-a', 'r2')).not.toEqual(first);
    expect(await delays('seed-b', 'r1')).not.toEqual(first);
  });
});

describe('retry: the server says how long to wait', () => {
  const honour = { honour: true, maxMs: 60_000 };

  it.each<[string, Record<string, string>, RetryOptions['retryAfter'], number]>([
    ['retry-after-ms is honoured', { 'retry-after-ms': '1234' }, honour, 1234],
    ['retry-after seconds is honoured', { 'retry-after': '7' }, honour, 7000],
    ['retry-after over the maximum falls back to the backoff', { 'retry-after': '90' }, honour, 2000],
    [
      'retry-after over the maximum is clamped when asked',
      { 'retry-after': '90' },
      { ...honour, overMax: 'clamp' },
      60_000,
    ],
    ['retry-after is ignored unless honoured', { 'retry-after-ms': '1234' }, undefined, 2000],
    ['retry-after 0 means an immediate retry', { 'retry-after': '0' }, honour, 0],
  ])('%s', async (_name, headers, retryAfter, expectedGap) => {
    const r = await run([response(429, { headers }), response(200)], retryAfter ? { retryAfter } : {});
    expect(gaps(r.calls)).toEqual([expectedGap]);
    expect(r.retries[0]!.delayMs).toBe(expectedGap);
  });

  it('an HTTP-date retry-after is measured against the clock, not the wall', async () => {
    const epochMs = Date.UTC(2026, 5, 1, 8, 0, 0);
    const b = bench({ epochMs });
    const at = new Date(epochMs + 5000).toUTCString();
    const r = await run(
      [response(503, { headers: { 'retry-after': at } }), response(200)],
      { retryAfter: honour },
      b,
    );
    expect(r.times).toEqual([epochMs, epochMs + 5000]);
    expect(r.retries[0]!.reason).toBe('503 (retry-after)');
  });

  it('the backoff still advances under a server delay (as in the openai SDK)', async () => {
    const linear = createBackoff({ kind: 'linear', baseMs: 1000, stepMs: 1000, capMs: 10_000 });
    const r = await run([response(429, { headers: { 'retry-after': '3' } }), response(500), response(200)], {
      backoff: linear,
      retryAfter: honour,
    });
    expect(gaps(r.calls)).toEqual([3000, 2000]);
  });
});

describe('retry: timeouts and deadlines', () => {
  it('retry with a shorter timeout: each retry gets factor× the previous timeout, down to minMs', async () => {
    const b = bench();
    const r = await run(
      ['hang'],
      {
        maxAttempts: 5,
        backoff: createBackoff({ kind: 'none' }),
        shorterTimeout: { factor: 0.5, minMs: 1500 },
      },
      b,
      timeoutPolicy({ attemptTimeoutMs: 8000 }),
    );
    expect(r.calls.map((c) => c.timeoutMs)).toEqual([8000, 4000, 2000, 1500, 1500]);
    expect(r.times).toEqual([0, 8000, 12_000, 14_000, 15_500]);
    expect(r.calls.map((c) => c.abortedAtMs)).toEqual([8000, 12_000, 14_000, 15_500, 17_000]);
    expect(statusOf(r.result)).toBe('network:timeout');
    expect(r.exec.attemptTimeoutMs).toBeUndefined();
  });

  it('shorter timeout shrinks a timeout set outside the retry, and restores it afterwards', async () => {
    const b = bench();
    const { inner, calls } = scripted(b, [response(500)]);
    const exec = execution(b);
    exec.attemptTimeoutMs = 1000;
    const none = createBackoff({ kind: 'none' });
    const policy = retryPolicy({
      maxAttempts: 3,
      backoff: none,
      shorterTimeout: { factor: 0.5, minMs: 100 },
    });
    await settle(b, wrap(policy)(exec, inner));
    expect(calls.map((c) => c.timeoutMs)).toEqual([1000, 500, 250]);
    expect(exec.attemptTimeoutMs).toBe(1000);
  });

  it('shorter timeout with no timeout anywhere leaves attempts unbounded', async () => {
    const r = await run([response(500)], {
      backoff: createBackoff({ kind: 'none' }),
      shorterTimeout: { factor: 0.5, minMs: 100 },
    });
    expect(r.calls.map((c) => c.timeoutMs)).toEqual([undefined, undefined, undefined]);
  });

  it('shorter timeout can start from an explicit initialMs', async () => {
    const r = await run([response(500)], {
      backoff: createBackoff({ kind: 'none' }),
      shorterTimeout: { factor: 0.5, minMs: 100, initialMs: 4000 },
    });
    expect(r.calls.map((c) => c.timeoutMs)).toEqual([undefined, 2000, 1000]);
  });

  it('stops retrying when the next attempt would start after the deadline', async () => {
    const b = bench();
    const r = await run([response(500)], { maxAttempts: 10 }, b, timeoutPolicy({ deadlineMs: 5000 }));
    expect(r.times).toEqual([0, 2000, 4000]);
    expect(r.result).toMatchObject({ kind: 'rejected', reason: 'deadline_exceeded', last: { status: 500 } });
    expect(b.clock.now()).toBe(4000);
  });

  it('a timeout placed outside the retry bounds the whole sequence, even mid-sleep', async () => {
    const b = bench();
    const { inner, calls } = scripted(b, [response(500)]);
    const long = createBackoff({ kind: 'fixed', delayMs: 4000 });
    // Outside the retry, attemptTimeoutMs times the whole loop: its timer answers at 5 s, mid-sleep.
    const pipeline = wrap(
      timeoutPolicy({ attemptTimeoutMs: 5000 }),
      retryPolicy({ maxAttempts: 10, backoff: long }),
    );
    const result = await settle(b, pipeline(execution(b), inner));
    expect(calls.map((c) => c.atMs)).toEqual([0, 4000]);
    expect(statusOf(result)).toBe('network:timeout');
    expect(b.clock.now()).toBe(5000);
    expect(b.clock.pending).toBe(0);
  });

  it('aborting the request signal ends the retry sleep at once with the last failure', async () => {
    const b = bench();
    const { inner, calls } = scripted(b, [response(500)]);
    const controller = new AbortController();
    const exec = execution(b);
    exec.signal = controller.signal;
    b.clock.setTimeout(() => controller.abort(new Error('run stopped')), 3000);
    const result = await settle(b, wrap(retryPolicy({ maxAttempts: 10, backoff: fixed2s }))(exec, inner));
    expect(calls.map((c) => c.atMs)).toEqual([0, 2000]);
    expect(statusOf(result)).toBe('500');
    expect(b.clock.now()).toBe(3000);
  });
});

describe('retry: budgets', () => {
  it('AWS standard: retries stop when the bucket is empty, for every request that shares it', async () => {
    const budget = retryBudget({ quota: 10, retryCost: 5, timeoutCost: 10, successRefund: 1 });
    const b = bench();
    const policy = retryPolicy({ maxAttempts: 5, backoff: createBackoff({ kind: 'none' }), budget });
    // A 429 is throttling: each retry costs retryCost (5).
    const { inner, calls } = scripted(b, [response(429)]);
    await settle(b, wrap(policy)(execution(b, request('a')), inner));
    expect(calls).toHaveLength(3);
    expect(budget.tokens).toBe(0);
    expect(b.events.filter((e) => e.type === 'rejected')).toEqual([
      { type: 'rejected', requestId: 'a', by: 'retry-budget', atMs: 0 },
    ]);
    const second = scripted(b, [response(429)]);
    await settle(b, wrap(policy)(execution(b, request('b')), second.inner));
    expect(second.calls).toHaveLength(1);
  });

  it('AWS standard: 500/502/503/504 and network errors are TRANSIENT and cost timeoutCost; 429 and the rest retryCost', async () => {
    const b = bench();
    const spent = async (steps: Step[]) => {
      const budget = retryBudget({ quota: 100, retryCost: 5, timeoutCost: 10, successRefund: 1 });
      const policy = retryPolicy({ maxAttempts: 2, backoff: createBackoff({ kind: 'none' }), budget });
      const { inner } = scripted(b, steps);
      await settle(b, wrap(policy)(execution(b, request('x')), inner));
      return 100 - budget.tokens;
    };
    for (const status of [500, 502, 503, 504])
      expect(await spent([response(status), response(400)])).toBe(10);
    expect(await spent([network('reset'), response(400)])).toBe(10);
    expect(await spent([network('timeout'), response(400)])).toBe(10);
    expect(await spent([response(429), response(400)])).toBe(5);
    expect(await spent([response(501), response(400)])).toBe(5);
  });

  it('AWS standard: a first-try success refunds 1, a success after a retry refunds its cost', async () => {
    const budget = retryBudget({ quota: 20, retryCost: 5, timeoutCost: 10, successRefund: 1 });
    const b = bench();
    const policy = retryPolicy({ maxAttempts: 5, backoff: createBackoff({ kind: 'none' }), budget });
    const go = async (id: string, steps: Step[]) => {
      const { inner } = scripted(b, steps);
      await settle(b, wrap(policy)(execution(b, request(id)), inner));
      return budget.tokens;
    };
    expect(await go('fail', [response(429), response(429), response(400)])).toBe(10);
    expect(await go('ok-first', [response(200)])).toBe(11);
    expect(await go('ok-after-retry', [response(429), response(200)])).toBe(11);
    expect(await go('timeout', [network('timeout'), response(400)])).toBe(1);
    expect(await go('no-more', [network('timeout'), response(200)])).toBe(1);
  });

  it('gRPC throttling: retries only while tokens > maxTokens/2; successes add tokenRatio', async () => {
    const budget = retryBudget({ maxTokens: 10, tokenRatio: 0.1 });
    const b = bench();
    const policy = retryPolicy({ maxAttempts: 10, backoff: createBackoff({ kind: 'none' }), budget });
    const first = scripted(b, [response(503)]);
    await settle(b, wrap(policy)(execution(b, request('a')), first.inner));
    // 10 → 9 → 8 → 7 → 6 (retry allowed each time) → 5: not above 5, so no fifth retry.
    expect(first.calls).toHaveLength(5);
    expect(budget.tokens).toBe(5);
    for (let i = 0; i < 20; i++) {
      const ok = scripted(b, [response(200)]);
      await settle(b, wrap(policy)(execution(b, request(`ok${i}`)), ok.inner));
    }
    expect(budget.tokens).toBe(7);
    // 7 → 6 (above 5: retry) → 5 (not above: stop).
    const again = scripted(b, [response(503)]);
    await settle(b, wrap(policy)(execution(b, request('c')), again.inner));
    expect(again.calls).toHaveLength(2);
  });

  it('budget arithmetic', () => {
    const aws = retryBudget({ quota: 500, retryCost: 5, timeoutCost: 10, successRefund: 1 });
    expect([aws.tryAcquire('retry'), aws.tryAcquire('timeout'), aws.tokens]).toEqual([5, 10, 485]);
    aws.onSuccess(undefined);
    aws.onSuccess(10);
    expect(aws.tokens).toBe(496);
    for (let i = 0; i < 10; i++) aws.onSuccess(10);
    expect(aws.tokens).toBe(500);
  });
});

describe('retry: bad options fail before anything runs', () => {
  it.each<[string, Partial<RetryOptions>, RegExp]>([
    ['zero attempts', { maxAttempts: 0 }, /retry\.maxAttempts: must be an integer ≥ 1, got 0/],
    ['fractional attempts', { maxAttempts: 2.5 }, /retry\.maxAttempts/],
    ['no backoff', { backoff: undefined as never }, /retry\.backoff: a backoff is required/],
    ['negative retry-after maximum', { retryAfter: { honour: true, maxMs: -1 } }, /retry\.retryAfter\.maxMs/],
    ['shrink factor above 1', { shorterTimeout: { factor: 2, minMs: 1 } }, /retry\.shorterTimeout\.factor/],
    [
      'unknown retryOn class',
      { retryOn: ['transient', 'sometimes' as never] },
      /retry\.retryOn\[1\]: unknown class "sometimes"/,
    ],
  ])('%s', (_name, options, message) => {
    let thrown: unknown;
    try {
      retryPolicy({ maxAttempts: 3, backoff: fixed2s, ...options });
    } catch (e) {
      thrown = e;
    }
    expect(isSquallError(thrown, 'ERR_SQUALL_STRATEGY')).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });

  it('budget options of neither shape are refused', () => {
    expect(() => retryBudget({} as never, 'strategy "x" budget')).toThrow(/strategy "x" budget\.quota/);
    expect(() => retryBudget({ maxTokens: 10, tokenRatio: 0 })).toThrow(/budget\.tokenRatio/);
  });
});
