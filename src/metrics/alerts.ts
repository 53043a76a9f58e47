import { SquallError } from '../errors.ts';
import { completedPerSecond, type SeriesJSON } from './series.ts';

/**
 * Replays alert rules over a run's per-second series to show when each would have fired and cleared,
 * like a Prometheus rule evaluated every second on the simulated timeline. The value at a second
 * boundary covers the `windowMs` before it (fewer seconds at the start of the run, as `rate()` over a
 * range with less history does). A window in which nothing completed has an error rate of 0.
 *
 * @example
 * evaluateAlerts(summary.series, ARTICLE_ALERT_RULES)
 * // [{ rule: { name: 'error-rate-warn', … }, firings: [{ firedAtMs: 61_000, clearedAtMs: 392_000 }] }, …]
 */
export interface AlertRule {
  name: string;
  /** Failed / (succeeded + failed) over logical requests completing in the window. */
  metric: 'error_rate';
  windowMs: number;
  /** Fires while the value is strictly above this fraction (0.1 = 10 %). */
  above: number;
  severity: 'warn' | 'page';
}

export interface AlertFiring {
  /** Clock ms of the second boundary at which the value first exceeded the threshold. */
  firedAtMs: number;
  /** Clock ms of the boundary at which it dropped back; null if still firing when the run ended. */
  clearedAtMs: number | null;
}

export interface AlertResult {
  rule: AlertRule;
  firings: AlertFiring[];
}

/** The seed article's rules: > 10 % errors over 5 minutes sends an SMS, > 20 % a phone call. */
export const ARTICLE_ALERT_RULES: readonly AlertRule[] = [
  { name: 'error-rate-warn', metric: 'error_rate', windowMs: 300_000, above: 0.1, severity: 'warn' },
  { name: 'error-rate-page', metric: 'error_rate', windowMs: 300_000, above: 0.2, severity: 'page' },
];

export function evaluateAlerts(series: SeriesJSON, rules: readonly AlertRule[]): AlertResult[] {
  const problems = rules.flatMap(validateRule);
  if (problems.length > 0) {
    throw new SquallError('ERR_SQUALL_INVALID_CONFIG', `invalid alert rules:\n  ${problems.join('\n  ')}`, {
      hint: "example: { name: 'error-rate-warn', metric: 'error_rate', windowMs: 300000, above: 0.1, severity: 'warn' }",
    });
  }
  // Prefix sums make every window O(1), so long runs with long windows stay cheap.
  const completed = completedPerSecond(series);
  const prefixTotal = [0];
  const prefixFailed = [0];
  for (let s = 0; s < series.seconds; s++) {
    const total = completed[s] ?? 0;
    prefixTotal.push(prefixTotal[s]! + total);
    prefixFailed.push(prefixFailed[s]! + total - (series.succeeded[s] ?? 0));
  }
  return rules.map((rule) => ({ rule, firings: firingsFor(series, rule, prefixTotal, prefixFailed) }));
}

function firingsFor(
  series: SeriesJSON,
  rule: AlertRule,
  prefixTotal: number[],
  prefixFailed: number[],
): AlertFiring[] {
  const windowSeconds = Math.max(1, Math.ceil(rule.windowMs / 1000));
  const firings: AlertFiring[] = [];
  let open: AlertFiring | null = null;
  for (let boundary = 1; boundary <= series.seconds; boundary++) {
    const from = Math.max(0, boundary - windowSeconds);
    const total = prefixTotal[boundary]! - prefixTotal[from]!;
    const failed = prefixFailed[boundary]! - prefixFailed[from]!;
    const errorRate = total === 0 ? 0 : failed / total;
    const atMs = series.startMs + boundary * 1000;
    if (open === null && errorRate > rule.above) {
      open = { firedAtMs: atMs, clearedAtMs: null };
      firings.push(open);
    } else if (open !== null && errorRate <= rule.above) {
      open.clearedAtMs = atMs;
      open = null;
    }
  }
  return firings;
}

function validateRule(rule: AlertRule): string[] {
  const problems: string[] = [];
  const name = rule.name || '(unnamed)';
  if (rule.metric !== 'error_rate')
    problems.push(`${name}: metric must be 'error_rate', got '${rule.metric}'`);
  if (!(rule.windowMs > 0) || !Number.isFinite(rule.windowMs)) {
    problems.push(`${name}: windowMs must be a positive number of ms, got ${rule.windowMs}`);
  }
  if (!(rule.above >= 0 && rule.above < 1)) {
    problems.push(`${name}: above is a fraction in [0, 1) (0.1 = 10 %), got ${rule.above}`);
  }
  if (rule.severity !== 'warn' && rule.severity !== 'page') {
    problems.push(`${name}: severity must be 'warn' or 'page', got '${rule.severity}'`);
  }
  return problems;
}
