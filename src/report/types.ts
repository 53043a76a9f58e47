/**
 * What the renderers accept beside `result.json`. Thresholds are evaluated elsewhere (the threshold
 * engine); reports only show the verdicts they are handed.
 */

/** One threshold verdict for one strategy, e.g. `p(95) < 800` on `expo-jitter`. */
export interface ThresholdResult {
  strategy: string;
  /** As written in the scenario, e.g. `p(95) < 800`. */
  expression: string;
  /** The metric the expression reads, e.g. `latency_p95_ms`. */
  metric: string;
  /** null when the run produced no value for the metric (nothing completed). */
  observed: number | null;
  limit: number;
  /** Comparison operator as written (the threshold engine's `ThresholdOp`): `<`, `<=`, `>`, `>=`, `==`, `!=`. */
  op: string;
  /** Unit of `observed` and `limit` (the threshold engine's `MetricUnit`); absent in older results: plain numbers. */
  unit?: string;
  pass: boolean;
  /** One line a human reads, e.g. `p(95) = 912 ms, limit < 800 ms`. */
  message: string;
  /** With several seeds: the confidence interval of `observed` (which is then the mean). */
  interval?: { low: number; high: number; confidence: number; n: number };
}

/** A confidence interval for a strategy's success rate, from several seeds (fractions 0–1). */
export interface Interval {
  low: number;
  high: number;
}

export interface ReportOptions {
  thresholds?: ThresholdResult[];
  /** Success-rate confidence interval per strategy name, when several seeds ran. */
  seedsCI?: Record<string, Interval>;
}

export interface CompareOptions {
  /** How the two runs are named on the page; default "baseline" and "candidate". */
  baselineLabel?: string;
  candidateLabel?: string;
}

export interface MarkdownOptions {
  thresholds?: ThresholdResult[];
  /** Byte budget (UTF-8). Default 64 KiB, GitHub's limit for a PR comment. */
  maxBytes?: number;
}

export interface TerminalOptions {
  /** ANSI colours; only when asked (the CLI decides from TTY / NO_COLOR / --no-color). */
  color?: boolean;
  thresholds?: ThresholdResult[];
}
