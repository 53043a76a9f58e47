import { FAILURE_CLASSES, type FailureClass } from '../../src/metrics/failure-class.ts';
import type { LatencyStats, StrategySummary } from '../../src/metrics/recorder.ts';
import type { SeriesJSON } from '../../src/metrics/series.ts';
import { runExperiment } from '../../src/runner/experiment.ts';
import type { RunResult, StrategyResult } from '../../src/runner/result.ts';
import { upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';
import { Rng } from '../../src/sim/rng.ts';
import { buildStrategy } from '../../src/strategies/build.ts';
import type { StrategyConfig } from '../../src/strategies/config.ts';
import { DEFAULT_MIX } from '../../src/traffic/index.ts';

/**
 * Results for the report tests. `smallRun()` is a real experiment (three strategies, four simulated
 * minutes, a 429/5xx storm from 1:00 to 2:00, about a second of wall time), so reports are tested
 * against what the runner really writes. `syntheticResult()` builds a result of any length by hand,
 * for size limits a real run would take minutes to reach.
 */
const SMALL_STRATEGIES: StrategyConfig[] = [
  { name: 'naive-fixed-2s', preset: 'naive-fixed' },
  {
    name: 'limited-queue',
    policies: [
      { type: 'queue', workers: 8, maxQueue: 50, whenFull: 'reject', maxWaitMs: 20_000 },
      {
        type: 'retry',
        maxAttempts: 3,
        backoff: { kind: 'exponential', baseMs: 500, capMs: 8000, jitter: 'full' },
      },
    ],
  },
  { name: 'expo-jitter-breaker', preset: 'seed-article' },
];

let small: Promise<RunResult> | undefined;

export function smallRun(): Promise<RunResult> {
  small ??= runExperiment({
    name: 'small-storm',
    description: 'Report test: 20 req/s through a one-minute 429/5xx storm',
    content: 'report-test',
    seed: '7',
    durationMs: 4 * 60_000,
    drainMs: 30_000,
    requestDeadlineMs: 120_000,
    traffic: {
      model: 'open',
      arrivals: { kind: 'constant', ratePerSec: 20 },
      mix: {
        ...DEFAULT_MIX,
        users: { count: 20 },
        features: [
          { name: 'chat', weight: 3 },
          { name: 'search', weight: 1 },
        ],
      },
    },
    upstream: upstreamConfigFrom('7', {
      rate_limits: { requests_per_min: 1800, tokens_per_min: 10_000_000 },
      phases: [
        {
          name: 'storm',
          start: '1m',
          end: '2m',
          rate_limits: { requests_per_min: 300 },
          faults: { '500': 0.2, '503': 0.2 },
        },
      ],
    }),
    strategies: SMALL_STRATEGIES.map((s) => ({
      name: s.name,
      usesGlobals: false,
      build: () => buildStrategy(s),
    })),
    pricePer1kTokens: 0.002,
    reproduce: 'squall run scenarios/small-storm.yaml --seed 7',
  });
  return small;
}

export function syntheticResult(options: { strategies: number; seconds: number; seed?: string }): RunResult {
  const rng = new Rng(options.seed ?? 'synthetic');
  const durationMs = options.seconds * 1000;
  const faultWindows: RunResult['faultWindows'] = [
    { name: 'storm', startMs: durationMs * 0.25, endMs: durationMs * 0.4, faults: { '429': 0.3 } },
    { name: 'outage', startMs: durationMs * 0.7, endMs: durationMs * 0.75, faults: { '503': 1 } },
  ];
  const strategies = Array.from({ length: options.strategies }, (_, i) =>
    syntheticStrategy(`strategy-${i}`, options.seconds, rng.fork(`s${i}`), faultWindows),
  );
  return {
    schemaVersion: 2,
    scenario: { name: 'synthetic', description: 'hand-built for size tests', hash: 'f'.repeat(64) },
    seed: options.seed ?? 'synthetic',
    mode: 'sim',
    durationMs,
    arrivalModel: 'open',
    trafficDescription: 'open model: synthetic',
    reproduce: 'squall run synthetic.yaml',
    versions: { squall: '0.0.0-test', node: 'v24', openai: '7' },
    faultWindows,
    alertRules: [
      { name: 'error-rate-warn', metric: 'error_rate', windowMs: 300_000, above: 0.1, severity: 'warn' },
    ],
    strategies,
    partial: false,
    wall: { startedAt: '2026-01-01T00:00:00.000Z', wallMs: 1 },
  };
}

function syntheticStrategy(
  name: string,
  seconds: number,
  rng: Rng,
  windows: Array<{ name: string; startMs: number; endMs: number }>,
): StrategyResult {
  const column = (mean: number) =>
    Array.from({ length: seconds }, () => Math.round(rng.uniform(0, 2 * mean)));
  const failed = Object.fromEntries(FAILURE_CLASSES.map((c) => [c, column(2)])) as Record<
    FailureClass,
    number[]
  >;
  const series: SeriesJSON = {
    startMs: 0,
    seconds,
    offered: column(33),
    attempted: column(50),
    attemptsSucceeded: column(30),
    succeeded: column(30),
    failed,
    inFlight: column(40),
    attemptsInFlight: column(40),
    breakerOpen: Array.from({ length: seconds }, () => (rng.chance(0.1) ? rng.next() : 0)),
    breakerHalfOpen: Array.from({ length: seconds }, () => (rng.chance(0.05) ? rng.next() : 0)),
    queueDepth: column(10),
    bucketRemainingRequests: column(500),
  };
  const latency = stats(rng);
  const summary: StrategySummary = {
    startMs: 0,
    durationMs: seconds * 1000,
    elapsedMs: seconds * 1000,
    requests: {
      offered: 33 * seconds,
      completed: 33 * seconds,
      unfinished: 0,
      inFlightAtEnd: 0,
      lateArrivals: 0,
      maxArrivalLagMs: 0,
    },
    results: {
      success: 30 * seconds,
      failed_transient: 3 * seconds,
      failed_client: 0,
      failed_network: 0,
      breaker_open: 0,
      shed: 0,
      deadline_exceeded: 0,
      fallback_exhausted: 0,
      strategy_error: 0,
      client_saturated: 0,
      client_timeout: 0,
    },
    failuresByClass: Object.fromEntries(FAILURE_CLASSES.map((c) => [c, 2 * seconds])) as Record<
      FailureClass,
      number
    >,
    successRate: rng.uniform(0.8, 0.99),
    goodputPerSec: rng.uniform(25, 33),
    amplification: rng.uniform(1, 2),
    attempts: {
      total: 50 * seconds,
      byKind: { '200': 30 * seconds },
      abandoned: 0,
      wastedRetries: rng.int(100),
      perRequest: [0, 1],
    },
    latencyMs: latency,
    successLatencyMs: latency,
    failureLatencyMs: latency,
    uncorrectedLatencyMs: latency,
    serviceTimeMs: latency,
    limiterWaitMs: latency,
    latencySpectrum: [0, 50, 90, 99, 99.9, 99.99, 100].map((percentile, i) => ({
      percentile,
      ms: 100 * (i + 1),
    })),
    tokens: { billed: 1000, abandonedBilled: 0, duplicateBilledAttempts: 0 },
    cost: { pricePer1kTokens: 0.002, total: rng.uniform(1, 10), abandoned: 0 },
    recovery: windows.map((w) => ({ ...w, recoveryMs: rng.int(60_000), baselineSuccessRate: 1 })),
    recoveryRule: { marginFraction: 0.05, holdMs: 10_000 },
    events: { retries: 0, fallbacks: 0, breakerTransitions: 0, breakerOpened: 0, rejectedBy: {}, shedBy: {} },
    perSecond: {
      successRate: Array.from({ length: seconds }, () => (rng.chance(0.02) ? null : rng.next())),
      amplification: Array.from({ length: seconds }, () => rng.uniform(1, 3)),
    },
    histograms: {
      latency: { subBucketBits: 7, count: 0, sumUs: 0, minUs: null, maxUs: null, counts: [] },
      serviceTime: { subBucketBits: 7, count: 0, sumUs: 0, minUs: null, maxUs: null, counts: [] },
    },
    series,
    breakdowns: {
      byUser: Object.fromEntries(
        Array.from({ length: 200 }, (_, u) => [
          `user-${u}`,
          { requests: 100, successes: 90, successRate: 0.9, p95Ms: 1200 },
        ]),
      ),
      byFeature: { chat: { requests: 100, successes: 90, successRate: 0.9, p95Ms: 1200 } },
      byModel: { 'gpt-4o-mini': { requests: 100, successes: 90, successRate: 0.9, p95Ms: 1200 } },
    },
  };
  return {
    name,
    summary,
    alerts: [
      {
        rule: {
          name: 'error-rate-warn',
          metric: 'error_rate',
          windowMs: 300_000,
          above: 0.1,
          severity: 'warn',
        },
        firings: [{ firedAtMs: windows[0]!.startMs + 60_000, clearedAtMs: windows[0]!.endMs + 60_000 }],
      },
    ],
    partial: false,
    strategyErrors: [],
    wall: { wallMs: 1 },
  };
}

function stats(rng: Rng): LatencyStats {
  const p50 = rng.uniform(200, 600);
  return {
    count: 1000,
    min: 10,
    mean: p50 * 1.2,
    p50,
    p90: p50 * 2,
    p95: p50 * 3,
    p99: p50 * 5,
    p999: p50 * 8,
    max: p50 * 10,
  };
}
