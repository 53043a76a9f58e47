import type { RunResult, StrategyResult } from '../runner/result.ts';
import { formatGoDuration, parseDurationMs } from '../util/duration.ts';
import { closest } from '../util/suggest.ts';
import { type Interval, tInterval } from './confidence.ts';
import { Histogram } from './histogram.ts';

/**
 * Thresholds: k6-like pass/fail expressions over a run's metrics, the source of the CI verdict.
 *
 *   success_rate >= 0.95                  every strategy (or the one the threshold is listed under)
 *   p(99) < 10s                           latency percentile, durations with units
 *   "expo-jitter".amplification <= 1.5    one named strategy
 *   "expo-jitter".success_rate > "fixed-2s".success_rate                    a comparison
 *   "expo-jitter".success_rate > "fixed-2s".success_rate with 95% confidence
 *
 * `with N% confidence` needs several seeds: for a comparison it asks the t-interval of the paired
 * per-seed differences (both strategies saw the same seeds: common random numbers) to lie wholly on the
 * passing side; against a number, the t-interval of the metric's mean must.
 *
 * A threshold never passes silently: a metric with no samples (no request completed, no fault window to
 * recover from), or naming a strategy that did not run, fails with a message saying so.
 */
export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export type MetricUnit = 'fraction' | 'ms' | 'count' | 'ratio' | 'per_sec' | 'usd';

export interface MetricRef {
  kind: 'metric';
  /** Absent: the strategy the threshold is evaluated for. */
  strategy?: string;
  /** Metric name from {@link METRICS}, or `p` with a percentile. */
  metric: string;
  percentile?: number;
}

export type Operand = MetricRef | { kind: 'literal'; value: number; unit?: 'ms' | 'percent' };

export interface ThresholdExpr {
  source: string;
  left: MetricRef;
  op: ThresholdOp;
  right: Operand;
  /** Two-sided level (0.95) when the expression says `with 95% confidence`. */
  confidence?: number;
}

/** A threshold as listed in a scenario: its expression, and the strategy it is listed under (null: all). */
export interface ThresholdSpec {
  scope: string | null;
  expr: ThresholdExpr;
  /** Where it is written in the scenario file (for messages). */
  at?: Array<string | number>;
}

/** One verdict (one per threshold per strategy); the shape the reports and JUnit render. */
export interface ThresholdResult {
  strategy: string;
  expression: string;
  metric: string;
  /** Mean over seeds; null when there were no samples (or never recovered: see message). */
  observed: number | null;
  /** The number compared against (the other side's mean in a comparison); NaN (null in JSON) when unknown. */
  limit: number;
  op: ThresholdOp;
  /** Unit of `observed` and `limit`, so reports can write `5s < 1m` rather than `5000 < 60000`. */
  unit: MetricUnit;
  pass: boolean;
  message: string;
  /** Present with several seeds. */
  interval?: { low: number; high: number; confidence: number; n: number };
}

interface MetricDef {
  unit: MetricUnit;
  description: string;
  /** Why there is no value, when `get` returns null. */
  empty: string;
  get(s: StrategyResult): number | null;
}

const sum = (rec: Record<string, number>) => Object.values(rec).reduce((a, b) => a + b, 0);

