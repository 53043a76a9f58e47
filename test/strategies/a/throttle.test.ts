import { describe, expect, it } from 'vitest';
import { isSquallError } from '../../../src/errors.ts';
import { adaptiveThrottle, throttleProbability } from '../../../src/strategies/policies/throttle.ts';
import { type Next, wrap } from '../../../src/strategies/policy.ts';
import type { AttemptOutcome } from '../../../src/strategies/types.ts';
import { type Bench, bench, execution, request, response, settle, statusOf } from './harness.ts';

describe('throttleProbability (Google SRE: max(0, (requests − K·accepts) / (requests + 1)))', () => {
  it.each<[number, number, number, number]>([
    [0, 0, 2, 0],
    [10, 10, 2, 0],
    [10, 5, 2, 0],
    [10, 4, 2, 2 / 11],
    [10, 2, 2, 6 / 11],
    [100, 0, 2, 100 / 101],
    [10, 4, 1, 6 / 11],
  ])('requests %i, accepts %i, K %d → %d', (requests, accepts, k, p) => {
    expect(throttleProbability(requests, accepts, k)).toBeCloseTo(p, 12);
  });
});

/** Sends requests one after another, `gapMs` apart, through a throttle to an upstream answering `answer`. */
async function sequence(
  b: Bench,
  throttle: ReturnType<typeof adaptiveThrottle>,
  count: number,
  gapMs: number,
  answer: (i: number) => AttemptOutcome,
  prefix = 'q',
) {
  let reached = 0;
  const outcomes: string[] = [];
  for (let i = 0; i < count; i++) {
    const inner: Next = async (exec) => {
      exec.attempts++;
      reached++;
      return answer(i);
    };
    outcomes.push(statusOf(await settle(b, wrap(throttle)(execution(b, request(`${prefix}${i}`)), inner))));
    await b.clock.advance(gapMs);
  }
  return { reached, outcomes };
}

describe('adaptive throttle', () => {
  it('never rejects while the backend accepts everything', async () => {
    const b = bench();
    const { reached } = await sequence(b, adaptiveThrottle({ k: 2, windowMs: 120_000 }), 300, 100, () =>
      response(200),
    );
    expect(reached).toBe(300);
    expect(b.events).toHaveLength(0);
  });

  it('client errors count as accepted: the backend answered them', async () => {
    const b = bench();
    const { reached } = await sequence(b, adaptiveThrottle({ k: 2, windowMs: 120_000 }), 100, 100, () =>
      response(400),
    );
    expect(reached).toBe(100);
  });

  it('against a backend refusing everything, only about H(n) requests get through', async () => {
    // With no accepts, request n is rejected with probability n/(n+1): about ln(200) ≈ 5.9 of 200 reach it.
    const b = bench();
    const { reached, outcomes } = await sequence(
      b,
      adaptiveThrottle({ k: 2, windowMs: 120_000 }),
      200,
      100,
      () => response(503),
    );
    expect(outcomes[0]).toBe('503');
    expect(reached).toBeGreaterThanOrEqual(2);
    expect(reached).toBeLessThanOrEqual(20);
    expect(b.events.filter((e) => e.type === 'shed')).toHaveLength(200 - reached);
  });

  it('in front of a backend with fixed capacity, rejects the share the formula predicts', async () => {
    // Offered 100 req/s, the backend accepts 25/s (a token bucket) and answers 429 otherwise.
    // Steady state: p = (requests − K·accepts)/requests = (100 − 2·25)/100 = 0.5, and the backend sees
    // K·accepts = 50 req/s instead of 100.
    const b = bench();
    const throttle = adaptiveThrottle({ k: 2, windowMs: 120_000 });
    let tokens = 5;
    let refilledAt = 0;
    const backend = () => {
      const now = b.clock.now();
      tokens = Math.min(5, tokens + ((now - refilledAt) * 25) / 1000);
      refilledAt = now;
      if (tokens < 1) return response(429);
      tokens -= 1;
      return response(200);
    };
    const { outcomes } = await sequence(b, throttle, 30_000, 10, backend);
    const tail = outcomes.slice(15_000);
    const rejectedShare = tail.filter((o) => o === 'rejected:shed').length / tail.length;
    const acceptedPerSec = tail.filter((o) => o === '200').length / 150;
    expect(rejectedShare).toBeGreaterThan(0.45);
    expect(rejectedShare).toBeLessThan(0.55);
    expect(acceptedPerSec).toBeGreaterThan(23);
    expect(acceptedPerSec).toBeLessThanOrEqual(25.1);
  });

  it('forgets the outage once it slides out of the window', async () => {
    const b = bench();
    const throttle = adaptiveThrottle({ k: 2, windowMs: 60_000 });
    await sequence(b, throttle, 100, 100, () => response(503), 'down');
    await b.clock.advance(70_000);
    const { reached } = await sequence(b, throttle, 50, 100, () => response(200), 'up');
    expect(reached).toBe(50);
  });

  it('the same seed makes the same decisions', async () => {
    const run = async () => {
      const b = bench({ seed: 'throttle-pinned' });
      return (await sequence(b, adaptiveThrottle({ k: 2, windowMs: 120_000 }), 150, 100, () => response(503)))
        .outcomes;
    };
    expect(await run()).toEqual(await run());
  });

  it('refuses a zero K or window', () => {
    for (const bad of [
      { k: 0, windowMs: 1 },
      { k: 2, windowMs: 0 },
    ]) {
      let thrown: unknown;
      try {
        adaptiveThrottle(bad, 'strategy "sre" policies[2]');
      } catch (e) {
        thrown = e;
      }
      expect(isSquallError(thrown, 'ERR_SQUALL_STRATEGY')).toBe(true);
      expect((thrown as Error).message).toMatch(
        /^strategy "sre" policies\[2\]\.(k|windowMs): must be a number > 0/,
      );
    }
  });
});
