import type { ThresholdOp, ThresholdSpec } from '../metrics/thresholds.ts';
import { beyondOneRun, thresholdsFor } from './k6-thresholds.ts';

/**
 * squall thresholds → the CHECKS the locustfile evaluates when the run ends (on the master, over every
 * worker's totals), setting Locust's exit code. The check is Python, so unlike k6 it can compute ratios
 * (amplification) and latency over successful requests only, as squall does. What needs several runs,
 * another strategy, the fault windows or token billing stays unmapped, with the reason, for the header.
 */
export interface LocustCheck {
  source: string;
  /** A squall metric name, or `p` with `percentile`. */
  metric: string;
  percentile?: number;
  op: ThresholdOp;
  value: number;
}

export interface LocustThresholdMapping {
  checks: LocustCheck[];
  unmapped: Array<{ source: string; reason: string }>;
}

/** Metrics the locustfile counts, by squall name (the runtime's metric_value reads them). */
export const LOCUST_METRICS = new Set([
  'success_rate',
  'error_rate',
  'amplification',
  'latency_mean',
  'latency_max',
  'failure_p95',
  'requests',
  'failed',
  'unfinished',
  'attempts',
  'retries',
  'wasted_retries',
  'abandoned_attempts',
  'breaker_opened',
  'fallbacks',
]);

const WHY_NOT: Record<string, string> = {
  recovery_time: 'needs the fault windows, which live in the mock server, not in Locust',
  goodput:
    'squall divides by its own elapsed time; Locust reports requests per second itself (see its stats)',
  shed: 'the locustfile sheds nothing (no queue, limiter or bulkhead is exported)',
  strategy_errors: "an error in the locustfile shows in Locust's exceptions and makes it exit 1",
  billed_tokens: 'token billing is counted by the mock server (squall serve), not by Locust',
  wasted_tokens: 'token billing is counted by the mock server (squall serve), not by Locust',
  cost: 'token billing is counted by the mock server (squall serve), not by Locust',
  pages: 'alerts are evaluated by squall, not Locust',
};

export function mapLocustThresholds(
  specs: readonly ThresholdSpec[],
  strategy: string,
): LocustThresholdMapping {
  const checks: LocustCheck[] = [];
  const unmapped: LocustThresholdMapping['unmapped'] = [];
  for (const { expr } of thresholdsFor(specs, strategy)) {
    const source = expr.source;
    const why = beyondOneRun(expr, strategy, 'Locust');
    if (why !== null || expr.right.kind === 'metric') {
      unmapped.push({ source, reason: why ?? 'no Locust equivalent' });
      continue;
    }
    const metric = expr.left.metric;
    if (metric === 'p') {
      checks.push({
        source,
        metric,
        percentile: expr.left.percentile!,
        op: expr.op,
        value: expr.right.value,
      });
    } else if (LOCUST_METRICS.has(metric)) {
      checks.push({ source, metric, op: expr.op, value: expr.right.value });
    } else {
      unmapped.push({ source, reason: WHY_NOT[metric] ?? 'no Locust equivalent' });
    }
  }
  return { checks, unmapped };
}
