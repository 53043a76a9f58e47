import { describe, expect, it } from 'vitest';
import { runStrategySim } from '../../src/runner/run-strategy.ts';
import { upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';
import { buildStrategy } from '../../src/strategies/build.ts';
import { createTraffic, DEFAULT_MIX } from '../../src/traffic/index.ts';

/** 10 requests a second for 4 s against an upstream answering in `latency`, with a 2 s drain. */
async function run(latency: string) {
  const durationMs = 4000;
  return runStrategySim({
    strategy: await buildStrategy({ name: 'plain' }),
    usesGlobals: false,
    traffic: createTraffic(
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: 10 }, mix: DEFAULT_MIX },
      durationMs,
      'unfinished',
    ),
    upstream: upstreamConfigFrom('unfinished', { latency: { fixed: latency }, network: { rtt: '0ms' } }),
    seed: 'unfinished',
    durationMs,
    drainMs: 2000,
    requestDeadlineMs: 600_000,
    faultWindows: [],
  });
}

describe('requests still open when the drain runs out', () => {
  it('are unfinished: not successes, not failures, and they count against the success rate', async () => {
    // Answers take 3.05 s: arrivals from 3.0 s on are still open when the drain ends at 6 s; the last
    // answer (to the arrival at 2.9 s) comes at 5.95 s.
    const { summary } = await run('3050ms');
    expect(summary.requests.offered).toBe(40);
    expect(summary.requests.unfinished).toBe(10);
    expect(summary.results.success).toBe(30);
    expect(summary.requests.completed).toBe(30);
    // The run's end aborted them; those aborts are not recorded as failures.
    expect(Object.values(summary.failuresByClass).reduce((a, b) => a + b, 0)).toBe(0);
    expect(summary.successRate).toBe(0.75);
    // The run lasted to the end of the drain (it waited for them), and its series covers it second by second.
    expect(summary.elapsedMs).toBe(6000);
    expect(summary.series.seconds).toBe(6);
    expect(summary.goodputPerSec).toBe(5);
  });

  it('leave nothing unfinished when every answer comes back inside the drain', async () => {
    const { summary } = await run('500ms');
    expect(summary.requests).toMatchObject({ offered: 40, completed: 40, unfinished: 0 });
    expect(summary.successRate).toBe(1);
    // The last answer, 0.5 s after the last arrival at 3.9 s.
    expect(summary.elapsedMs).toBe(4400);
    expect(summary.series.seconds).toBe(5);
  });
});
