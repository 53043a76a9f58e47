import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { UpstreamModel } from '../../mock-upstream/model/model.ts';
import type { UpstreamConfig } from '../../mock-upstream/types.ts';
import type { ClientConfig } from '../client/types.ts';
import { SquallError } from '../errors.ts';
import { type AlertRule, ARTICLE_ALERT_RULES, evaluateAlerts } from '../metrics/alerts.ts';
import type { FaultWindow } from '../metrics/recovery.ts';
import type { Strategy } from '../strategies/types.ts';
import { checkTargetPlan, runVariants, type TargetSection } from '../target/variants.ts';
import { createTraffic, replayArrivals, type TrafficSource, type TrafficSpec } from '../traffic/index.ts';
import {
  notPlainData,
  runInWorkers,
  type StrategySpec,
  type WorkerJob,
  type WorkerRunData,
} from './parallel.ts';
import { RESULT_SCHEMA_VERSION, type RunResult, type StrategyResult } from './result.ts';
import {
  type Progress,
  type RunSettings,
  runStrategyLive,
  runStrategySim,
  type StrategyRunResult,
} from './run-strategy.ts';

export type { StrategySpec } from './parallel.ts';

/**
 * The controlled experiment: every strategy faces the same arrival trace and the same exogenous fault draws
 * (common random numbers from one seed), each against its own fresh upstream. A strategy's result does
 * not depend on which others ran or in what order, so in simulated time they run side by side on worker
 * threads (when each has a {@link StrategySpec}), and the result is the same as one after another.
 */
export interface Plan {
  name: string;
  description?: string;
  /** Canonical scenario content, for the hash. */
  content: string;
  file?: string;
  seed: string;
  durationMs: number;
  drainMs: number;
  requestDeadlineMs: number;
  traffic: TrafficSpec;
  upstream: UpstreamConfig;
  /** Builders, not instances: every run gets fresh policy state. */
  strategies: Array<{
    name: string;
    description?: string;
    usesGlobals: boolean;
    build: () => Promise<Strategy>;
    /**
     * The same strategy as data, for a worker thread to rebuild (`buildStrategy(config, { baseDir })`);
     * it must describe what `build` builds. Without it on every strategy, strategies run on this thread.
     */
    spec?: StrategySpec;
  }>;
  alertRules?: AlertRule[];
  pricePer1kTokens?: number;
  /** The calling application; each strategy gets its own copy (src/client/). */
  client?: ClientConfig;
  reproduce: string;
  /** 'sim' (default): virtual time; 'live': HTTP on loopback in wall time. */
  mode?: 'sim' | 'live';
  /** A service under test (live only): its variants run after the strategies, each like one of them. */
  target?: TargetSection;
  /** Live only: strategies call this running upstream (`--upstream`) instead of a mock of their own. */
  upstreamURL?: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /**
   * Threads running strategies at once, each a worker (simulated time only: live mode measures wall
   * time, so its strategies always run one at a time here). 1: one after another on this thread.
   * Default: min(strategies, available cores), when every strategy has a `spec`, the plan is plain data
   * and the run is big enough to pay for starting threads ({@link MIN_REQUESTS_FOR_WORKERS}); else 1.
   * A number above 1 is honoured for any size, and is an error when the plan cannot cross threads.
   */
  workers?: number;
  /** Where a target's services write their output (beside the report); a temporary folder by default. */
  logDir?: string;
}

/**
 * Below this many expected requests (all strategies together) the default stays on this thread: a worker
 * takes about 0.4 s to start (it loads squall's modules afresh), and one thread simulates some 70,000
 * requests a second, so a smaller run finishes sooner without workers.
 */
export const MIN_REQUESTS_FOR_WORKERS = 100_000;

/** How many threads a run uses, and when only this one, why. */
export interface Parallelism {
  workers: number;
  /** Why strategies run one at a time on this thread (undefined when workers > 1). */
  sequentialBecause?: string;
}

/**
 * The threads {@link runExperiment} uses for `plan`. Throws ERR_SQUALL_INVALID_CONFIG for a worker count
 * that is not a whole number >= 1, or above 1 for a plan that cannot cross threads.
 */
