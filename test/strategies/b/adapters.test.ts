import { fileURLToPath } from 'node:url';
import {
  ConsecutiveBreaker,
  ConstantBackoff,
  circuitBreaker,
  wrap as cockatielWrap,
  ExponentialBackoff,
  handleAll,
  retry,
} from 'cockatiel';
import CircuitBreaker from 'opossum';
import { describe, expect, it } from 'vitest';
import { installVirtualGlobals } from '../../../src/sim/globals.ts';
import { cockatielStrategy } from '../../../src/strategies/adapters/cockatiel.ts';
import { opossumStrategy } from '../../../src/strategies/adapters/opossum.ts';
import { buildStrategy } from '../../../src/strategies/build.ts';
import type { LogicalOutcome, Strategy } from '../../../src/strategies/types.ts';
import { type Bench, bench, fail, ok, type Respond, request } from './harness.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const examples = fileURLToPath(new URL('../../../scenarios/examples/', import.meta.url));

/**
 * Runs a strategy built by `make` (inside virtual globals, as a simulated run would), with requests
 * arriving at `arrivals`; measures the wall time the whole thing took.
 */
async function simulate(
  make: () => Strategy | Promise<Strategy>,
  respond: Respond,
  arrivals: number[] = [0],
  o: { seed?: string; latencyMs?: number } = {},
): Promise<{ b: Bench; outcomes: LogicalOutcome[]; wallMs: number }> {
  const b = bench({
    respond,
    seed: o.seed ?? 'adapters',
    ...(o.latencyMs ? { latencyMs: o.latencyMs } : {}),
  });
  const wallStart = performance.now();
  const globals = installVirtualGlobals(b.clock, { rng: b.ctx.rng.fork('library') });
  let outcomes: LogicalOutcome[];
  try {
    const strategy = await make();
    const pending: Promise<LogicalOutcome>[] = [];
    for (const at of arrivals) b.clock.setTimeout(() => pending.push(strategy.call(request(), b.ctx)), at);
    await b.clock.run();
    outcomes = await Promise.all(pending);
  } finally {
    globals.restore();
  }
  return { b, outcomes, wallMs: performance.now() - wallStart };
}

const always500: Respond = (_r, o) => fail(500, o.model);
const times = (b: Bench) => b.sent.map((s) => s.atMs);

