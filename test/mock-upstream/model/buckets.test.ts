import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimits } from '../../../mock-upstream/model/buckets.ts';

const KEY = 'sk-test-key-aaaa';

describe('RateLimits: requests per minute', () => {
  it('a burst of 61 at 60 RPM within 100 ms gets exactly one 429, remaining counting down 59..0', () => {
    const rl = new RateLimits({ requestsPerMin: 60, tokensPerMin: 1_000_000 });
    const outcomes: string[] = [];
    const remaining: number[] = [];
    for (let i = 0; i < 61; i++) {
      const r = rl.check(KEY, 10, (i * 100) / 61, undefined);
      outcomes.push(r.outcome);
      remaining.push(r.snapshot.remainingRequests);
    }
    expect(outcomes.filter((o) => o === 'requests')).toHaveLength(1);
    expect(outcomes[60]).toBe('requests');
    expect(remaining.slice(0, 60)).toEqual(Array.from({ length: 60 }, (_, i) => 59 - i));
    expect(remaining[60]).toBe(0);
  });

  it('refills continuously: one more request fits one second after the bucket ran dry, not before', () => {
    const rl = new RateLimits({ requestsPerMin: 60, tokensPerMin: 1_000_000 });
    for (let i = 0; i < 60; i++) expect(rl.check(KEY, 1, 0).outcome).toBe('ok');
    const early = rl.check(KEY, 1, 999);
    expect(early.outcome).toBe('requests');
    expect(early.retryAfterMs).toBeCloseTo(1, 6);
    expect(rl.check(KEY, 1, 1000).outcome).toBe('ok');
    expect(rl.check(KEY, 1, 1000).outcome).toBe('requests');
  });

  it('tells the wait until the request fits as retryAfterMs and the 429 numbers as limit', () => {
    const rl = new RateLimits({ requestsPerMin: 6, tokensPerMin: 1_000_000 });
    for (let i = 0; i < 6; i++) rl.check(KEY, 1, 0);
    const r = rl.check(KEY, 1, 2500);
    expect(r.outcome).toBe('requests');
    // 6 RPM refills one request every 10 s; 2.5 s of it has passed.
    expect(r.retryAfterMs).toBeCloseTo(7500, 6);
    expect(r.limit).toEqual({ limit: 6, used: 6, requested: 1 });
  });

  it('keeps keys apart and honours per-key limits', () => {
    const rl = new RateLimits(
      { requestsPerMin: 2, tokensPerMin: 1000 },
      { 'sk-big': { requestsPerMin: 100 } },
    );
    expect([rl.check('a', 1, 0), rl.check('a', 1, 0), rl.check('a', 1, 0)].map((r) => r.outcome)).toEqual([
      'ok',
      'ok',
      'requests',
    ]);
    expect(rl.check('b', 1, 0).outcome).toBe('ok');
    expect(rl.check('sk-big', 1, 0).snapshot).toMatchObject({ limitRequests: 100, remainingRequests: 99 });
  });
});

describe('RateLimits: tokens per minute', () => {
  it('runs out of tokens with large requests while RPM is fine', () => {
    const rl = new RateLimits({ requestsPerMin: 1000, tokensPerMin: 10_000 });
    const r = [1, 2, 3, 4].map(() => rl.check(KEY, 3000, 0));
    expect(r.map((x) => x.outcome)).toEqual(['ok', 'ok', 'ok', 'tokens']);
    expect(r[3]!.snapshot.remainingTokens).toBe(1000);
    // 2000 tokens missing at 10 000 per minute.
    expect(r[3]!.retryAfterMs).toBeCloseTo(12_000, 6);
    expect(r[3]!.limit).toEqual({ limit: 10_000, used: 9000, requested: 3000 });
    expect(rl.check(KEY, 3000, 12_000).outcome).toBe('ok');
  });

  it('a request larger than the TPM limit is too_large and never succeeds, however long one waits', () => {
    const rl = new RateLimits({ requestsPerMin: 1000, tokensPerMin: 10_000 });
    for (const nowMs of [0, 60_000, 3_600_000, 86_400_000]) {
      const r = rl.check(KEY, 10_001, nowMs);
      expect(r.outcome).toBe('too_large');
      expect(r.limit).toMatchObject({ limit: 10_000, requested: 10_001 });
      expect(r.retryAfterMs).toBeUndefined();
    }
  });

  it('requests rejected for TPM (or too large) still use up RPM', () => {
    const rl = new RateLimits({ requestsPerMin: 10, tokensPerMin: 1000 });
    expect(rl.check(KEY, 600, 0).snapshot.remainingRequests).toBe(9);
    const rejected = [1, 2, 3].map(() => rl.check(KEY, 600, 0));
    expect(rejected.map((r) => r.outcome)).toEqual(['tokens', 'tokens', 'tokens']);
    expect(rejected.map((r) => r.snapshot.remainingRequests)).toEqual([8, 7, 6]);
    expect(rl.check(KEY, 5000, 0).snapshot.remainingRequests).toBe(5);
    expect(rl.snapshot(KEY, 0).remainingTokens).toBe(400);
  });

  it('charge() takes one request and no tokens', () => {
    const rl = new RateLimits({ requestsPerMin: 10, tokensPerMin: 1000 });
    const s = rl.charge(KEY, 0);
    expect([s.remainingRequests, s.remainingTokens]).toEqual([9, 1000]);
  });
});

