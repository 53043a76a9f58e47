import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSquallError } from '../../../src/errors.ts';
import { rateLimiter } from '../../../src/strategies/policies/limiter.ts';
import { wrap } from '../../../src/strategies/policy.ts';
import { estimateTokens, syntheticPrompt } from '../../../src/strategies/prompt.ts';
import { bench, fail, ok, request, runAt } from './harness.ts';

describe('rateLimiter: token buckets', () => {
  it('spaces requests at the requests-per-minute rate once the burst is spent', async () => {
    const b = bench();
    const run = wrap(rateLimiter({ requestsPerMin: 60, burstSeconds: 1, maxWaitMs: 60_000 }));
    const results = await runAt(b.clock, [0, 0, 0, 0, 0], () => run(b.exec(request())));
    expect(results.every((r) => r.kind === 'response')).toBe(true);
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 1000, 2000, 3000, 4000]);
    const waits = b.events
      .filter((e) => e.type === 'limiter')
      .map((e) => (e.type === 'limiter' ? e.waitMs : -1));
    expect(waits).toEqual([1000, 2000, 3000, 4000]);
  });

  it('allows a full minute of burst by default, as the cookbook processor does', async () => {
    const b = bench();
    const run = wrap(rateLimiter({ requestsPerMin: 3, maxWaitMs: 60_000 }));
    await runAt(b.clock, [0, 0, 0, 0], () => run(b.exec(request())));
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 0, 0, 20_000]);
  });

  it('sheds what would wait past maxWaitMs, with the reason and the binding limit', async () => {
    const b = bench();
    const run = wrap(rateLimiter({ requestsPerMin: 60, burstSeconds: 1, maxWaitMs: 1500 }));
    const results = await runAt(b.clock, [0, 0, 0, 0], () => run(b.exec(request())));
    expect(results.map((r) => (r.kind === 'rejected' ? r.reason : r.kind))).toEqual([
      'response',
      'response',
      'shed',
      'shed',
    ]);
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 1000]);
    const shed = b.events.filter((e) => e.type === 'shed');
    expect(shed.map((e) => [e.atMs, e.type === 'shed' && e.by])).toEqual([
      [1500, 'limiter'],
      [1500, 'limiter'],
    ]);
    const third = results[2]!;
    expect(third.kind === 'rejected' && third.message).toMatch(/maxWaitMs 1500/);
  });

  it('sheds at once when nobody is ahead and the wait is already known to be too long', async () => {
    const b = bench();
    const run = wrap(rateLimiter({ requestsPerMin: 60, burstSeconds: 1, maxWaitMs: 500 }));
    const results = await runAt(b.clock, [0, 100], () => run(b.exec(request())));
    expect(results[1]!.kind).toBe('rejected');
    expect(b.events.find((e) => e.type === 'shed')?.atMs).toBe(100);
  });

  it('charges prompt plus max_tokens against tokens per minute', async () => {
    const b = bench();
    // 6000 TPM with a 1 s burst holds 100 tokens; each request costs 40 + 10 = 50.
    const run = wrap(rateLimiter({ tokensPerMin: 6000, burstSeconds: 1, maxWaitMs: 60_000 }));
    await runAt(b.clock, [0, 0, 0, 0], () => run(b.exec(request({ promptTokens: 40, maxTokens: 10 }))));
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 0, 500, 1000]);
  });

  it('sheds a request larger than the whole token bucket instead of waiting forever', async () => {
    const b = bench();
    const run = wrap(rateLimiter({ tokensPerMin: 6000, burstSeconds: 1, maxWaitMs: 60_000 }));
    const [r] = await runAt(b.clock, [0], () => run(b.exec(request({ promptTokens: 500, maxTokens: 10 }))));
    expect(r!.kind === 'rejected' && r!.message).toMatch(/needs 510 tokens/);
    expect(b.sent).toHaveLength(0);
  });

  it('holds the request limit and the token limit at once', async () => {
    const b = bench();
    const run = wrap(
      rateLimiter({ requestsPerMin: 120, tokensPerMin: 6000, burstSeconds: 1, maxWaitMs: 60_000 }),
    );
    // Requests bucket: 2 per second; tokens: 100 per second at 20 per request → requests bind.
    await runAt(b.clock, [0, 0, 0, 0], () => run(b.exec(request({ promptTokens: 10, maxTokens: 10 }))));
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 0, 500, 1000]);
  });
});