export const METRICS: Record<string, MetricDef> = {
  success_rate: {
    unit: 'fraction',
    description: 'successful / offered logical requests (unfinished ones count as not successful)',
    empty: 'no request arrived',
    get: (s) => s.summary.successRate,
  },
  error_rate: {
    unit: 'fraction',
    description: 'not successful (failed or unfinished) / offered logical requests: 1 − success_rate',
    empty: 'no request arrived',
    get: (s) => (s.summary.successRate === null ? null : 1 - s.summary.successRate),
  },
  unfinished: {
    unit: 'count',
    description: 'logical requests still open when the run ended (after the drain)',
    empty: '',
    get: (s) => unfinishedOf(s.summary),
  },
  amplification: {
    unit: 'ratio',
    description: 'attempts / logical requests',
    empty: 'no request arrived',
    get: (s) => s.summary.amplification,
  },
  recovery_time: {
    unit: 'ms',
    description:
      'slowest fault window: time from its end until the per-second success rate stays within the recovery margin of its pre-fault baseline for the hold time (never recovered: infinite)',
    empty: 'the scenario has no fault window that ends before the run does',
    get: (s) => worstRecoveryMs(s.summary),
  },
  wasted_retries: {
    unit: 'count',
    description: 'retries of requests that had already failed for good (400, 401, quota)',
    empty: '',
    get: (s) => s.summary.attempts.wastedRetries,
  },
  retries: { unit: 'count', description: 'retries', empty: '', get: (s) => s.summary.events.retries },
  fallbacks: {
    unit: 'count',
    description: 'fallbacks to another model',
    empty: '',
    get: (s) => s.summary.events.fallbacks,
  },
  attempts: {
    unit: 'count',
    description: 'attempts sent upstream',
    empty: '',
    get: (s) => s.summary.attempts.total,
  },
  requests: {
    unit: 'count',
    description: 'logical requests offered',
    empty: '',
    get: (s) => s.summary.requests.offered,
  },
  failed: {
    unit: 'count',
    description: 'logical requests that failed (unfinished ones are not failures: see unfinished)',
    empty: '',
    get: (s) => s.summary.requests.completed - s.summary.results.success,
  },
  goodput: {
    unit: 'per_sec',
    description: 'successful logical requests per second of elapsed time (drain included)',
    empty: '',
    get: (s) => s.summary.goodputPerSec,
  },
  breaker_opened: {
    unit: 'count',
    description: 'times a circuit breaker opened',
    empty: '',
    get: (s) => s.summary.events.breakerOpened,
  },
  shed: {
    unit: 'count',
    description: 'requests shed or rejected by the strategy itself',
    empty: '',
    get: (s) => sum(s.summary.events.shedBy) + sum(s.summary.events.rejectedBy),
  },
  client_saturated: {
    unit: 'count',
    description: 'logical requests the calling application failed for want of a worker (client.workers)',
    empty: '',
    get: (s) => s.summary.results.client_saturated ?? 0,
  },
  client_timeouts: {
    unit: 'count',
    description: "logical requests whose user got the calling application's own timeout (client.timeout)",
    empty: '',
    get: (s) => s.summary.results.client_timeout ?? 0,
  },
  strategy_errors: {
    unit: 'count',
    description: 'requests on which the strategy threw or hung',
    empty: '',
    get: (s) => s.summary.results.strategy_error,
  },
  abandoned_attempts: {
    unit: 'count',
    description: 'attempts the client gave up on',
    empty: '',
    get: (s) => s.summary.attempts.abandoned,
  },
  billed_tokens: {
    unit: 'count',
    description: 'tokens billed by the upstream',
    empty: '',
    get: (s) => s.summary.tokens.billed,
  },
  wasted_tokens: {
    unit: 'count',
    description: 'tokens billed for attempts the client abandoned',
    empty: '',
    get: (s) => s.summary.tokens.abandonedBilled,
  },
  cost: {
    unit: 'usd',
    description: 'cost of billed tokens',
    empty: 'the scenario sets no price_per_1k_tokens',
    get: (s) => s.summary.cost?.total ?? null,
  },
  latency_mean: {
    unit: 'ms',
    description: 'mean latency of successful requests, from intended arrival',
    empty: 'no request succeeded',
    get: (s) => s.summary.successLatencyMs.mean,
  },
  latency_max: {
    unit: 'ms',
    description: 'maximum latency of successful requests, from intended arrival',
    empty: 'no request succeeded',
    get: (s) => s.summary.successLatencyMs.max,
  },
  failure_p95: {
    unit: 'ms',
    description:
      '95th percentile latency of failed requests, from intended arrival (how long a failure takes)',
    empty: 'no request failed',
    get: (s) => s.summary.failureLatencyMs?.p95 ?? null,
  },
  other_success_rate: {
    unit: 'fraction',
    description:
      "success rate of the app's other traffic (requests that never call the LLM): the blast radius",
    empty: 'the scenario has no other traffic (client.other_traffic)',
    get: (s) => otherTrafficOf(s.summary)?.successRate ?? null,
  },
  other_p95: {
    unit: 'ms',
    description: "95th percentile latency of the app's other traffic",
    empty: 'the scenario has no other traffic (client.other_traffic)',
    get: (s) => otherTrafficOf(s.summary)?.latencyMs.p95 ?? null,
  },
  pages: {
    unit: 'count',
    description: 'times a page-severity alert fired',
    empty: '',
    get: (s) => s.alerts.filter((a) => a.rule.severity === 'page').reduce((n, a) => n + a.firings.length, 0),
  },
};

export const METRIC_NAMES = [...Object.keys(METRICS), 'p(N)'];