describe('RateLimits: snapshots (x-ratelimit-* headers)', () => {
  it.each([
    { name: 'nothing used', charges: 0, tokens: 0, atMs: 0, resetRequestsMs: 0, resetTokensMs: 0 },
    { name: '3 requests at 60 RPM', charges: 3, tokens: 0, atMs: 0, resetRequestsMs: 3000, resetTokensMs: 0 },
    { name: '1 s later', charges: 3, tokens: 0, atMs: 1000, resetRequestsMs: 2000, resetTokensMs: 0 },
    {
      name: 'half the TPM',
      charges: 1,
      tokens: 75_000,
      atMs: 0,
      resetRequestsMs: 1000,
      resetTokensMs: 30_000,
    },
  ])('reset is the time until the bucket is full again: $name', (c) => {
    const rl = new RateLimits({ requestsPerMin: 60, tokensPerMin: 150_000 });
    for (let i = 0; i < c.charges; i++) rl.check(KEY, i === 0 ? c.tokens : 0, 0);
    const s = rl.snapshot(KEY, c.atMs);
    expect(s.resetRequestsMs).toBeCloseTo(c.resetRequestsMs, 6);
    expect(s.resetTokensMs).toBeCloseTo(c.resetTokensMs, 6);
    expect(s.limitRequests).toBe(60);
    expect(s.limitTokens).toBe(150_000);
  });

  it('a phase override changes the capacity but clamps the level instead of resetting it', () => {
    const rl = new RateLimits({ requestsPerMin: 60, tokensPerMin: 1_000_000 });
    for (let i = 0; i < 10; i++) rl.check(KEY, 1, 0);
    const during = rl.check(KEY, 1, 0, { requestsPerMin: 20 });
    expect(during.snapshot).toMatchObject({ limitRequests: 20, remainingRequests: 19 });
    // Back to 60 RPM: still 19 left (not 60), refilling at one per second.
    const after = rl.check(KEY, 1, 0);
    expect(after.snapshot).toMatchObject({ limitRequests: 60, remainingRequests: 18 });
    expect(rl.snapshot(KEY, 2000).remainingRequests).toBe(20);
  });

  it('levels() lists every tracked key and reset() forgets them', () => {
    const rl = new RateLimits({ requestsPerMin: 60, tokensPerMin: 1000 });
    rl.check('a', 100, 0);
    rl.check('b', 200, 0);
    expect(rl.levels(0)).toEqual([
      { apiKey: 'a', requests: 59, tokens: 900, limitRequests: 60, limitTokens: 1000 },
      { apiKey: 'b', requests: 59, tokens: 800, limitRequests: 60, limitTokens: 1000 },
    ]);
    rl.reset();
    expect(rl.levels(0)).toEqual([]);
  });

  it('stays bounded in keys: idle (full) buckets are forgotten first', () => {
    const rl = new RateLimits({ requestsPerMin: 60, tokensPerMin: 1000 }, {}, { maxKeys: 3 });
    rl.check('busy', 1, 0);
    for (let i = 0; i < 10; i++) rl.check(`k${i}`, 1, 0);
    expect(rl.levels(0).length).toBeLessThanOrEqual(3);
  });
});

describe('RateLimits: property', () => {
  it('over any window, admitted requests and tokens never exceed capacity + refill in that window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 100, max: 5000 }),
        fc.array(
          fc.record({ gapMs: fc.integer({ min: 0, max: 4000 }), tokens: fc.integer({ min: 0, max: 800 }) }),
          {
            maxLength: 200,
          },
        ),
        (rpm, tpm, arrivals) => {
          const rl = new RateLimits({ requestsPerMin: rpm, tokensPerMin: tpm });
          const admitted: Array<{ atMs: number; tokens: number }> = [];
          let t = 0;
          for (const a of arrivals) {
            t += a.gapMs;
            if (rl.check(KEY, a.tokens, t).outcome === 'ok') admitted.push({ atMs: t, tokens: a.tokens });
          }
          for (let i = 0; i < admitted.length; i++) {
            let tokens = 0;
            for (let j = i; j < admitted.length; j++) {
              tokens += admitted[j]!.tokens;
              const windowMs = admitted[j]!.atMs - admitted[i]!.atMs;
              if (j - i + 1 > rpm + (windowMs / 60_000) * rpm + 1e-6) return false;
              if (tokens > tpm + (windowMs / 60_000) * tpm + 1e-6) return false;
            }
          }
          return true;
        },
      ),
      { seed: 20231019, numRuns: 300 },
    );
  });
});
