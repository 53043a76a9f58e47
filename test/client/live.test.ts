import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../../src/client/types.ts';
import { runStrategyLive } from '../../src/runner/run-strategy.ts';
import { upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';
import { buildStrategy } from '../../src/strategies/build.ts';
import { createTraffic, DEFAULT_MIX } from '../../src/traffic/index.ts';

describe('the calling application in live mode (real clock, real sockets on loopback)', () => {
  it('two blocking workers, two may wait: the rest are refused at once', async () => {
    // 10 requests 100 ms apart, each answered after 1 s: the first two hold both workers for a second,
    // the next two wait, the six after them find the queue full. The margins are ~1 s wide, so wall-clock
    // lag on a loaded machine does not change the counts.
    const durationMs = 1000;
    const client: ClientConfig = {
      workers: 2,
      sleep: 'blocking',
      queue: { max: 2, timeoutMs: 10_000 },
      connectionQueue: { max: 10, timeoutMs: 10_000 },
      otherTraffic: [],
    };
    const r = await runStrategyLive({
      strategy: await buildStrategy({ name: 'plain', policies: [] } as never),
      usesGlobals: false,
      traffic: createTraffic(
        { model: 'open', arrivals: { kind: 'constant', ratePerSec: 10 }, mix: DEFAULT_MIX },
        durationMs,
        'live',
      ),
      upstream: upstreamConfigFrom('live', { latency: { fixed: '1s' } }),
      seed: 'live',
      durationMs,
      drainMs: 5000,
      requestDeadlineMs: 10_000,
      faultWindows: [],
      client,
    });
    const s = r.summary;
    expect(s.requests.offered).toBe(10);
    expect(s.results.success).toBe(4);
    expect(s.results.client_saturated).toBe(6);
    expect(s.client!.workersBusyMax).toBe(2);
    expect(s.client!.saturated).toBe(6);
    expect(s.attempts.total).toBe(4);
    // The two that waited got their worker when the first answers came back, about a second in.
    expect(s.client!.workerWaitMs.max!).toBeGreaterThan(500);
  }, 30_000);
});
