import { describe, expect, it } from 'vitest';
import { OtherTraffic } from '../../src/client/other-traffic.ts';
import { BoundedPool } from '../../src/client/pool.ts';
import { VirtualClock } from '../../src/sim/clock.ts';

function setup(workers: number) {
  const clock = new VirtualClock(0);
  const pool = new BoundedPool(workers, { max: 50, timeoutMs: 500 }, clock);
  const other = new OtherTraffic(
    [
      { name: 'page', ratePerSec: 10, serviceTime: { kind: 'fixed', ms: 40 } },
      { name: 'login', ratePerSec: 2, serviceTime: { kind: 'uniform', minMs: 10, maxMs: 90 } },
    ],
    {
      clock,
      seed: 'o',
      originMs: 0,
      durationMs: 20_000,
      workers: { pool, heldForWholeRequest: true },
      deadline: undefined,
    },
  );
  return { clock, pool, other };
}

describe('other traffic', () => {
  it('starves while every worker is held (hung calls) and recovers once they are freed', async () => {
    const { clock, pool, other } = setup(4);
    // Four hung LLM calls hold every worker for the first 10 s.
    for (let i = 0; i < 4; i++)
      pool.acquire(
        () => {},
        () => {},
      );
    clock.setTimeout(() => {
      for (let i = 0; i < 4; i++) pool.release();
    }, 10_000);
    other.start();
    await clock.run({ untilMs: 9_999 });
    const during = other.summary();
    expect(during.offered).toBeGreaterThan(80);
    expect(during.succeeded).toBe(0);
    expect(during.failed.saturated).toBe(during.offered - during.unfinished);
    await clock.run({ untilMs: 30_000 });
    const all = other.summary();
    const after = { offered: all.offered - during.offered, succeeded: all.succeeded - during.succeeded };
    expect(after.offered).toBeGreaterThan(80);
    // Requests still waiting at 10 s get the freed workers; everything after that is served.
    expect(after.succeeded).toBeGreaterThanOrEqual(after.offered);
    expect(all.unfinished).toBe(0);
    expect(other.idle).toBe(true);
    expect(all.routes.page!.offered + all.routes.login!.offered).toBe(all.offered);
  });

  it('with free workers, every request succeeds in its service time', async () => {
    const { clock, other } = setup(100);
    other.start();
    await clock.run({ untilMs: 30_000 });
    const s = other.summary();
    expect(s.successRate).toBe(1);
    expect(s.routes.page!.latencyMs.max).toBe(40);
    expect(s.routes.login!.latencyMs.max!).toBeLessThanOrEqual(90);
  });

  it('draws the same arrivals and service times for the same seed, whatever the pool', async () => {
    const a = setup(1);
    const b = setup(100);
    a.other.start();
    b.other.start();
    await a.clock.run({ untilMs: 30_000 });
    await b.clock.run({ untilMs: 30_000 });
    expect(a.other.summary().offered).toBe(b.other.summary().offered);
    expect(a.other.summary().routes.login!.offered).toBe(b.other.summary().routes.login!.offered);
  });
});
