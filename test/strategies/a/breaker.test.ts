import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSquallError } from '../../../src/errors.ts';
import { type BreakerPolicy, consecutiveBreaker } from '../../../src/strategies/policies/breaker.ts';
import { samplingBreaker } from '../../../src/strategies/policies/sampling-breaker.ts';
import { isRejection, type Next, type PolicyResult, wrap } from '../../../src/strategies/policy.ts';
import type { AttemptOutcome } from '../../../src/strategies/types.ts';
import { type Bench, bench, execution, request, response, settle, statusOf } from './harness.ts';

/** Drives one breaker through calls at given times; each call's outcome and latency come from `plan`. */
function driver(b: Bench, breaker: BreakerPolicy) {
  const upstream: Array<{ id: string; atMs: number; state: string }> = [];
  let n = 0;
  const call = (outcome: AttemptOutcome, latencyMs = 0): Promise<PolicyResult> => {
    const id = `c${n++}`;
    const inner: Next = async (exec) => {
      upstream.push({ id, atMs: b.clock.now(), state: breaker.state });
      exec.attempts++;
      if (latencyMs > 0) await b.clock.sleep(latencyMs);
      return outcome;
    };
    return wrap(breaker)(execution(b, request(id)), inner);
  };
  const transitions = () => b.events.flatMap((e) => (e.type === 'breaker' ? [`${e.state}@${e.atMs}`] : []));
  return { call, upstream, transitions };
}

async function at<T>(b: Bench, ms: number, work: () => Promise<T>): Promise<T> {
  await b.clock.run({ untilMs: ms });
  return settle(b, work());
}

describe('consecutive breaker (seed article: 5 failures, 30 s)', () => {
  it('opens after 5 consecutive failures, fails fast while open, probes once, closes on success', async () => {
    const b = bench();
    const breaker = consecutiveBreaker({ threshold: 5, openMs: 30_000 });
    const d = driver(b, breaker);
    for (let i = 0; i < 5; i++) await at(b, i * 100, () => d.call(response(500)));
    expect(breaker.state).toBe('open');
    const fast = await at(b, 1000, () => d.call(response(200)));
    expect(fast).toMatchObject({ kind: 'rejected', by: 'breaker', reason: 'breaker_open' });
    expect(await at(b, 30_399, () => d.call(response(200)).then(statusOf))).toBe('rejected:breaker_open');
    expect(await at(b, 30_400, () => d.call(response(200)).then(statusOf))).toBe('200');
    expect(breaker.state).toBe('closed');
    expect(d.upstream.map((u) => u.atMs)).toEqual([0, 100, 200, 300, 400, 30_400]);
    expect(d.transitions()).toEqual(['open@400', 'half_open@30400', 'closed@30400']);
    expect(b.events.filter((e) => e.type === 'rejected')).toHaveLength(2);
  });

  it('a failed probe reopens it for another full openMs', async () => {
    const b = bench();
    const breaker = consecutiveBreaker({ threshold: 2, openMs: 1000 });
    const d = driver(b, breaker);
    await at(b, 0, () => d.call(response(503)));
    await at(b, 0, () => d.call(response(503)));
    expect(await at(b, 1000, () => d.call(response(503)).then(statusOf))).toBe('503');
    expect(await at(b, 1999, () => d.call(response(200)).then(statusOf))).toBe('rejected:breaker_open');
    expect(await at(b, 2000, () => d.call(response(200)).then(statusOf))).toBe('200');
    expect(d.transitions()).toEqual([
      'open@0',
      'half_open@1000',
      'open@1000',
      'half_open@2000',
      'closed@2000',
    ]);
  });

  it('lets only one probe through while it is in flight', async () => {
    const b = bench();
    const breaker = consecutiveBreaker({ threshold: 1, openMs: 1000 });
    const d = driver(b, breaker);
    await at(b, 0, () => d.call(network('reset')));
    await b.clock.run({ untilMs: 1000 });
    const probe = d.call(response(200), 500);
    const others = [d.call(response(200)), d.call(response(200))];
    const results = await settle(b, Promise.all([probe, ...others]));
    expect(results.map(statusOf)).toEqual(['200', 'rejected:breaker_open', 'rejected:breaker_open']);
    expect(d.upstream).toHaveLength(2);
  });

  it('a success resets the count of consecutive failures', async () => {
    const b = bench();
    const breaker = consecutiveBreaker({ threshold: 3, openMs: 1000 });
    const d = driver(b, breaker);
    for (const s of [500, 500, 200, 500, 500]) await at(b, 0, () => d.call(response(s)));
    expect(breaker.state).toBe('closed');
    await at(b, 0, () => d.call(response(500)));
    expect(breaker.state).toBe('open');
  });

  it.each<[string, Parameters<typeof consecutiveBreaker>[0], AttemptOutcome, string]>([
    ['400s do not count as failures by default', { threshold: 2, openMs: 1000 }, response(400), 'closed'],
    ['401s do not count as failures by default', { threshold: 2, openMs: 1000 }, response(401), 'closed'],
    ['timeouts count as failures', { threshold: 2, openMs: 1000 }, network('timeout'), 'open'],
    ['429s count as failures', { threshold: 2, openMs: 1000 }, response(429), 'open'],
    [
      'what counts is configurable (here: every non-2xx)',
      {
        threshold: 2,
        openMs: 1000,
        countAsFailure: (r) => !isRejection(r) && r.kind === 'response' && r.status >= 300,
      },
      response(400),
      'open',
    ],
  ])('%s', async (_name, options, outcome, expected) => {
    const b = bench();
    const breaker = consecutiveBreaker(options);
    const d = driver(b, breaker);
    await at(b, 0, () => d.call(outcome));
    await at(b, 0, () => d.call(outcome));
    expect(breaker.state).toBe(expected);
  });

  it('rejections from inner policies neither trip it nor close it', async () => {
    const b = bench();
    const breaker = consecutiveBreaker({ threshold: 1, openMs: 1000 });
    const shed: Next = async () => ({ kind: 'rejected', by: 'limiter', reason: 'shed', message: 'full' });
    for (let i = 0; i < 5; i++) await settle(b, wrap(breaker)(execution(b), shed));
    expect(breaker.state).toBe('closed');
    const d = driver(b, breaker);
    await at(b, 0, () => d.call(response(500)));
    await b.clock.run({ untilMs: 1000 });
    await settle(b, wrap(breaker)(execution(b), shed));
    expect(breaker.state).toBe('half_open');
    // The shed probe freed its slot: the next call is the probe.
    expect(await settle(b, d.call(response(200)).then(statusOf))).toBe('200');
    expect(breaker.state).toBe('closed');
  });

  it('ignores slow results from calls admitted before it opened', async () => {
    const b = bench();
    const breaker = consecutiveBreaker({ threshold: 2, openMs: 10_000 });
    const d = driver(b, breaker);
    const calls = [d.call(response(200), 5000), d.call(response(500)), d.call(response(500))];
    await settle(b, Promise.all(calls));
    // The success landing at 5 s belongs to the closed period: it must not close the open breaker.
    expect(breaker.state).toBe('open');
    expect(d.transitions()).toEqual(['open@0']);
  });

  it('half-open with several probes closes only after all of them succeed', async () => {
    const b = bench();
    const breaker = consecutiveBreaker({ threshold: 1, openMs: 100, halfOpenProbes: 3 });
    const d = driver(b, breaker);
    await at(b, 0, () => d.call(response(500)));
    await b.clock.run({ untilMs: 100 });
    const results = await settle(b, Promise.all([0, 1, 2, 3].map(() => d.call(response(200), 10))));
    expect(results.map(statusOf)).toEqual(['200', '200', '200', 'rejected:breaker_open']);
    expect(d.transitions()).toEqual(['open@0', 'half_open@100', 'closed@110']);
  });
});

