/**
 * The first article's load test as a plan, shared by bench/sim-throughput.ts and bench/sdk-sim.ts: 2,000
 * requests per minute, a 429 storm from 20 min, flapping 500s from 70 min, and random brownouts.
 */
import type { Plan } from '../src/runner/experiment.ts';
import { upstreamConfigFrom } from '../src/scenario/upstream-schema.ts';
import { buildStrategy } from '../src/strategies/build.ts';
import { DEFAULT_MIX } from '../src/traffic/index.ts';

/** `strategies` are strategy configs as in a scenario file; `usesGlobals` for adapters (the openai SDK). */
export function articlePlan(
  durationMin: number,
  strategies: object[],
  usesGlobals: boolean,
  reproduce: string,
): Plan {
  return {
    name: 'article-load-test',
    content: 'bench',
    seed: '2000rpm',
    durationMs: durationMin * 60_000,
    drainMs: 120_000,
    requestDeadlineMs: 300_000,
    traffic: {
      model: 'open',
      arrivals: { kind: 'constant', ratePerSec: 2000 / 60 },
      mix: {
        ...DEFAULT_MIX,
        users: { count: 1000 },
        features: [
          { name: 'chat', weight: 3 },
          { name: 'search', weight: 1 },
        ],
      },
    },
    // The article's 429 storm, plus the random brownouts of a realistic week.
    upstream: upstreamConfigFrom('2000rpm', {
      rate_limits: { requests_per_min: 3000, tokens_per_min: 5_000_000 },
      latency: { median: '800ms', p99: '6s' },
      capacity: { max_concurrent: 400, max_queue: 800 },
      phases: [
        {
          name: 'singles-day-storm',
          start: '20m',
          end: '50m',
          rate_limits: { requests_per_min: 1200 },
          ramp_up: '2m',
          faults: { '503': 0.05 },
        },
        {
          name: 'flapping',
          start: '70m',
          end: '90m',
          faults: { '500': 0.5 },
          flap: { on: '30s', off: '90s' },
        },
      ],
      incidents: [
        { name: 'brownout', mtbf: '30m', mttr: '2m', horizon: '2h', faults: { '500': 0.3, timeout: 0.02 } },
      ],
    }),
    strategies: strategies.map((s) => ({
      name: (s as { name: string }).name,
      usesGlobals,
      build: () => buildStrategy(s),
      spec: { config: s },
    })),
    reproduce,
  };
}
