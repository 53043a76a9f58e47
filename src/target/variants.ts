import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SquallError } from '../errors.ts';
import type { StrategyResult } from '../runner/result.ts';
import type { Progress, RunSettings, StrategyRunResult } from '../runner/run-strategy.ts';
import type { TrafficSource } from '../traffic/index.ts';
import { runTargetVariant, type TargetPlan, type VariantPlan, type VariantRunResult } from './run-variant.ts';

/**
 * A plan's target: its variants one after another (wall time: never side by side), each against its own
 * fresh mock upstream with the plan's seed and schedule, each with its own process and log file.
 */
export interface TargetSection {
  plan: TargetPlan;
  variants: VariantPlan[];
}

/** What result.json says about a variant beyond the strategy fields. */
export interface VariantResultInfo {
  /** The service's stdout and stderr. */
  logFile: string;
  /**
   * `x-squall-request-id`: every upstream attempt carried the id of the logical request it served;
   * `totals`: not every one did, so attempts per request are not known and amplification is all attempts
   * over all requests.
   */
  attemptsJoinedBy: VariantRunResult['join']['by'];
  /** Upstream attempts, and how many of them carried the request id. */
  upstreamAttempts: number;
  forwardedRequestId: number;
}

export interface VariantsContext {
  traffic: TrafficSource;
  settings: RunSettings;
  /** Where the services' logs go (beside the report); a fresh temporary folder when not given. */
  logDir?: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  toResult: (v: { name: string; description?: string }, r: StrategyRunResult) => StrategyResult;
}

/** The file a variant's service writes its output to. */
export function variantLogFile(logDir: string, variant: string): string {
  return join(logDir, `target-${variant}.log`);
}

export async function runVariants(
  target: TargetSection,
  ctx: VariantsContext,
): Promise<{ results: Array<StrategyResult & { target: VariantResultInfo }>; partial: boolean }> {
  const logDir = ctx.logDir ?? mkdtempSync(join(tmpdir(), 'squall-target-'));
  const results: Array<StrategyResult & { target: VariantResultInfo }> = [];
  let partial = false;
  for (const variant of target.variants) {
    if (ctx.signal?.aborted) {
      partial = true;
      break;
    }
    let r: VariantRunResult;
    try {
      r = await runTargetVariant({
        ...ctx.settings,
        target: target.plan,
        variant,
        traffic: ctx.traffic,
        logFile: variantLogFile(logDir, variant.name),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
      });
    } catch (e) {
      // Interrupted before its traffic started (while the service was getting ready): nothing to report
      // for this variant, and the run is partial rather than failed.
      if (ctx.signal?.aborted) {
        partial = true;
        break;
      }
      throw e;
    }
    partial ||= r.partial;
    results.push({
      ...ctx.toResult(variant, r),
      target: {
        logFile: r.logFile,
        attemptsJoinedBy: r.join.by,
        upstreamAttempts: r.join.attempts,
        forwardedRequestId: r.join.forwardedRequestId,
      },
    });
  }
  return { results, partial };
}

/** A target needs wall time and the plan's own mock: say so before anything starts. */
export function checkTargetPlan(mode: 'sim' | 'live' | undefined, upstreamURL: string | undefined): void {
  if (mode !== 'live') {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      'a target runs in live mode only: another process cannot run in simulated time',
      { hint: 'run with --mode live (a scenario with a target runs live by default)' },
    );
  }
  if (upstreamURL !== undefined) {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      '--upstream: a target gets a fresh mock upstream per variant; it cannot share an external one',
      { hint: 'leave out --upstream for scenarios with a target' },
    );
  }
}