describe('rateLimiter: proactive slowdown from x-ratelimit-remaining', () => {
  const headers = (remaining: number) => ({
    'x-ratelimit-limit-requests': '100',
    'x-ratelimit-remaining-requests': String(remaining),
    'x-ratelimit-reset-requests': '6s',
  });

  it('spreads the remaining requests over the time to reset when remaining is low', async () => {
    const b = bench({ respond: (_req, o, i) => ok(o.model, i === 0 ? headers(2) : {}) });
    const run = wrap(rateLimiter({ lowRemainingFraction: 0.1, maxWaitMs: 60_000 }));
    await runAt(b.clock, [0, 10, 10, 10], () => run(b.exec(request())));
    // 2 left for 6 s: one every 3 s, and back to normal once the window resets at 6 s.
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 3000, 6000, 6000]);
  });

  it('does not slow down while plenty remains', async () => {
    const b = bench({ respond: (_req, o, i) => ok(o.model, i === 0 ? headers(50) : {}) });
    const run = wrap(rateLimiter({ lowRemainingFraction: 0.1, maxWaitMs: 60_000 }));
    await runAt(b.clock, [0, 10, 10, 10], () => run(b.exec(request())));
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 10, 10, 10]);
  });

  it('waits for the reset when nothing remains, and reads Go-style reset durations', async () => {
    const b = bench({
      respond: (_req, o, i) =>
        ok(
          o.model,
          i === 0
            ? {
                'x-ratelimit-limit-tokens': '10000',
                'x-ratelimit-remaining-tokens': '0',
                'x-ratelimit-reset-tokens': '1m30s',
              }
            : {},
        ),
    });
    const run = wrap(rateLimiter({ lowRemainingFraction: 0.05, maxWaitMs: 600_000 }));
    await runAt(b.clock, [0, 1], () => run(b.exec(request())));
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 90_000]);
  });

  it('ignores Azure-style placeholder headers (-1 and 0 limits)', async () => {
    const b = bench({
      respond: (_req, o) =>
        ok(o.model, {
          'x-ratelimit-limit-requests': '-1',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '0s',
        }),
    });
    const run = wrap(rateLimiter({ lowRemainingFraction: 0.5, maxWaitMs: 1000 }));
    await runAt(b.clock, [0, 1, 2], () => run(b.exec(request())));
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 1, 2]);
  });
});

describe('rateLimiter: pause after a 429', () => {
  it('pauses every admission for 15 s after a rate-limit 429 (OpenAI cookbook)', async () => {
    const b = bench({
      latencyMs: 100,
      respond: (_req, o, i) =>
        i === 0 ? fail(429, o.model, { code: 'rate_limit_exceeded', type: 'requests' }) : ok(o.model),
    });
    const run = wrap(rateLimiter({ pauseAfter429Ms: 15_000, maxWaitMs: 60_000 }));
    await runAt(b.clock, [0, 200, 5000, 20_000], () => run(b.exec(request())));
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 15_100, 15_100, 20_000]);
  });

  it('does not pause for a quota 429, which no wait can fix', async () => {
    const b = bench({
      latencyMs: 100,
      respond: (_req, o, i) =>
        i === 0
          ? fail(429, o.model, { code: 'insufficient_quota', type: 'insufficient_quota' })
          : ok(o.model),
    });
    const run = wrap(rateLimiter({ pauseAfter429Ms: 15_000, maxWaitMs: 60_000 }));
    await runAt(b.clock, [0, 200], () => run(b.exec(request())));
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 200]);
  });

  it('sheds what the pause would hold past maxWaitMs', async () => {
    const b = bench({ respond: (_req, o) => fail(429, o.model, { code: 'rate_limit_exceeded' }) });
    const run = wrap(rateLimiter({ pauseAfter429Ms: 15_000, maxWaitMs: 5000 }));
    const results = await runAt(b.clock, [0, 1000], () => run(b.exec(request())));
    expect(results[1]!.kind === 'rejected' && results[1]!.message).toMatch(/pause after a 429/);
  });
});

describe('rateLimiter: deadline and abort', () => {
  it('returns deadline_exceeded when the wait would outlast the logical request', async () => {
    const b = bench();
    const run = wrap(rateLimiter({ requestsPerMin: 60, burstSeconds: 1, maxWaitMs: 60_000 }));
    const results = await runAt(b.clock, [0, 0], (i) =>
      run(b.exec(request(), i === 1 ? { deadlineAtMs: 400 } : {})),
    );
    expect(results[1]!.kind === 'rejected' && results[1]!.reason).toBe('deadline_exceeded');
    expect(b.events.some((e) => e.type === 'shed')).toBe(false);
  });

  it('stops waiting when the logical request is aborted', async () => {
    const b = bench();
    const ac = new AbortController();
    const run = wrap(rateLimiter({ requestsPerMin: 60, burstSeconds: 1, maxWaitMs: 60_000 }));
    b.clock.setTimeout(() => ac.abort(new Error('stop')), 300);
    const results = await runAt(b.clock, [0, 0], (i) =>
      run(b.exec(request(), i === 1 ? { signal: ac.signal } : {})),
    );
    expect(results[1]!.kind === 'rejected' && results[1]!.reason).toBe('deadline_exceeded');
    expect(b.sent).toHaveLength(1);
    expect(b.clock.now()).toBe(300);
  });
});