export class ThresholdSyntaxError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.name = 'ThresholdSyntaxError';
    this.hint = hint;
  }
}

const SYNTAX_HINT =
  'e.g. success_rate >= 0.95, p(99) < 10s, "expo-jitter".amplification <= 1.5, or "a".success_rate > "b".success_rate with 95% confidence';

/** Parses one expression; throws ThresholdSyntaxError (with a hint) on anything else. */
export function parseThreshold(source: string): ThresholdExpr {
  let text = source.trim();
  let confidence: number | undefined;
  const conf = /\s+with\s+(\d+(?:\.\d+)?)\s*%\s*confidence\s*$/i.exec(text);
  if (conf) {
    confidence = Number(conf[1]) / 100;
    if (!(confidence >= 0.5 && confidence < 1))
      throw new ThresholdSyntaxError(
        `confidence ${conf[1]}% is out of range`,
        'use a level between 50% and 99.9%, e.g. with 95% confidence',
      );
    text = text.slice(0, conf.index);
  }
  const split = splitOnOperator(text);
  if (!split)
    throw new ThresholdSyntaxError(`${q(source)} has no comparison (<, <=, >, >=, ==, !=)`, SYNTAX_HINT);
  let left = parseOperand(split.left, source);
  let right = parseOperand(split.right, source);
  let op = split.op;
  if (left.kind === 'literal') {
    if (right.kind === 'literal')
      throw new ThresholdSyntaxError(`${q(source)} compares two numbers; name a metric`, SYNTAX_HINT);
    [left, right] = [right, left];
    op = FLIP[op];
  }
  if (right.kind === 'literal') checkUnit(left as MetricRef, right, source);
  if (confidence !== undefined && (op === '==' || op === '!='))
    throw new ThresholdSyntaxError(
      `${q(source)}: confidence needs an ordering (<, <=, >, >=), not ${op}`,
      'e.g. "a".success_rate > "b".success_rate with 95% confidence',
    );
  return { source, left: left as MetricRef, op, right, ...(confidence !== undefined ? { confidence } : {}) };
}

const FLIP: Record<ThresholdOp, ThresholdOp> = {
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
  '==': '==',
  '!=': '!=',
};

function splitOnOperator(text: string): { left: string; op: ThresholdOp; right: string } | null {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if ('<>=!'.includes(ch)) {
      const two = text.slice(i, i + 2);
      const op = (['<=', '>=', '==', '!='].includes(two) ? two : ch) as ThresholdOp;
      if (op === ('=' as string) || op === ('!' as string)) return null;
      return { left: text.slice(0, i).trim(), op, right: text.slice(i + op.length).trim() };
    }
  }
  return null;
}

const q = (text: string) => `\`${text}\``;

