import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UpstreamModel } from '../../mock-upstream/model/model.ts';
import type { UpstreamConfig } from '../../mock-upstream/types.ts';
import { type AlertRule, ARTICLE_ALERT_RULES, evaluateAlerts } from '../metrics/alerts.ts';
import type { Strategy } from '../strategies/types.ts';
import { createTraffic, type TrafficSpec } from '../traffic/index.ts';
import { RESULT_SCHEMA_VERSION, type RunResult, type StrategyResult } from './result.ts';
import { type Progress, runStrategyLive, runStrategySim } from './run-strategy.ts';

/**
 * The controlled experiment: every strategy faces the same arrival trace and the same exogenous fault draws
 * (common random numbers from one seed), each against its own fresh upstream, one after another. A
 * strategy's result does not depend on which others ran or in what order.
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
  }>;
  alertRules?: AlertRule[];
  pricePer1kTokens?: number;
  reproduce: string;
  /** 'sim' (default): virtual time; 'live': HTTP on loopback in wall time. */
  mode?: 'sim' | 'live';
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export async function runExperiment(plan: Plan, options: RunOptions = {}): Promise<RunResult> {
  const startedAt = new Date().toISOString();
  const wallStart = performance.now();
  const traffic = createTraffic(plan.traffic, plan.durationMs, plan.seed);
  // The same schedule every strategy's upstream will follow (random incidents expanded from the seed).
  const faultWindows = new UpstreamModel(plan.upstream, { startMs: 0 }).phasesList().map((p) => ({
    name: p.name,
    startMs: p.startMs,
    endMs: p.endMs,
    faults: { ...(p.faults as Record<string, number>) },
    ...(p.scope ? { scope: p.scope } : {}),
  }));
  const alertRules = plan.alertRules ?? [...ARTICLE_ALERT_RULES];
  const results: StrategyResult[] = [];
  let partial = false;
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
      upstream: plan.upstream,
      seed: plan.seed,
      durationMs: plan.durationMs,
      drainMs: plan.drainMs,
      requestDeadlineMs: plan.requestDeadlineMs,
      faultWindows: faultWindows.map(({ name, startMs, endMs }) => ({ name, startMs, endMs })),
      ...(plan.pricePer1kTokens !== undefined ? { pricePer1kTokens: plan.pricePer1kTokens } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    partial ||= r.partial;
    results.push({
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
    durationMs: plan.durationMs,
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
