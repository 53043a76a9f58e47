import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../../src/client/types.ts';
import { type Plan, runExperiment } from '../../src/runner/experiment.ts';
import type { RunResult } from '../../src/runner/result.ts';
import { upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';
import { buildStrategy } from '../../src/strategies/build.ts';
import type { StrategyConfig } from '../../src/strategies/config.ts';
import { DEFAULT_MIX } from '../../src/traffic/index.ts';

const CLIENT: ClientConfig = {
  workers: 6,
  sleep: 'blocking',
  queue: { max: 20, timeoutMs: 2000 },
  connections: 4,
  connectionQueue: { max: 50, timeoutMs: 3000 },
  timeoutMs: 8000,
  otherTraffic: [
    { name: 'page', ratePerSec: 5, serviceTime: { kind: 'lognormal', medianMs: 50, p99Ms: 400 } },
  ],
};

const STRATEGIES: StrategyConfig[] = [
  { name: 'fixed', policies: [{ type: 'retry', maxAttempts: 3, backoff: { kind: 'fixed', delayMs: 2000 } }] },
  {
    name: 'expo',
    policies: [
      {
        type: 'retry',
        maxAttempts: 3,
        backoff: { kind: 'exponential', baseMs: 500, capMs: 4000, jitter: 'full' },
      },
    ],
  },
] as never;

function plan(): Plan {
  return {
    name: 'client-threads',
    content: 'test',
    seed: '3',
    durationMs: 60_000,
    drainMs: 30_000,
    requestDeadlineMs: 60_000,
    traffic: { model: 'open', arrivals: { kind: 'constant', ratePerSec: 4 }, mix: DEFAULT_MIX },
    upstream: upstreamConfigFrom('3', {
      latency: { median: '400ms', p99: '3s' },
      phases: [{ start: '10s', end: '40s', faults: { '503': 0.6, timeout: 0.1 } }],
      max_hang: '20s',
    }),
    strategies: STRATEGIES.map((config) => ({
      name: config.name,
      usesGlobals: false,
      build: () => buildStrategy(config),
      spec: { config },
    })),
    client: CLIENT,
    reproduce: 'test',
  };
}

const strip = (r: RunResult) => JSON.stringify(r.strategies.map((s) => ({ ...s, wall: undefined })));

describe('the calling application on worker threads', () => {
  it('reaches every strategy run: the same result on two threads as on one', async () => {
    const one = await runExperiment(plan(), { workers: 1 });
    const two = await runExperiment(plan(), { workers: 2 });
    expect(one.strategies[0]!.summary.client!.workers).toBe(6);
    expect(one.strategies[0]!.summary.otherTraffic!.offered).toBeGreaterThan(200);
    expect(strip(two)).toBe(strip(one));
  }, 60_000);
});