describe('cockatiel adapter (the real library, unmodified, in virtual time)', () => {
  it('retry(handleAll, { maxAttempts: 2, backoff: ConstantBackoff(100) }) retries twice, 100 ms apart', async () => {
    const { b, outcomes, wallMs } = await simulate(
      () =>
        cockatielStrategy({
          policy: retry(handleAll, { maxAttempts: 2, backoff: new ConstantBackoff(100) }),
        }),
      always500,
    );
    expect(times(b)).toEqual([0, 100, 200]);
    expect(outcomes[0]).toMatchObject({
      ok: false,
      result: 'failed_transient',
      attempts: 3,
      last: { status: 500 },
    });
    const retries = b.events.filter((e) => e.type === 'retry');
    expect(retries.map((e) => e.type === 'retry' && [e.delayMs, e.reason])).toEqual([
      [100, '500'],
      [100, '500'],
    ]);
    expect(wallMs).toBeLessThan(1000);
  });

  it('stops as soon as an attempt succeeds', async () => {
    const { b, outcomes } = await simulate(
      () =>
        cockatielStrategy({
          policy: retry(handleAll, { maxAttempts: 2, backoff: new ConstantBackoff(100) }),
        }),
      (_r, o, i) => (i === 0 ? fail(503, o.model) : ok(o.model)),
    );
    expect(times(b)).toEqual([0, 100]);
    expect(outcomes[0]).toMatchObject({ ok: true, result: 'success', attempts: 2 });
  });

  it("cockatiel's own jitter (Math.random) is seeded: same seed, same delays", async () => {
    const make = () =>
      cockatielStrategy({
        policy: retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff({ initialDelay: 128 }) }),
      });
    const a = await simulate(make, always500, [0], { seed: 's1' });
    const b = await simulate(make, always500, [0], { seed: 's1' });
    const c = await simulate(make, always500, [0], { seed: 's2' });
    expect(times(a.b)).toEqual(times(b.b));
    expect(times(c.b)).not.toEqual(times(a.b));
  });

  it('a circuit breaker inside wrap() fails fast while open and reports its transitions', async () => {
    const make = () =>
      cockatielStrategy({
        policy: () =>
          cockatielWrap(
            retry(handleAll, { maxAttempts: 1, backoff: new ConstantBackoff(10) }),
            circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(3) }),
          ),
      });
    const { b, outcomes } = await simulate(make, always500, [0, 1000, 2000, 15_000]);
    // The breaker opens on the 3rd failure (the second request's first attempt); that request's retry then
    // meets the open breaker. At 15 s the half-open probe fails, so the breaker reopens and the retry of
    // the probe is refused too: the real library's behaviour with retry outside the breaker.
    expect(outcomes.map((o) => o.result)).toEqual([
      'failed_transient',
      'breaker_open',
      'breaker_open',
      'breaker_open',
    ]);
    expect(outcomes.map((o) => o.attempts)).toEqual([2, 1, 0, 1]);
    const states = b.events
      .filter((e) => e.type === 'breaker')
      .map((e) => e.type === 'breaker' && `${e.state}@${e.atMs}`);
    expect(states).toEqual(['open@1000', 'half_open@15000', 'open@15000']);
  });

  it('loads a cockatiel policy from a module named in the config', async () => {
    const { b } = await simulate(
      () =>
        buildStrategy(
          { name: 'ck', adapter: { type: 'cockatiel', path: 'cockatiel-policy.mjs' } },
          { baseDir: fixtures },
        ),
      always500,
    );
    expect(times(b)).toEqual([0, 100, 200]);
  });
});

describe('opossum adapter (the real library, unmodified, in virtual time)', () => {
  const options = { errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeout: 30_000, timeout: 10_000 };

  it('opens after the failure threshold, fails fast, half-opens after resetTimeout, closes on success', async () => {
    let calls = 0;
    const respond: Respond = (_r, o) => (calls++ < 2 ? fail(500, o.model) : ok(o.model));
    const { b, outcomes, wallMs } = await simulate(
      () => opossumStrategy({ options }),
      respond,
      [0, 1000, 2000, 20_000, 32_000, 33_000],
    );
    expect(outcomes.map((o) => o.result)).toEqual([
      'failed_transient',
      'failed_transient',
      'breaker_open',
      'breaker_open',
      'success',
      'success',
    ]);
    expect(outcomes.map((o) => o.attempts)).toEqual([1, 1, 0, 0, 1, 1]);
    const states = b.events
      .filter((e) => e.type === 'breaker')
      .map((e) => e.type === 'breaker' && `${e.state}@${e.atMs}`);
    expect(states).toEqual(['open@1000', 'half_open@31000', 'closed@32000']);
    expect(wallMs).toBeLessThan(2000);
  });

  it("lets the simulation end although opossum's statistics rotate on an interval", async () => {
    const { b } = await simulate(
      () => opossumStrategy({ options }),
      (_r, o) => ok(o.model),
      [0, 500],
    );
    // Bucket rotation (every 1 s) ran while there was work, then parked instead of spinning forever.
    expect(b.clock.now()).toBeLessThanOrEqual(1000);
  });

  it("maps opossum's own timeout to a network timeout", async () => {
    const { outcomes } = await simulate(
      () => opossumStrategy({ options: { ...options, timeout: 3000 } }),
      (_r, o) => ok(o.model),
      [0],
      { latencyMs: 5000 },
    );
    expect(outcomes[0]).toMatchObject({
      ok: false,
      result: 'failed_network',
      last: { kind: 'network', error: 'timeout' },
    });
  });

  it('takes a factory for breakers that need listeners or a fallback', async () => {
    const { outcomes } = await simulate(
      () =>
        opossumStrategy({
          create: (action) => {
            const breaker = new CircuitBreaker(action, options);
            breaker.fallback(() => 'cached answer');
            return breaker;
          },
        }),
      always500,
    );
    // Served by the library's fallback: a success that needed no upstream answer, after one attempt.
    expect(outcomes[0]).toEqual({ ok: true, result: 'success', attempts: 1 });
  });

  it('loads a breaker factory from a module named in the config', async () => {
    const { outcomes } = await simulate(
      () =>
        buildStrategy(
          { name: 'op', adapter: { type: 'opossum', path: 'opossum-breaker.mjs' } },
          { baseDir: fixtures },
        ),
      always500,
      [0, 10, 20],
    );
    expect(outcomes.map((o) => o.result)).toEqual(['failed_transient', 'failed_transient', 'breaker_open']);
  });
});