describe('sampling breaker (failure rate over a window, minimum volume)', () => {
  it('does not open below the minimum volume, opens at the threshold once it is reached', async () => {
    const b = bench();
    const breaker = samplingBreaker({
      failureRateThreshold: 0.5,
      windowMs: 10_000,
      minimumVolume: 4,
      openMs: 5000,
    });
    const d = driver(b, breaker);
    for (let i = 0; i < 3; i++) await at(b, i * 10, () => d.call(response(500)));
    expect(breaker.state).toBe('closed');
    await at(b, 30, () => d.call(response(200)));
    // 3 failures out of 4 calls = 75% ≥ 50%.
    expect(breaker.state).toBe('open');
  });

  it('stays closed while the failure rate is under the threshold', async () => {
    const b = bench();
    const breaker = samplingBreaker({
      failureRateThreshold: 0.5,
      windowMs: 10_000,
      minimumVolume: 4,
      openMs: 5000,
    });
    const d = driver(b, breaker);
    // Every prefix of at least 4 calls stays under 50% failures.
    for (const s of [200, 500, 200, 200, 500, 200, 200, 500, 200]) await at(b, 0, () => d.call(response(s)));
    expect(breaker.state).toBe('closed');
  });

  it('forgets failures that slid out of the window', async () => {
    const b = bench();
    const breaker = samplingBreaker({
      failureRateThreshold: 0.5,
      windowMs: 10_000,
      minimumVolume: 4,
      openMs: 5000,
    });
    const d = driver(b, breaker);
    for (let i = 0; i < 3; i++) await at(b, i, () => d.call(response(500)));
    // 20 s later the three failures are gone: one more failure is 1 of 1, below the minimum volume.
    await at(b, 20_000, () => d.call(response(500)));
    expect(breaker.state).toBe('closed');
  });

  it('judges half-open probes by the same ratio, then starts a fresh window', async () => {
    const b = bench();
    const breaker = samplingBreaker({
      failureRateThreshold: 0.5,
      windowMs: 10_000,
      minimumVolume: 2,
      openMs: 1000,
      halfOpenProbes: 2,
    });
    const d = driver(b, breaker);
    await at(b, 0, () => d.call(response(500)));
    await at(b, 0, () => d.call(response(500)));
    await b.clock.run({ untilMs: 1000 });
    const probes = await settle(b, Promise.all([d.call(response(200), 10), d.call(response(200), 10)]));
    expect(probes.map(statusOf)).toEqual(['200', '200']);
    expect(d.transitions()).toEqual(['open@0', 'half_open@1000', 'closed@1010']);
    await at(b, 1010, () => d.call(response(500)));
    expect(breaker.state).toBe('closed');
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a threshold above 1', { failureRateThreshold: 1.5 }, /breaker\.failureRateThreshold/],
    ['a zero threshold', { failureRateThreshold: 0 }, /breaker\.failureRateThreshold: must be a number > 0/],
    ['a zero window', { windowMs: 0 }, /breaker\.windowMs/],
    ['a zero minimum volume', { minimumVolume: 0 }, /breaker\.minimumVolume/],
    ['a negative open duration', { openMs: -1 }, /breaker\.openMs/],
  ])('refuses %s', (_name, bad, message) => {
    const base = { failureRateThreshold: 0.5, windowMs: 1000, minimumVolume: 5, openMs: 1000 };
    let thrown: unknown;
    try {
      samplingBreaker({ ...base, ...bad } as never);
    } catch (e) {
      thrown = e;
    }
    expect(isSquallError(thrown, 'ERR_SQUALL_STRATEGY')).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });

  it('consecutive breaker refuses a zero threshold or zero probes', () => {
    expect(() => consecutiveBreaker({ threshold: 0, openMs: 1 })).toThrow(/breaker\.threshold/);
    expect(() => consecutiveBreaker({ threshold: 1, openMs: 1, halfOpenProbes: 0 })).toThrow(
      /breaker\.halfOpenProbes/,
    );
  });
});

