import { describe, expect, it } from 'vitest';
import { type Plan, runExperiment } from '../../src/runner/experiment.ts';
import { runStrategyLive, runStrategySim, type StrategyRunInput } from '../../src/runner/run-strategy.ts';
import { upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';
import { userStrategy } from '../../src/strategies/adapters/user-module.ts';
import { buildStrategy } from '../../src/strategies/build.ts';
import type { StrategyConfig } from '../../src/strategies/config.ts';
import { createTraffic, DEFAULT_MIX } from '../../src/traffic/index.ts';

const EXPO = {
  name: 'expo-jitter',
  policies: [
    {
      type: 'retry',
      maxAttempts: 4,
      backoff: { kind: 'exponential', baseMs: 500, capMs: 8000, jitter: 'full' },
    },
  ],
};
const NAIVE = { name: 'naive', preset: 'naive-fixed' };
const BREAKER = { name: 'breaker', preset: 'seed-article' };

function plan(strategies: unknown[], o: Partial<Plan> = {}): Plan {
  return {
    name: 'storm',
    content: 'test',
    seed: '7',
    durationMs: 120_000,
    drainMs: 60_000,
    requestDeadlineMs: 120_000,
    traffic: { model: 'open', arrivals: { kind: 'constant', ratePerSec: 20 }, mix: DEFAULT_MIX },
    upstream: upstreamConfigFrom('7', {
      rate_limits: { requests_per_min: 1500, tokens_per_min: 10_000_000 },
      phases: [
        {
          name: 'storm',
          start: '30s',
          end: '60s',
          faults: { '500': 0.3, '503': 0.1 },
          rate_limits: { requests_per_min: 600 },
        },
      ],
    }),
    strategies: strategies.map((s) => ({
      name: (s as StrategyConfig).name,
      usesGlobals: false,
      build: () => buildStrategy(s),
    })),
    reproduce: 'test',
    ...o,
  };
}

const withoutWall = (r: unknown) => JSON.parse(JSON.stringify(r, (k, v) => (k === 'wall' ? undefined : v)));

describe('the experiment', () => {
  it('same seed → byte-identical result.json apart from wall-clock metadata', async () => {
    const a = await runExperiment(plan([EXPO, NAIVE]));
    const b = await runExperiment(plan([EXPO, NAIVE]));
    expect(JSON.stringify(withoutWall(a))).toBe(JSON.stringify(withoutWall(b)));
    expect(a.strategies[0]!.summary.requests.offered).toBe(2400);
    const c = await runExperiment(plan([EXPO, NAIVE], { seed: '8' }));
    expect(JSON.stringify(withoutWall(c.strategies))).not.toBe(JSON.stringify(withoutWall(a.strategies)));
  });

  it("a strategy's result does not depend on which others ran, or in what order", async () => {
    const alone = await runExperiment(plan([EXPO]));
    const first = await runExperiment(plan([EXPO, NAIVE, BREAKER]));
    const last = await runExperiment(plan([BREAKER, NAIVE, EXPO]));
    const expo = (r: typeof alone) => withoutWall(r.strategies.find((s) => s.name === 'expo-jitter'));
    expect(expo(first)).toEqual(expo(alone));
    expect(expo(last)).toEqual(expo(alone));
  });

  it('every strategy meets the same arrival trace and the same exogenous faults (common random numbers)', async () => {
    const r = await runExperiment(plan([EXPO, NAIVE]));
    const [a, b] = r.strategies;
    expect(a!.summary.series.offered).toEqual(b!.summary.series.offered);
    // The first attempt of every request meets the same fault draw: first-attempt 5xx counts agree.
    const firstTry5xx = (s: typeof a) => (s!.summary.attempts.byKind['500'] ?? 0) > 0;
    expect(firstTry5xx(a)).toBe(true);
    expect(firstTry5xx(b)).toBe(true);
  });

  it('stops on an abort signal and still returns a partial, clearly marked result', async () => {
    const ac = new AbortController();
    const r = await runExperiment(plan([EXPO, NAIVE], { durationMs: 30 * 60_000 }), {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.simulatedMs >= 5 * 60_000) ac.abort();
      },
    });
    expect(r.partial).toBe(true);
    expect(r.strategies).toHaveLength(1);
    expect(r.strategies[0]!.partial).toBe(true);
    expect(r.strategies[0]!.summary.requests.offered).toBeLessThan(30 * 60 * 20);
    expect(r.strategies[0]!.summary.requests.offered).toBeGreaterThan(0);
  });
});