export function parallelismOf(
  plan: Plan,
  options: Pick<RunOptions, 'workers'> = {},
  traffic: TrafficSource = createTraffic(plan.traffic, plan.durationMs, plan.seed),
): Parallelism {
  const asked = options.workers;
  if (asked !== undefined && !(Number.isInteger(asked) && asked >= 1)) {
    throw new SquallError('ERR_SQUALL_INVALID_CONFIG', `workers: expected a whole number >= 1, got ${asked}`);
  }
  const n = plan.strategies.length;
  if (plan.mode === 'live') return { workers: 1, sequentialBecause: 'live mode measures wall time' };
  if (n < 2) return { workers: 1, sequentialBecause: 'one strategy' };
  if (asked === 1) return { workers: 1, sequentialBecause: 'workers: 1' };
  const workers = Math.min(n, asked ?? availableParallelism());
  if (workers < 2) return { workers: 1, sequentialBecause: 'one core' };
  const unfit = whyNotWorkers(plan);
  if (unfit !== undefined) {
    if (asked === undefined) return { workers: 1, sequentialBecause: unfit };
    throw new SquallError('ERR_SQUALL_INVALID_CONFIG', `workers: ${asked}: ${unfit}`, {
      hint: 'give every strategy a spec of plain data (its raw config), or run with workers: 1',
    });
  }
  if (asked === undefined) {
    // Closed traffic has no expected count; one request per virtual user per simulated second is a
    // generous guess (think times are usually longer).
    const perStrategy =
      traffic.expectedCount ?? (traffic.closed ? (traffic.closed.virtualUsers * plan.durationMs) / 1000 : 0);
    if (perStrategy * n < MIN_REQUESTS_FOR_WORKERS) {
      return {
        workers: 1,
        sequentialBecause: `about ${Math.round(perStrategy * n)} requests in all, fewer than starting threads is worth (${MIN_REQUESTS_FOR_WORKERS})`,
      };
    }
  }
  return { workers };
}

/** The settings every strategy of the plan runs with, whichever thread runs it. */
function runSettings(plan: Plan, faultWindows: FaultWindow[]): RunSettings {
  return {
    upstream: plan.upstream,
    seed: plan.seed,
    durationMs: plan.durationMs,
    drainMs: plan.drainMs,
    requestDeadlineMs: plan.requestDeadlineMs,
    faultWindows,
    ...(plan.pricePer1kTokens !== undefined ? { pricePer1kTokens: plan.pricePer1kTokens } : {}),
    ...(plan.client ? { client: plan.client } : {}),
    ...(plan.upstreamURL !== undefined ? { upstreamURL: plan.upstreamURL } : {}),
  };
}

/** Why the plan cannot cross to worker threads, or undefined. */
function whyNotWorkers(plan: Plan): string | undefined {
  const noSpec = plan.strategies.filter((s) => s.spec === undefined).map((s) => `"${s.name}"`);
  if (noSpec.length > 0)
    return `strategies ${noSpec.join(', ')} have no spec, and builders cannot cross threads`;
  const fields = { traffic: plan.traffic, ...runSettings(plan, []) };
  for (const [k, v] of Object.entries(fields)) {
    const bad = notPlainData(v, `plan.${k}`);
    if (bad) return `${bad}, not plain data a worker thread can receive`;
  }
  for (const [i, s] of plan.strategies.entries()) {
    const bad = notPlainData(s.spec, `plan.strategies[${i}].spec`);
    if (bad) return `${bad}, not plain data a worker thread can receive`;
  }
  return undefined;
}