function network(error: 'reset' | 'timeout'): AttemptOutcome {
  return { kind: 'network', error, message: error, model: 'gpt-4o-mini' };
}

describe('property: a breaker never lets a call through while open, except the half-open probes', () => {
  const callArb = fc.record({
    gapMs: fc.integer({ min: 0, max: 400 }),
    latencyMs: fc.integer({ min: 0, max: 600 }),
    fail: fc.boolean(),
  });

  const check = (make: () => BreakerPolicy, openMs: number, probes: number) =>
    fc.assert(
      fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 80 }), async (plan) => {
        const b = bench();
        const breaker = make();
        // One log of transitions and upstream calls, in the order they happened.
        const log: Array<
          { kind: 'state'; state: string; atMs: number } | { kind: 'call'; atMs: number; end: Promise<void> }
        > = [];
        b.ctx.emit = (e) => {
          b.events.push(e);
          if (e.type === 'breaker') log.push({ kind: 'state', state: e.state, atMs: e.atMs });
        };
        const inFlight = new Set<number>();
        let halfOpenAdmitted = 0;
        let state = 'closed';
        let openedAt = 0;
        let maxProbesInFlight = 0;
        let maxHalfOpenAdmitted = 0;
        const work: Promise<unknown>[] = [];
        let t = 0;
        plan.forEach((p, i) => {
          t += p.gapMs;
          b.clock.setTimeout(() => {
            const inner: Next = async () => {
              // Check at admission against the transitions seen so far.
              for (const entry of log.splice(0)) {
                if (entry.kind !== 'state') continue;
                if (entry.state === 'half_open') {
                  expect(entry.atMs - openedAt).toBeGreaterThanOrEqual(openMs);
                  halfOpenAdmitted = 0;
                }
                if (entry.state === 'open') openedAt = entry.atMs;
                state = entry.state;
              }
              expect(state).not.toBe('open');
              if (state === 'half_open') {
                halfOpenAdmitted++;
                maxHalfOpenAdmitted = Math.max(maxHalfOpenAdmitted, halfOpenAdmitted);
                inFlight.add(i);
                maxProbesInFlight = Math.max(maxProbesInFlight, inFlight.size);
              }
              await b.clock.sleep(p.latencyMs);
              inFlight.delete(i);
              return p.fail ? response(500) : response(200);
            };
            work.push(wrap(breaker)(execution(b, request(`c${i}`)), inner));
          }, t);
        });
        await b.clock.run();
        await Promise.all(work);
        expect(maxProbesInFlight).toBeLessThanOrEqual(probes);
        expect(maxHalfOpenAdmitted).toBeLessThanOrEqual(probes);
      }),
      { seed: 20260303, numRuns: 150 },
    );

  it('consecutive breaker', async () => {
    await check(() => consecutiveBreaker({ threshold: 3, openMs: 1000 }), 1000, 1);
  });

  it('consecutive breaker with two probes', async () => {
    await check(() => consecutiveBreaker({ threshold: 2, openMs: 700, halfOpenProbes: 2 }), 700, 2);
  });

  it('sampling breaker', async () => {
    await check(
      () => samplingBreaker({ failureRateThreshold: 0.5, windowMs: 2000, minimumVolume: 4, openMs: 1500 }),
      1500,
      1,
    );
  });
});
