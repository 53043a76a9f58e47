import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runStrategySim } from '../../src/runner/run-strategy.ts';
import { upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';
import { buildStrategy } from '../../src/strategies/build.ts';
import type { Strategy } from '../../src/strategies/types.ts';
import { createTraffic, DEFAULT_MIX } from '../../src/traffic/index.ts';

/**
 * The upstream's causes seen through the simulated runner, as a strategy meets them: a retry loop with no
 * backoff against a phase of rejections can no longer make two attempts at one instant once answers take
 * a round trip.
 */

/** The strategy as it is, with every attempt's send time noted per logical request (an observer only). */
function observed(inner: Strategy, times: Map<string, number[]>): Strategy {
  return {
    name: inner.name,
    call: (req, ctx, signal) =>
      inner.call(
        req,
        {
          ...ctx,
          send: (r, o) => {
            const list = times.get(req.id) ?? [];
            list.push(ctx.clock.now());
            times.set(req.id, list);
            return ctx.send(r, o);
          },
        },
        signal,
      ),
  };
}

async function attemptTimes(fault: '429' | '503', rtt: string, seed: string): Promise<number[][]> {
  const strategy = await buildStrategy({
    name: 'no-backoff',
    policies: [{ type: 'retry', maxAttempts: 5, backoff: { kind: 'none' } }],
  });
  const times = new Map<string, number[]>();
  const upstream = upstreamConfigFrom(seed, {
    network: { rtt },
    phases: [{ name: 'rejecting', start: 0, end: '1m', faults: { [fault]: 1 } }],
  });
  const r = await runStrategySim({
    strategy: observed(strategy, times),
    usesGlobals: false,
    traffic: createTraffic(
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: 5 }, mix: DEFAULT_MIX },
      2000,
      seed,
    ),
    upstream,
    seed,
    durationMs: 2000,
    drainMs: 5000,
    requestDeadlineMs: 30_000,
    faultWindows: [],
  });
  expect(r.summary.attempts.total).toBeGreaterThan(0);
  return [...times.values()];
}

describe('the upstream causes in the simulated runner', () => {
  it('property: no two attempts of one logical request share an instant once rtt > 0', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('429' as const, '503' as const),
        fc.constantFrom('1ms', '5ms', '{"median":"5ms","p99":"20ms"}'),
        fc.integer({ min: 1, max: 1000 }),
        async (fault, rtt, seed) => {
          const spec = rtt.startsWith('{') ? JSON.parse(rtt) : rtt;
          const perRequest = await attemptTimes(fault, spec, String(seed));
          for (const list of perRequest) {
            expect(list.length).toBe(5);
            for (let i = 1; i < list.length; i++) expect(list[i]!).toBeGreaterThan(list[i - 1]!);
          }
        },
      ),
      { seed: 3, numRuns: 8 },
    );
  });

  it('without a round trip the same loop runs every attempt at one instant (what rtt fixes)', async () => {
    const perRequest = await attemptTimes('503', '0ms', 's');
    for (const list of perRequest) expect(new Set(list).size).toBe(1);
  });
});