export async function runExperiment(plan: Plan, options: RunOptions = {}): Promise<RunResult> {
  if (plan.target) checkTargetPlan(plan.mode, plan.upstreamURL);
  if (plan.upstreamURL !== undefined && plan.mode !== 'live') {
    throw new SquallError('ERR_SQUALL_INVALID_CONFIG', '--upstream: an external upstream needs --mode live', {
      hint: 'squall run --mode live --upstream http://127.0.0.1:8787/v1 scenario.yaml',
    });
  }
  const startedAt = new Date().toISOString();
  const wallStart = performance.now();
  // Drawn once, replayed for every strategy that runs on this thread.
  const traffic = replayArrivals(createTraffic(plan.traffic, plan.durationMs, plan.seed));
  // The same schedule every strategy's upstream will follow (random incidents expanded from the seed).
  // An external upstream follows its own schedule, which squall does not know.
  const modelled =
    plan.upstreamURL === undefined ? plan.upstream : { ...plan.upstream, phases: [], incidents: [] };
  const faultWindows = new UpstreamModel(modelled, { startMs: 0 }).phasesList().map((p) => ({
    name: p.name,
    startMs: p.startMs,
    endMs: p.endMs,
    faults: { ...(p.faults as Record<string, number>) },
    ...(p.scope ? { scope: p.scope } : {}),
  }));
  const alertRules = plan.alertRules ?? [...ARTICLE_ALERT_RULES];
  const toResult = (s: { name: string; description?: string }, r: StrategyRunResult): StrategyResult => ({
    name: s.name,
    ...(s.description ? { description: s.description } : {}),
    summary: r.summary,
    alerts: evaluateAlerts(r.summary.series, alertRules),
    partial: r.partial,
    strategyErrors: r.strategyErrors,
    wall: {
      wallMs: Math.round(r.wallMs),
      ...(plan.mode === 'live' ? { arrivalLagMs: r.arrivalLagMs } : {}),
    },
  });
  const windowTimes = faultWindows.map(({ name, startMs, endMs }) => ({ name, startMs, endMs }));
  const results: StrategyResult[] = [];
  let partial = false;
  const settings = runSettings(plan, windowTimes);
  const { workers } = parallelismOf(plan, options, traffic);
  if (workers > 1) {
    const data: WorkerRunData = {
      traffic: plan.traffic,
      ...settings,
      progress: options.onProgress !== undefined,
    };
    const jobs: WorkerJob[] = plan.strategies.map((s, index) => ({
      index,
      name: s.name,
      usesGlobals: s.usesGlobals,
      spec: s.spec!,
    }));
    const runs = await runInWorkers(jobs, data, {
      workers,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    // Plan order, whatever order they finished in. A strategy the abort kept from starting is left out,
    // as sequentially.
    for (const [i, r] of runs.entries()) {
      if (r === undefined) {
        partial = true;
        continue;
      }
      partial ||= r.partial;
      results.push(toResult(plan.strategies[i]!, r));
    }
  } else {
    for (const s of plan.strategies) {
      if (options.signal?.aborted) {
        partial = true;
        break;
      }
      const run = plan.mode === 'live' ? runStrategyLive : runStrategySim;
      const r = await run({
        strategy: await s.build(),
        usesGlobals: s.usesGlobals,
        traffic,
        ...settings,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      partial ||= r.partial;
      results.push(toResult(s, r));
    }
  }
  if (plan.target) {
    const v = await runVariants(plan.target, {
      traffic,
      settings,
      toResult,
      ...(options.logDir !== undefined ? { logDir: options.logDir } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    partial ||= v.partial;
    results.push(...v.results);
  }
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    scenario: {
      name: plan.name,
      ...(plan.description ? { description: plan.description } : {}),
      hash: createHash('sha256').update(plan.content).digest('hex'),
      ...(plan.file ? { file: plan.file } : {}),
    },
    seed: plan.seed,
    mode: plan.mode ?? 'sim',
    ...(plan.upstreamURL !== undefined
      ? { upstream: { url: plan.upstreamURL, external: true as const } }
      : {}),
    ...(plan.target
      ? { target: { command: plan.target.plan.command, readyUrl: plan.target.plan.readyUrl } }
      : {}),
    durationMs: plan.durationMs,
    drainMs: plan.drainMs,
    arrivalModel: traffic.kind,
    trafficDescription: traffic.description,
    reproduce: plan.reproduce,
    versions: {
      squall: packageVersion('../../package.json'),
      node: process.version,
      openai: packageVersion('../../node_modules/openai/package.json'),
    },
    faultWindows,
    alertRules,
    strategies: results,
    partial,
    wall: { startedAt, wallMs: Math.round(performance.now() - wallStart) },
  };
}

function packageVersion(rel: string): string {
  try {
    return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