describe('measurement from the intended arrival time', () => {
  it('a server pause inflates the latency of requests that queued behind it, not only of the stalled one', async () => {
    // One worker drains a queue. During [10 s, 10.1 s) the upstream answers after 2 s: everything that
    // arrives while the worker is stuck waits. Measured from intended arrival that wait counts; measured
    // from when the request was finally sent (a closed-loop tool's view), it vanishes.
    const traffic = createTraffic(
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: 20 }, mix: DEFAULT_MIX },
      20_000,
      's',
    );
    const upstream = upstreamConfigFrom('s', {
      latency: { fixed: '10ms' },
      // No network time: the bounds below are the plain 10 ms service time (the default round trip
      // would add a few ms to every answer).
      network: { rtt: '0ms' },
      rate_limits: { requests_per_min: 10_000, tokens_per_min: 100_000_000 },
      phases: [{ name: 'pause', start: '10s', end: '10.1s', latency: { fixed: '2s' } }],
    });
    const strategy = await buildStrategy({
      name: 'queue',
      policies: [{ type: 'queue', workers: 1, maxQueue: 1000, whenFull: 'reject', maxWaitMs: 60_000 }],
    });
    const r = await runStrategySim({
      strategy,
      usesGlobals: false,
      traffic,
      upstream,
      seed: 's',
      durationMs: 20_000,
      drainMs: 10_000,
      requestDeadlineMs: 60_000,
      faultWindows: [],
    });
    const s = r.summary;
    expect(s.results.success).toBe(400);
    expect(s.latencyMs.max!).toBeGreaterThan(1900);
    expect(s.latencyMs.p90!).toBeGreaterThan(s.uncorrectedLatencyMs.p90!);
    expect(s.uncorrectedLatencyMs.p99!).toBeLessThan(100 + 2000);
    // About 40 of 400 requests (2 s × 20/s) arrive during the stall and all of them wait: the 90th
    // percentile from intended arrival sees it; from the send it is the plain 10 ms.
    expect(s.latencyMs.p90!).toBeGreaterThan(300);
    expect(s.uncorrectedLatencyMs.p90!).toBeLessThan(20);
  });
});

describe('a misbehaving strategy cannot stall the run', () => {
  it('throws and hangs are recorded against the strategy; the run finishes', async () => {
    const traffic = createTraffic(
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: 10 }, mix: DEFAULT_MIX },
      10_000,
      'm',
    );
    const upstream = upstreamConfigFrom('m', { latency: { fixed: '5ms' } });
    let n = 0;
    const strategy = userStrategy('chaotic', async (req, ctx) => {
      n++;
      if (n % 3 === 0) throw new Error('boom');
      if (n % 3 === 1) return new Promise(() => {}); // never settles
      return ctx.send(req, { model: req.model, attemptNumber: 0 });
    });
    const r = await runStrategySim({
      strategy,
      usesGlobals: false,
      traffic,
      upstream,
      seed: 'm',
      durationMs: 10_000,
      drainMs: 30_000,
      requestDeadlineMs: 5_000,
      faultWindows: [],
    });
    const s = r.summary;
    expect(s.requests.offered).toBe(100);
    expect(s.requests.completed).toBe(100);
    expect(s.results.strategy_error).toBeGreaterThan(25);
    expect(s.results.deadline_exceeded).toBeGreaterThan(25);
    expect(s.results.success).toBeGreaterThan(25);
  });
});

describe('simulated and wall time agree', () => {
  it('one short scenario both ways: success rates within 2 points and attempt counts within 5%', async () => {
    const durationMs = 4_000;
    const traffic = createTraffic(
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: 25 }, mix: DEFAULT_MIX },
      durationMs,
      'agree',
    );
    const upstream = upstreamConfigFrom('agree', {
      latency: { fixed: '30ms' },
      phases: [{ name: 'storm', start: '1s', end: '3s', faults: { '500': 0.3, '429': 0.1, reset: 0.05 } }],
    });
    const input = async (): Promise<StrategyRunInput> => ({
      strategy: await buildStrategy({
        name: 'expo',
        policies: [
          {
            type: 'retry',
            maxAttempts: 3,
            backoff: { kind: 'exponential', baseMs: 100, capMs: 1000, jitter: 'full' },
          },
        ],
      }),
      usesGlobals: false,
      traffic,
      upstream,
      seed: 'agree',
      durationMs,
      drainMs: 10_000,
      requestDeadlineMs: 20_000,
      faultWindows: [],
    });
    const sim = (await runStrategySim(await input())).summary;
    const live = (await runStrategyLive(await input())).summary;
    expect(live.requests.offered).toBe(sim.requests.offered);
    expect(Math.abs(live.successRate! - sim.successRate!)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(live.attempts.total - sim.attempts.total) / sim.attempts.total).toBeLessThanOrEqual(0.05);
  });
});