describe("user module adapter (a user's own strategy)", () => {
  const example = () =>
    buildStrategy(
      { name: 'mine', adapter: { type: 'module', path: 'custom-strategy.mjs' } },
      { baseDir: examples },
    );

  it('runs the example module: counts its attempts and reports its retries, in virtual time', async () => {
    const { b, outcomes } = await simulate(example, always500);
    expect(outcomes[0]).toMatchObject({ ok: false, result: 'failed_transient', attempts: 4 });
    const gaps = times(b)
      .slice(1)
      .map((t, i) => t - times(b)[i]!);
    // Equal jitter: between half and all of 500 ms · 2^n.
    gaps.forEach((gap, n) => {
      expect(gap).toBeGreaterThanOrEqual(250 * 2 ** n);
      expect(gap).toBeLessThanOrEqual(500 * 2 ** n);
    });
    expect(b.events.filter((e) => e.type === 'attempt')).toHaveLength(4);
  });

  it('the example fails fast on a 401 and honours retry-after-ms', async () => {
    const auth = await simulate(example, (_r, o) => fail(401, o.model, { code: 'invalid_api_key' }));
    expect(auth.outcomes[0]).toMatchObject({ result: 'failed_client', attempts: 1 });
    const limited = await simulate(example, (_r, o, i) =>
      i === 0
        ? fail(429, o.model, { code: 'rate_limit_exceeded', headers: { 'retry-after-ms': '1234' } })
        : ok(o.model),
    );
    expect(times(limited.b)).toEqual([0, 1234]);
    expect(limited.outcomes[0]).toMatchObject({ ok: true, attempts: 2 });
  });

  it('a module that throws gives strategy_error with its attempts counted and the error logged', async () => {
    const logs: string[] = [];
    const { outcomes } = await simulate(
      async () => {
        const s = await buildStrategy(
          { name: 'buggy', adapter: { type: 'module', path: 'throws.mjs' } },
          { baseDir: fixtures },
        );
        return {
          name: s.name,
          call: (req, ctx, signal) => s.call(req, { ...ctx, log: (m) => logs.push(m) }, signal),
        };
      },
      (_r, o) => ok(o.model),
    );
    expect(outcomes[0]).toMatchObject({ ok: false, result: 'strategy_error', attempts: 1 });
    expect(logs[0]).toMatch(/strategy "buggy" threw on r\d+: Error: oops, a bug in my strategy/);
  });

  it('a module that resolves to something else gives strategy_error', async () => {
    const { outcomes } = await simulate(
      () =>
        buildStrategy(
          { name: 'odd', adapter: { type: 'module', path: 'garbage.mjs' } },
          { baseDir: fixtures },
        ),
      (_r, o) => ok(o.model),
    );
    expect(outcomes[0]).toEqual({ ok: false, result: 'strategy_error', attempts: 0 });
  });
});
