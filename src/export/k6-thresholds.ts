import type { ThresholdExpr, ThresholdOp, ThresholdSpec } from '../metrics/thresholds.ts';

/**
 * squall thresholds → k6 `options.thresholds`, only where the generated script records an equivalent
 * metric. k6 evaluates one script's metrics, so comparisons between strategies, confidence levels and
 * derived figures (amplification, recovery time, cost) have no k6 form; they are returned as `unmapped`
 * with the reason, for the script header.
 */

/** Custom metrics the generated script records, by name. */
export const K6_METRICS = {
  logicalSuccess: 'logical_success',
  logicalDuration: 'logical_duration',
  logicalRequests: 'logical_requests',
  logicalFailures: 'logical_failures',
  attempts: 'attempts',
  retries: 'retries',
  wastedRetries: 'wasted_retries',
  abandonedAttempts: 'abandoned_attempts',
  breakerOpened: 'breaker_opened',
  fallbacks: 'fallbacks',
  fallbackExhausted: 'fallback_exhausted',
} as const;

export interface ThresholdMapping {
  thresholds: Record<string, string[]>;
  /** `expression → k6 expression(s)`, for the header. */
  mapped: Array<{ source: string; k6: string[] }>;
  unmapped: Array<{ source: string; reason: string }>;
}

const COUNTERS: Record<string, { metric: string; note?: string }> = {
  attempts: { metric: K6_METRICS.attempts },
  requests: { metric: K6_METRICS.logicalRequests },
  failed: { metric: K6_METRICS.logicalFailures },
  retries: { metric: K6_METRICS.retries },
  wasted_retries: { metric: K6_METRICS.wastedRetries },
  abandoned_attempts: { metric: K6_METRICS.abandonedAttempts },
  breaker_opened: { metric: K6_METRICS.breakerOpened },
  fallbacks: { metric: K6_METRICS.fallbacks },
};

const WHY_NOT: Record<string, string> = {
  amplification:
    'a ratio of two counters; k6 thresholds see one metric at a time (compare attempts and logical_requests by hand)',
  recovery_time: 'needs the fault windows, which live in the mock server, not in k6',
  goodput:
    'k6 counts per second over the whole test including the graceful stop, not over the scenario duration',
  shed: 'the script sheds nothing (no queue, limiter or bulkhead is exported)',
  strategy_errors: 'a k6 script error aborts the iteration; k6 reports it itself',
  billed_tokens: 'token billing is counted by the mock server (squall serve), not by k6',
  wasted_tokens: 'token billing is counted by the mock server (squall serve), not by k6',
  cost: 'token billing is counted by the mock server (squall serve), not by k6',
  pages: 'alerts are evaluated by squall, not k6',
  failure_p95:
    'a percentile over failures only; logical_duration mixes successes and failures (filter it by the outcome tag by hand)',
};

/**
 * Why a threshold cannot be checked by one exported run of one strategy (it compares with another metric
 * or strategy, or asks for a confidence level over seeds), or null. Shared by the k6 and Locust exports.
 */
export function beyondOneRun(expr: ThresholdExpr, strategy: string, engine: string): string | null {
  if (expr.right.kind === 'metric') {
    const other = expr.right.strategy ?? strategy;
    return other === strategy
      ? `compares two metrics; a ${engine} check compares one metric with a number`
      : `compares with strategy "${other}"; a ${engine} run reproduces one strategy (export it too and compare the results)`;
  }
  if (expr.confidence !== undefined)
    return `a confidence level needs several seeded runs; ${engine} runs once`;
  return null;
}

/** Thresholds that apply to `strategy`: listed for all, or under it, or naming it on the left. */
export function thresholdsFor(specs: readonly ThresholdSpec[], strategy: string): ThresholdSpec[] {
  return specs.filter((s) => {
    const left = s.expr.left.strategy;
    const right = s.expr.right.kind === 'metric' ? s.expr.right.strategy : undefined;
    if (left !== undefined || right !== undefined) return left === strategy || right === strategy;
    return s.scope === null || s.scope === strategy;
  });
}

export function mapThresholds(specs: readonly ThresholdSpec[], strategy: string): ThresholdMapping {
  const thresholds: Record<string, string[]> = {};
  const mapped: ThresholdMapping['mapped'] = [];
  const unmapped: ThresholdMapping['unmapped'] = [];
  const add = (metric: string, expr: string) => {
    const list = thresholds[metric] ?? [];
    thresholds[metric] = list;
    if (!list.includes(expr)) list.push(expr);
    return `${metric}: ${expr}`;
  };
  for (const spec of thresholdsFor(specs, strategy)) {
    const { expr } = spec;
    const source = expr.source;
    const why = beyondOneRun(expr, strategy, 'k6');
    if (why !== null || expr.right.kind === 'metric') {
      unmapped.push({ source, reason: why ?? 'no k6 equivalent' });
      continue;
    }
    const value = round(expr.right.value);
    const op = expr.op;
    const metric = expr.left.metric;
    if (metric === 'p') {
      const p = expr.left.percentile!;
      mapped.push({
        source,
        k6: [
          add(K6_METRICS.logicalDuration, `p(${p})${op}${value}`),
          add('http_req_duration', `p(${p})${op}${value}`),
        ],
      });
    } else if (metric === 'latency_mean' || metric === 'latency_max') {
      const agg = metric === 'latency_mean' ? 'avg' : 'max';
      mapped.push({ source, k6: [add(K6_METRICS.logicalDuration, `${agg}${op}${value}`)] });
    } else if (metric === 'success_rate') {
      mapped.push({ source, k6: [add(K6_METRICS.logicalSuccess, `rate${op}${value}`)] });
    } else if (metric === 'error_rate') {
      // error_rate op x ⇔ success_rate op' (1 − x), op mirrored.
      mapped.push({
        source,
        k6: [add(K6_METRICS.logicalSuccess, `rate${MIRROR[op]}${round(1 - value)}`)],
      });
    } else if (COUNTERS[metric]) {
      mapped.push({ source, k6: [add(COUNTERS[metric].metric, `count${op}${value}`)] });
    } else {
      unmapped.push({ source, reason: WHY_NOT[metric] ?? 'no k6 equivalent' });
    }
  }
  return { thresholds, mapped, unmapped };
}

const MIRROR: Record<ThresholdOp, ThresholdOp> = {
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
  '==': '==',
  '!=': '!=',
};

function round(x: number): number {
  return Number(x.toPrecision(12));
}