function parseOperand(text: string, source: string): Operand {
  if (text === '')
    throw new ThresholdSyntaxError(`${q(source)} is missing a side of the comparison`, SYNTAX_HINT);
  const literal = parseLiteral(text);
  if (literal) return literal;
  let strategy: string | undefined;
  let rest = text;
  const named = /^(["'])(.+?)\1\s*\.\s*(.+)$/.exec(text);
  if (named) {
    strategy = named[2]!;
    rest = named[3]!;
  } else if (/^["']/.test(text)) {
    throw new ThresholdSyntaxError(
      `${q(text)} in ${q(source)} is not a metric`,
      'write a strategy metric as "name".metric, e.g. "expo-jitter".success_rate',
    );
  }
  const pct = /^p\s*\(\s*(\d+(?:\.\d+)?)\s*\)$/.exec(rest) ?? /^p(\d+(?:\.\d+)?)$/.exec(rest);
  if (pct) {
    const percentile = Number(pct[1]);
    if (!(percentile > 0 && percentile <= 100))
      throw new ThresholdSyntaxError(`p(${pct[1]}): a percentile is between 0 and 100`, 'e.g. p(99)');
    return { kind: 'metric', metric: 'p', percentile, ...(strategy ? { strategy } : {}) };
  }
  if (!METRICS[rest]) {
    const guess = closest(rest, Object.keys(METRICS));
    throw new ThresholdSyntaxError(
      `unknown metric "${rest}" in ${q(source)}`,
      `${guess ? `did you mean \`${guess}\`? ` : ''}known metrics: ${METRIC_NAMES.join(', ')}`,
    );
  }
  return { kind: 'metric', metric: rest, ...(strategy ? { strategy } : {}) };
}

function parseLiteral(text: string): Operand | null {
  if (/^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(text)) return { kind: 'literal', value: Number(text) };
  const pct = /^(-?\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (pct) return { kind: 'literal', value: Number(pct[1]) / 100, unit: 'percent' };
  if (/^\d/.test(text)) {
    try {
      return { kind: 'literal', value: parseDurationMs(text), unit: 'ms' };
    } catch {
      return null;
    }
  }
  return null;
}

function checkUnit(left: MetricRef, right: Extract<Operand, { kind: 'literal' }>, source: string): void {
  const unit = unitOf(left);
  if (right.unit === 'ms' && unit !== 'ms')
    throw new ThresholdSyntaxError(
      `${q(source)}: ${labelOf(left)} is not a duration, so it cannot be compared with a time`,
      unit === 'fraction' ? 'write a fraction or a percentage, e.g. 0.95 or 95%' : 'write a plain number',
    );
  if (right.unit === 'percent' && unit !== 'fraction')
    throw new ThresholdSyntaxError(
      `${q(source)}: ${labelOf(left)} is not a fraction, so it cannot be compared with a percentage`,
      unit === 'ms' ? 'write a duration, e.g. 10s or 500ms' : 'write a plain number',
    );
}

export function unitOf(ref: MetricRef): MetricUnit {
  return ref.metric === 'p' ? 'ms' : METRICS[ref.metric]!.unit;
}

export function labelOf(ref: Pick<MetricRef, 'metric' | 'percentile'>): string {
  return ref.metric === 'p' ? `p(${ref.percentile})` : ref.metric;
}

/** Strategy names an expression names explicitly. */
export function namedStrategies(expr: ThresholdExpr): string[] {
  const out: string[] = [];
  if (expr.left.strategy) out.push(expr.left.strategy);
  if (expr.right.kind === 'metric' && expr.right.strategy) out.push(expr.right.strategy);
  return out;
}

/**
 * Reads one metric of one strategy; null when it has no samples. `p(N)` is the latency of successful
 * requests: a strategy that fails fast must not pass a latency threshold by it (failure_p95 is apart).
 */
export function metricValue(s: StrategyResult, ref: Pick<MetricRef, 'metric' | 'percentile'>): number | null {
  if (ref.metric === 'p') {
    const l = s.summary.successLatencyMs;
    if (l.count === 0) return null;
    const known: Record<number, number | null> = { 50: l.p50, 90: l.p90, 95: l.p95, 99: l.p99, 99.9: l.p999 };
    const p = ref.percentile!;
    if (p in known) return known[p]!;
    const h = s.summary.histograms.successLatency;
    return h ? Histogram.fromJSON(h).percentile(p) / 1000 : null;
  }
  return METRICS[ref.metric]!.get(s);
}

/** The rest of the app's requests (the client model's `otherTraffic`), when the scenario has them. */
export interface OtherTrafficView {
  offered: number;
  successRate: number | null;
  unfinished?: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

export function otherTrafficOf(m: StrategyResult['summary']): OtherTrafficView | undefined {
  return (m as { otherTraffic?: OtherTrafficView }).otherTraffic;
}

/** Requests left open at the end (result files before schema 2 called it inFlightAtEnd). */
export function unfinishedOf(m: StrategyResult['summary']): number {
  return m.requests.unfinished ?? m.requests.inFlightAtEnd ?? 0;
}

/**
 * The slowest recovery over the fault windows that end before the run's duration does (a window that
 * lasts to the end leaves nothing to recover in, so it says nothing either way; nor does one that another
 * window carries on). +∞: a window never recovered; null: no such window.
 */
export function worstRecoveryMs(m: StrategyResult['summary']): number | null {
  const runEndMs = m.startMs + m.durationMs;
  // A window another one carries on past its end is measured after that one.
  const windows = m.recovery.filter((w) => w.endMs < runEndMs && w.continuedBy === undefined);
  if (windows.length === 0) return null;
  return Math.max(...windows.map((w) => w.recoveryMs ?? Number.POSITIVE_INFINITY));
}

/**
 * Evaluates every threshold against the runs of one scenario (one RunResult per seed, same strategies).
 * A threshold listed for all strategies yields one verdict per strategy, unless it names its strategies.
 */
export function evaluateThresholds(
  specs: readonly ThresholdSpec[],
  runs: readonly RunResult[],
): ThresholdResult[] {
  const first = runs[0];
  if (!first) return [];
  const names = first.strategies.map((s) => s.name);
  const out: ThresholdResult[] = [];
  for (const spec of specs) {
    const explicit = spec.expr.left.strategy !== undefined;
    const targets = explicit ? [spec.expr.left.strategy!] : spec.scope !== null ? [spec.scope] : names;
    for (const target of targets) out.push(evaluateOne(spec.expr, target, runs, first.partial));
  }
  return out;
}

function evaluateOne(
  expr: ThresholdExpr,
  target: string,
  runs: readonly RunResult[],
  partial: boolean,
): ThresholdResult {
  const left = { ...expr.left, strategy: expr.left.strategy ?? target };
  const right =
    expr.right.kind === 'metric' ? { ...expr.right, strategy: expr.right.strategy ?? target } : expr.right;
  const metric = labelOf(left);
  const literalLimit = right.kind === 'literal' ? right.value : Number.NaN;
  const base = { strategy: left.strategy, expression: expr.source, metric, op: expr.op, unit: unitOf(left) };
  const fail = (message: string, observed: number | null = null, limit = literalLimit): ThresholdResult => ({
    ...base,
    observed,
    limit,
    pass: false,
    message,
  });
  const leftSamples = samples(runs, left);
  if (typeof leftSamples === 'string') return fail(leftSamples);
  const rightSamples = right.kind === 'metric' ? samples(runs, right) : runs.map(() => right.value);
  if (typeof rightSamples === 'string') return fail(rightSamples);
  const observed = mean(leftSamples);
  const limit = mean(rightSamples);
  const unit = unitOf(left);
  const rightLabel = right.kind === 'metric' ? `"${right.strategy}".${labelOf(right)}` : fmt(limit, unit);
  const where = `"${left.strategy}" ${metric}`;
  const seedsNote = runs.length > 1 ? ` (mean of ${runs.length} seeds)` : '';
  const partialNote = partial ? ' [partial run: interrupted]' : '';

  if (expr.confidence !== undefined) {
    if (runs.length < 2) {
      return fail(
        `${where}: "with ${pct(expr.confidence)} confidence" needs at least 2 seeds, this run has 1 (use --seeds N or seeds: in the file)`,
        observed,
        limit,
      );
    }
    // Paired differences: seed i of both sides saw the same arrivals and fault draws.
    const diffs = leftSamples.map((v, i) => v - rightSamples[i]!);
    const ci = tInterval(diffs, expr.confidence);
    if (!ci) return fail(`${where}: no finite samples to build an interval from`, observed, limit);
    const pass = confidentlyHolds(ci, expr.op);
    const what = right.kind === 'metric' ? `${where} − ${rightLabel}` : `${where} − ${rightLabel}`;
    const interval = { low: ci.low + limit, high: ci.high + limit, confidence: ci.confidence, n: ci.n };
    const msg = `${what}: ${pct(ci.confidence)} CI of the difference [${fmtDelta(ci.low, unit)}, ${fmtDelta(ci.high, unit)}] over ${ci.n} seeds; ${pass ? 'holds' : 'does not hold'} ${expr.op} 0 with ${pct(expr.confidence)} confidence${partialNote}`;
    return { ...base, observed, limit, pass, message: msg, interval };
  }
  const pass = compare(observed, expr.op, limit);
  const ci = runs.length > 1 ? tInterval(leftSamples) : null;
  const ciNote = ci && ci.n > 1 ? ` [95% CI ${fmt(ci.low, unit)}–${fmt(ci.high, unit)}]` : '';
  const shown = Number.isFinite(observed)
    ? fmt(observed, unit)
    : metric === 'recovery_time'
      ? 'never recovered'
      : fmt(observed, unit);
  const msg = pass
    ? `${where} = ${shown}${seedsNote}${ciNote}, ${expr.op} ${rightLabel}: ok${partialNote}`
    : `${where} = ${shown}${seedsNote}${ciNote}, expected ${expr.op} ${rightLabel}${right.kind === 'metric' ? ` (= ${fmt(limit, unit)})` : ''}${partialNote}`;
  return {
    ...base,
    observed: Number.isFinite(observed) ? observed : null,
    limit,
    pass,
    message: msg,
    ...(ci && ci.n > 1
      ? { interval: { low: ci.low, high: ci.high, confidence: ci.confidence, n: ci.n } }
      : {}),
  };
}

function samples(runs: readonly RunResult[], ref: MetricRef): number[] | string {
  const out: number[] = [];
  for (const run of runs) {
    const s = run.strategies.find((x) => x.name === ref.strategy);
    if (!s) {
      const names = run.strategies.map((x) => `"${x.name}"`).join(', ');
      return `no strategy named "${ref.strategy}" ran (strategies: ${names || 'none'})`;
    }
    const v = metricValue(s, ref);
    if (v === null) {
      const why = ref.metric === 'p' ? 'no request completed' : METRICS[ref.metric]!.empty;
      return `"${ref.strategy}" ${labelOf(ref)} has no samples (${why}); a threshold on it cannot pass`;
    }
    out.push(v);
  }
  return out;
}

function mean(values: readonly number[]): number {
  if (values.some((v) => v === Number.POSITIVE_INFINITY)) return Number.POSITIVE_INFINITY;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function compare(a: number, op: ThresholdOp, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

/** The whole interval (of a difference) lies on the side of 0 the operator asks for. */
function confidentlyHolds(ci: Interval, op: ThresholdOp): boolean {
  switch (op) {
    case '>':
      return ci.low > 0;
    case '>=':
      return ci.low >= 0;
    case '<':
      return ci.high < 0;
    case '<=':
      return ci.high <= 0;
    default:
      return false;
  }
}

/** Formats a metric value in its unit, for messages. */
export function fmt(v: number, unit: MetricUnit): string {
  if (!Number.isFinite(v)) return v > 0 ? '∞' : String(v);
  switch (unit) {
    case 'ms':
      return formatMs(v);
    case 'fraction':
      return String(round(v, 4));
    case 'count':
      return Number.isInteger(v) ? String(v) : String(round(v, 2));
    case 'usd':
      return `$${round(v, 4)}`;
    default:
      return String(round(v, 3));
  }
}

function fmtDelta(v: number, unit: MetricUnit): string {
  return `${v >= 0 ? '+' : '−'}${fmt(Math.abs(v), unit)}`;
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${round(ms, 1)}ms`;
  return formatGoDuration(Math.round(ms));
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function pct(p: number): string {
  return `${round(p * 100, 2)}%`;
}

/** Headline metrics summarised across seeds for the reports. */
export const CI_METRICS: ReadonlyArray<Pick<MetricRef, 'metric' | 'percentile'>> = [
  { metric: 'success_rate' },
  { metric: 'p', percentile: 50 },
  { metric: 'p', percentile: 95 },
  { metric: 'p', percentile: 99 },
  { metric: 'failure_p95' },
  { metric: 'unfinished' },
  { metric: 'amplification' },
  { metric: 'recovery_time' },
  { metric: 'wasted_retries' },
  { metric: 'goodput' },
  { metric: 'retries' },
  { metric: 'cost' },
  { metric: 'other_success_rate' },
  { metric: 'other_p95' },
];

/** Per strategy, per headline metric: the per-seed values and their t-interval (null: no samples). */
export interface SeedsCI {
  seeds: string[];
  confidence: number;
  strategies: Record<string, Record<string, SeedsMetric>>;
}

export interface SeedsMetric {
  /** Per seed; null when the seed had no value, or an infinite one (never recovered: see `infinite`). */
  values: Array<number | null>;
  /** Over the finite values. */
  interval: Interval | null;
  /** Seeds whose value was infinite (a fault window never recovered from); absent when none. */
  infinite?: number;
}

export function seedsConfidence(runs: readonly RunResult[], confidence = 0.95): SeedsCI {
  const strategies: SeedsCI['strategies'] = {};
  for (const s of runs[0]?.strategies ?? []) {
    const row: SeedsCI['strategies'][string] = {};
    for (const ref of CI_METRICS) {
      const raw = runs.map((run) => {
        const r = run.strategies.find((x) => x.name === s.name);
        return r ? metricValue(r, ref) : null;
      });
      const values = raw.map((v) => (v === null || !Number.isFinite(v) ? null : v));
      const infinite = raw.filter((v) => v === Number.POSITIVE_INFINITY).length;
      row[labelOf(ref)] = {
        values,
        interval: tInterval(
          values.filter((v): v is number => v !== null),
          confidence,
        ),
        ...(infinite > 0 ? { infinite } : {}),
      };
    }
    strategies[s.name] = row;
  }
  return { seeds: runs.map((r) => r.seed), confidence, strategies };
}
