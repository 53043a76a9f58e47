import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../../src/client/types.ts';
import { runStrategySim, type StrategyRunInput } from '../../src/runner/run-strategy.ts';
import { type UpstreamInput, upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';
import { buildStrategy } from '../../src/strategies/build.ts';
import { createTraffic, DEFAULT_MIX } from '../../src/traffic/index.ts';

/** One strategy, in virtual time, with the app around it. */
async function run(o: {
  client?: ClientConfig;
  upstream?: UpstreamInput;
  policies?: unknown[];
  ratePerSec?: number;
  durationMs?: number;
}) {
  const durationMs = o.durationMs ?? 20_000;
  const input: StrategyRunInput = {
    strategy: await buildStrategy({ name: 's', policies: o.policies ?? [] } as never),
    usesGlobals: false,
    traffic: createTraffic(
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: o.ratePerSec ?? 5 }, mix: DEFAULT_MIX },
      durationMs,
      'c',
    ),
    upstream: upstreamConfigFrom('c', { latency: { fixed: '20ms' }, max_hang: '10m', ...o.upstream }),
    seed: 'c',
    durationMs,
    drainMs: 60_000,
    requestDeadlineMs: 600_000,
    faultWindows: [],
    ...(o.client ? { client: o.client } : {}),
  };
  return (await runStrategySim(input)).summary;
}

const QUEUE = { max: 1000, timeoutMs: 30_000 };
const client = (c: Partial<ClientConfig>): ClientConfig => ({
  sleep: 'blocking',
  queue: QUEUE,
  connectionQueue: QUEUE,
  otherTraffic: [],
  ...c,
});

const RETRY_1S = [{ type: 'retry', maxAttempts: 3, backoff: { kind: 'fixed', delayMs: 1000 } }];
const ALWAYS_503: UpstreamInput = { phases: [{ start: 0, end: '1h', faults: { '503': 1 } }] };