describe('rateLimiter: never admits more than its rate over any window (property)', () => {
  it('holds for requests per minute', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 30, max: 1200 }),
        fc.double({ min: 0.2, max: 20, noNaN: true }),
        fc.integer({ min: 0, max: 30_000 }),
        async (arrivals, rpm, burstSeconds, maxWaitMs) => {
          const b = bench();
          const run = wrap(rateLimiter({ requestsPerMin: rpm, burstSeconds, maxWaitMs }));
          await runAt(b.clock, arrivals, () => run(b.exec(request())));
          const times = b.sent.map((s) => s.atMs);
          const capacity = Math.max(1, (rpm / 60) * burstSeconds);
          expect(maxOverWindows(times, () => 1, rpm / 60_000, capacity)).toBeLessThanOrEqual(1e-6);
        },
      ),
      { numRuns: 150, seed: 4242 },
    );
  });

  it('holds for tokens per minute with mixed request sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ at: fc.integer({ min: 0, max: 20_000 }), prompt: fc.integer({ min: 1, max: 400 }) }),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        fc.integer({ min: 6000, max: 120_000 }),
        async (reqs, tpm) => {
          const b = bench();
          const run = wrap(rateLimiter({ tokensPerMin: tpm, burstSeconds: 10, maxWaitMs: 1_000_000 }));
          const sizes = new Map<string, number>();
          await runAt(
            b.clock,
            reqs.map((r) => r.at),
            (i) => {
              const req = request({ promptTokens: reqs[i]!.prompt, maxTokens: 20 });
              sizes.set(req.id, estimateTokens(req, 'chars4'));
              return run(b.exec(req));
            },
          );
          const capacity = (tpm / 60) * 10;
          const tokensOf = (i: number) => sizes.get(b.sent[i]!.requestId)!;
          const times = b.sent.map((s) => s.atMs);
          expect(maxOverWindows(times, tokensOf, tpm / 60_000, capacity)).toBeLessThanOrEqual(1e-6);
          // Nothing that fits the bucket is lost when the wait is unbounded.
          expect(b.sent).toHaveLength(reqs.filter((r) => r.prompt + 20 <= capacity).length);
        },
      ),
      { numRuns: 100, seed: 777 },
    );
  });
});

/** Largest excess of admitted amount over `capacity + rate·(t_j − t_i)` across every window [t_i, t_j]. */
function maxOverWindows(
  times: number[],
  amount: (i: number) => number,
  ratePerMs: number,
  capacity: number,
): number {
  let worst = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < times.length; i++) {
    let sum = 0;
    for (let j = i; j < times.length; j++) {
      sum += amount(j);
      worst = Math.max(worst, sum - (capacity + ratePerMs * (times[j]! - times[i]!)));
    }
  }
  return worst;
}

describe('token estimates', () => {
  it('builds prompts that cost what they claim under both counters', () => {
    for (const n of [1, 7, 100, 2500]) {
      expect(syntheticPrompt(n).length).toBe(4 * n - 1);
      expect(estimateTokens({ promptTokens: n, maxTokens: 0 }, 'chars4')).toBe(n);
      expect(estimateTokens({ promptTokens: n, maxTokens: 0 }, 'tokenizer')).toBe(n);
    }
    expect(estimateTokens({ promptTokens: 100, maxTokens: 50 }, 'tokenizer')).toBe(150);
  });
});

describe('rateLimiter: bad input', () => {
  it.each([
    [{ requestsPerMin: 0, maxWaitMs: 1 }, 'requestsPerMin'],
    [{ tokensPerMin: -5, maxWaitMs: 1 }, 'tokensPerMin'],
    [{ requestsPerMin: 10, maxWaitMs: -1 }, 'maxWaitMs'],
    [{ lowRemainingFraction: 1.5, maxWaitMs: 1 }, 'lowRemainingFraction'],
    [{ tokenEstimate: 'bytes', maxWaitMs: 1 }, 'tokenEstimate'],
  ])('rejects %j naming the field %s', (options, field) => {
    try {
      rateLimiter(options as never, 'strategy "s" policies[0]');
      expect.unreachable();
    } catch (e) {
      expect(isSquallError(e, 'ERR_SQUALL_STRATEGY')).toBe(true);
      expect((e as Error).message).toContain(`strategy "s" policies[0].${field}`);
    }
  });
});