describe('the calling application', () => {
  it('without a client section, a run is what it was (no client fields in the summary)', async () => {
    const s = await run({});
    expect(s.client).toBeUndefined();
    expect(s.otherTraffic).toBeUndefined();
    expect(s.results.success).toBe(100);
  });

  it('never has more workers busy than it has (requests and other traffic together)', async () => {
    const s = await run({
      ratePerSec: 20,
      upstream: { latency: { fixed: '2s' } },
      client: client({
        workers: 7,
        otherTraffic: [{ name: 'page', ratePerSec: 10, serviceTime: { kind: 'fixed', ms: 300 } }],
      }),
    });
    expect(s.client!.workersBusyMax).toBe(7);
    expect(s.client!.workerWaitMs.max!).toBeGreaterThan(0);
  });

  it('a blocking sleep holds its worker, an async one does not', async () => {
    // 503 every time, two 1 s sleeps per request: 2 s of sleeping per request at 5 requests a second.
    const common = { upstream: ALWAYS_503, policies: RETRY_1S, ratePerSec: 5 };
    const queue = { max: 1000, timeoutMs: 500 };
    const blocking = await run({ ...common, client: client({ workers: 4, sleep: 'blocking', queue }) });
    const async_ = await run({ ...common, client: client({ workers: 4, sleep: 'async', queue }) });
    // Blocking: each request needs a worker for ~2 s; 4 workers serve 2 a second, the rest are refused.
    expect(blocking.results.client_saturated).toBeGreaterThan(40);
    expect(blocking.client!.saturated).toBe(blocking.results.client_saturated);
    expect(blocking.failuresByClass.app).toBe(blocking.results.client_saturated);
    // Async: a worker for 20 ms per attempt; nobody waits long enough to be refused.
    expect(async_.results.client_saturated).toBe(0);
    expect(async_.client!.workersBusyMax).toBeLessThan(4);
    expect(async_.attempts.total).toBe(300);
  });

  it('the bounded queue refuses as client_saturated when full, and when the wait runs out', async () => {
    // Hung calls hold every worker; 5 may wait, 1 s at most.
    const s = await run({
      upstream: { phases: [{ start: 0, end: '1h', faults: { timeout: 1 } }] },
      client: client({ workers: 2, queue: { max: 5, timeoutMs: 1000 } }),
    });
    expect(s.client!.workersBusyMax).toBe(2);
    // Two requests got workers and hang until the upstream gives up (10 min): every other one is refused.
    expect(s.results.client_saturated).toBe(98);
    expect(s.client!.workerWaitMs.max).toBe(1000);
  });

  it('other traffic starves while hung calls hold every worker, and recovers when they are freed', async () => {
    // Calls hang for the first 10 s; a 3 s attempt timeout frees their workers, then 2 s of blocking sleep.
    const s = await run({
      durationMs: 60_000,
      ratePerSec: 2,
      upstream: { phases: [{ start: 0, end: '10s', faults: { timeout: 1 } }] },
      policies: [
        { type: 'retry', maxAttempts: 2, backoff: { kind: 'fixed', delayMs: 2000 } },
        { type: 'timeout', attemptTimeoutMs: 3000 },
      ],
      client: client({
        workers: 8,
        queue: { max: 100, timeoutMs: 1000 },
        otherTraffic: [{ name: 'page', ratePerSec: 10, serviceTime: { kind: 'fixed', ms: 50 } }],
      }),
    });
    const other = s.otherTraffic!;
    const page = other.routes.page!;
    expect(page.offered).toBe(other.offered);
    expect(other.offered).toBeGreaterThan(500);
    // Every offered request is accounted for.
    expect(other.succeeded + other.failed.saturated + other.failed.timeout + other.unfinished).toBe(
      other.offered,
    );
    expect(other.failed.saturated).toBeGreaterThan(30);
    expect(other.successRate!).toBeLessThan(0.95);
    expect(other.successRate!).toBeGreaterThan(0.6);
  });

  it('with the same calls not hanging, other traffic is untouched', async () => {
    const s = await run({
      durationMs: 60_000,
      ratePerSec: 2,
      client: client({
        workers: 8,
        queue: { max: 100, timeoutMs: 1000 },
        otherTraffic: [{ name: 'page', ratePerSec: 10, serviceTime: { kind: 'fixed', ms: 50 } }],
      }),
    });
    expect(s.otherTraffic!.successRate).toBe(1);
    expect(s.otherTraffic!.latencyMs.max).toBe(50);
  });

  it("the app's timeout fails the user's request while the attempt goes on and is billed", async () => {
    // 5 s answers behind a 1 s gateway: every user gets the app's timeout, every completion is billed.
    const s = await run({
      upstream: { latency: { fixed: '5s' } },
      client: client({ workers: 100, timeoutMs: 1000 }),
    });
    expect(s.results.client_timeout).toBe(100);
    expect(s.client!.timedOut).toBe(100);
    expect(s.latencyMs.max).toBe(1000);
    expect(s.attempts.total).toBe(100);
    expect(s.attempts.byKind['200']).toBe(100);
    // Billed like any completion, and counted as abandoned: nobody used it.
    expect(s.tokens.billed).toBeGreaterThan(0);
    expect(s.tokens.abandonedBilled).toBe(s.tokens.billed);
    expect(s.client!.attemptsAfterTimeout).toBe(100);
    // The workers stayed held for the whole 5 s (as a Python thread would): 25 at once at 5 a second.
    expect(s.client!.workersBusyMax).toBeGreaterThanOrEqual(25);
  });

  it('a connection pool caps attempts in flight; a hung attempt holds its connection', async () => {
    const s = await run({
      ratePerSec: 5,
      upstream: { phases: [{ start: 0, end: '1h', faults: { timeout: 1 } }] },
      policies: [{ type: 'timeout', attemptTimeoutMs: 2000 }],
      client: client({ sleep: 'async', connections: 3, connectionQueue: { max: 50, timeoutMs: 500 } }),
    });
    const c = s.client!.connections!;
    expect(c.busyMax).toBe(3);
    expect(c.refused).toBeGreaterThan(0);
    // A refused attempt never reached the upstream: only granted ones are attempts.
    expect(s.attempts.total).toBe(100 - c.refused);
  });

  it('is deterministic: the same seed gives the same summary', async () => {
    const o = {
      upstream: ALWAYS_503,
      policies: RETRY_1S,
      client: client({
        workers: 3,
        queue: { max: 4, timeoutMs: 700 },
        timeoutMs: 1500,
        otherTraffic: [
          { name: 'p', ratePerSec: 3, serviceTime: { kind: 'lognormal' as const, medianMs: 40, p99Ms: 400 } },
        ],
      }),
    };
    expect(JSON.stringify(await run(o))).toBe(JSON.stringify(await run(o)));
  });
});
