import { DEFAULT_OBJECTIVE, isObjective, OBJECTIVES, type Objective } from '../metrics/objective.ts';
import {
  otherTrafficOf,
  type SeedsCI,
  type SeedsMetric,
  unfinishedOf,
  worstRecoveryMs,
} from '../metrics/thresholds.ts';
import type { RunResult, StrategyResult } from '../runner/result.ts';
import {
  formatCost,
  formatCount,
  formatFactor,
  formatMs,
  formatPercent,
  formatRate,
  NO_VALUE,
} from './format.ts';
import type { ThresholdResult } from './types.ts';

/**
 * The verdict table every report shows (HTML, Markdown, terminal): one row per strategy, numbers read
 * straight from result.json, rows ranked by the scenario's objective, the best value of each column
 * marked. Ranking and marking are the only judgements made here, and they are presentation.
 *
 * Honest by construction: success is over offered requests and unfinished requests have their own
 * column; latency columns are successful requests only and failure latency sits apart (never marked
 * best), so failing fast wins nothing. With several seeds each cell is the mean with its 95% interval.
 */
export type VerdictKey =
  | 'successRate'
  | 'unfinished'
  | 'goodput'
  | 'p50'
  | 'p95'
  | 'p99'
  | 'failureP95'
  | 'amplification'
  | 'recovery'
  | 'wastedRetries'
  | 'cost'
  | 'otherSuccess'
  | 'otherP95';

export interface VerdictColumn {
  key: VerdictKey;
  label: string;
  /** What the number is, for a tooltip or a footnote. */
  title: string;
  /** null: informational, never marked best (failure latency: lower is not better, it is just faster). */
  better: 'higher' | 'lower' | null;
}

export interface VerdictCell {
  /** The number as in result.json, or the mean over seeds (null: no value). */
  value: number | null;
  /** What decides "best": `value`, except "never recovered" ranks as +∞. null: not comparable. */
  rank: number | null;
  text: string;
  best: boolean;
  /** With several seeds: the 95% interval of the mean. */
  interval?: { low: number; high: number; n: number };
}

export interface VerdictRow {
  strategy: string;
  /** Position in result.json, which fixes the strategy's colour. */
  index: number;
  /** 1 for the best by the objective; tied strategies share a rank; null: no value for the objective. */
  rank: number | null;
  cells: Record<VerdictKey, VerdictCell>;
  /** null when no thresholds were given for this strategy. */
  thresholds: { passed: number; total: number } | null;
  partial: boolean;
}

export interface VerdictTable {
  /** Only the columns with something to say (no Cost without a price, no other traffic without any). */
  columns: VerdictColumn[];
  /** Best first by the objective. */
  rows: VerdictRow[];
  objective: { name: Objective; key: VerdictKey; label: string };
  /** Seeds the cells are means over (1: a single run). */
  seeds: number;
}

export const VERDICT_COLUMNS: readonly VerdictColumn[] = [
  {
    key: 'successRate',
    label: 'Success',
    title: 'successful logical requests / offered logical requests (unfinished ones count against it)',
    better: 'higher',
  },
  {
    key: 'unfinished',
    label: 'Unfinished',
    title: 'logical requests still open when the run ended, after the drain',
    better: 'lower',
  },
  {
    key: 'goodput',
    label: 'Goodput',
    title: 'successful logical requests per second of elapsed time (drain included)',
    better: 'higher',
  },
  {
    key: 'p50',
    label: 'p50',
    title: 'median latency of successful requests, from intended arrival',
    better: 'lower',
  },
  {
    key: 'p95',
    label: 'p95',
    title: '95th percentile latency of successful requests, from intended arrival',
    better: 'lower',
  },
  {
    key: 'p99',
    label: 'p99',
    title: '99th percentile latency of successful requests, from intended arrival',
    better: 'lower',
  },
  {
    key: 'failureP95',
    label: 'Failure p95',
    title:
      '95th percentile time to a failure, from intended arrival (not ranked: failing fast is not winning)',
    better: null,
  },
  {
    key: 'amplification',
    label: 'Amplification',
    title: 'attempts sent upstream / logical requests offered',
    better: 'lower',
  },
  {
    key: 'recovery',
    label: 'Recovery',
    title:
      'slowest fault window: time from its end until the success rate stayed within the margin of its pre-fault baseline for the hold time',
    better: 'lower',
  },
  {
    key: 'wastedRetries',
    label: 'Wasted retries',
    title: 'retries of requests that had already failed with a non-retryable error',
    better: 'lower',
  },
  {
    key: 'cost',
    label: 'Cost',
    title: 'billed tokens × price, abandoned attempts included',
    better: 'lower',
  },
  {
    key: 'otherSuccess',
    label: 'Other traffic',
    title: "success rate of the app's other traffic (requests that never call the LLM): the blast radius",
    better: 'higher',
  },
  {
    key: 'otherP95',
    label: 'Other p95',
    title: "95th percentile latency of the app's other traffic",
    better: 'lower',
  },
];

/** Which column each objective ranks by, and which seeds entry each column reads. */
const OBJECTIVE_COLUMN: Record<Objective, VerdictKey> = {
  success_rate: 'successRate',
  goodput: 'goodput',
  unfinished: 'unfinished',
  'p(50)': 'p50',
  'p(95)': 'p95',
  'p(99)': 'p99',
  amplification: 'amplification',
  recovery_time: 'recovery',
  wasted_retries: 'wastedRetries',
  cost: 'cost',
  other_success_rate: 'otherSuccess',
};

const SEEDS_METRIC: Record<VerdictKey, string> = {
  successRate: 'success_rate',
  unfinished: 'unfinished',
  goodput: 'goodput',
  p50: 'p(50)',
  p95: 'p(95)',
  p99: 'p(99)',
  failureP95: 'failure_p95',
  amplification: 'amplification',
  recovery: 'recovery_time',
  wastedRetries: 'wasted_retries',
  cost: 'cost',
  otherSuccess: 'other_success_rate',
  otherP95: 'other_p95',
};

const FORMAT: Record<VerdictKey, (v: number | null) => string> = {
  successRate: (v) => formatPercent(v),
  unfinished: formatCount,
  goodput: formatRate,
  p50: formatMs,
  p95: formatMs,
  p99: formatMs,
  failureP95: formatMs,
  amplification: formatFactor,
  recovery: formatMs,
  wastedRetries: formatCount,
  cost: formatCost,
  otherSuccess: (v) => formatPercent(v),
  otherP95: formatMs,
};

/** `result.json` as `squall run` writes it may carry the objective and the seeds' intervals. */
type ResultLike = RunResult & { seedsCI?: SeedsCI };

export function verdictTable(result: ResultLike, thresholds?: readonly ThresholdResult[]): VerdictTable {
  const seeds = result.seedsCI && result.seedsCI.seeds.length > 1 ? result.seedsCI : undefined;
  const rows = result.strategies.map((s, index) =>
    verdictRow(s, index, thresholds, seeds?.strategies[s.name]),
  );
  for (const column of VERDICT_COLUMNS) markBest(rows, column);
  const name = isObjective(result.objective) ? result.objective : DEFAULT_OBJECTIVE;
  const key = OBJECTIVE_COLUMN[name];
  rankBy(rows, key, OBJECTIVES[name].better);
  const columns = VERDICT_COLUMNS.filter((c) => shown(c.key, rows));
  return {
    columns,
    rows,
    objective: { name, key, label: OBJECTIVES[name].label },
    seeds: seeds?.seeds.length ?? 1,
  };
}

/** Columns that would only hold dashes are left out: no price, no other traffic, nothing failed. */
function shown(key: VerdictKey, rows: readonly VerdictRow[]): boolean {
  if (key === 'cost' || key === 'otherSuccess' || key === 'otherP95' || key === 'failureP95')
    return rows.some((r) => r.cells[key].rank !== null);
  return true;
}

function verdictRow(
  s: StrategyResult,
  index: number,
  thresholds: readonly ThresholdResult[] | undefined,
  seeds: Record<string, SeedsMetric> | undefined,
): VerdictRow {
  const m = s.summary;
  const other = otherTrafficOf(m);
  const mine = thresholds?.filter((t) => t.strategy === s.name) ?? [];
  const single: Record<VerdictKey, number | null> = {
    successRate: m.successRate,
    unfinished: unfinishedOf(m),
    goodput: m.goodputPerSec,
    p50: m.successLatencyMs.p50,
    p95: m.successLatencyMs.p95,
    p99: m.successLatencyMs.p99,
    failureP95: m.failureLatencyMs?.p95 ?? null,
    amplification: m.amplification,
    recovery: worstRecoveryMs(m),
    wastedRetries: m.attempts.wastedRetries,
    cost: m.cost?.total ?? null,
    otherSuccess: other?.successRate ?? null,
    otherP95: other?.latencyMs.p95 ?? null,
  };
  const cells = Object.fromEntries(
    VERDICT_COLUMNS.map((c) => {
      const entry = seeds?.[SEEDS_METRIC[c.key]];
      return [c.key, entry ? seedsCell(c.key, entry) : cell(c.key, single[c.key])];
    }),
  ) as Record<VerdictKey, VerdictCell>;
  return {
    strategy: s.name,
    index,
    rank: null,
    partial: s.partial,
    thresholds: mine.length === 0 ? null : { passed: mine.filter((t) => t.pass).length, total: mine.length },
    cells,
  };
}

function cell(key: VerdictKey, value: number | null): VerdictCell {
  if (value === Number.POSITIVE_INFINITY)
    return { value: null, rank: Number.POSITIVE_INFINITY, text: 'never', best: false };
  const known = value !== null && Number.isFinite(value);
  return { value: known ? value : null, rank: known ? value : null, text: FORMAT[key](value), best: false };
}

/** The mean over seeds with its interval; a window never recovered from in some seed reads "never". */
function seedsCell(key: VerdictKey, entry: SeedsMetric): VerdictCell {
  const n = entry.values.length;
  if (entry.infinite) {
    return {
      value: null,
      rank: Number.POSITIVE_INFINITY,
      text: `never (${entry.infinite} of ${n} seeds)`,
      best: false,
    };
  }
  const i = entry.interval;
  if (i === null) return { value: null, rank: null, text: NO_VALUE, best: false };
  const f = FORMAT[key];
  const text = i.n > 1 ? `${f(i.mean)} [${f(i.low)}–${f(i.high)}]` : f(i.mean);
  return { value: i.mean, rank: i.mean, text, best: false, interval: { low: i.low, high: i.high, n: i.n } };
}

/** Marks every row tied for best; nothing when fewer than two rows compare or all are equal. */
function markBest(rows: VerdictRow[], column: VerdictColumn): void {
  if (column.better === null) return;
  const ranked = rows.map((r) => r.cells[column.key]).filter((c) => c.rank !== null);
  if (ranked.length < 2) return;
  const ranks = ranked.map((c) => c.rank as number);
  const best = column.better === 'higher' ? Math.max(...ranks) : Math.min(...ranks);
  if (ranks.every((r) => r === best) || !Number.isFinite(best)) return;
  for (const c of ranked) c.best = c.rank === best;
}

/** Sorts rows best first by the objective (stable: ties keep the scenario's order) and numbers them. */
function rankBy(rows: VerdictRow[], key: VerdictKey, better: 'higher' | 'lower'): void {
  const score = (r: VerdictRow) => {
    const v = r.cells[key].rank;
    if (v === null) return Number.NEGATIVE_INFINITY;
    return better === 'higher' ? v : -v;
  };
  rows.sort((a, b) => score(b) - score(a) || a.index - b.index);
  let rank = 0;
  rows.forEach((r, i) => {
    if (r.cells[key].rank === null) return;
    if (i === 0 || score(rows[i - 1]!) !== score(r)) rank = i + 1;
    r.rank = rank;
  });
}

/** What the columns mean, in one line (shared wording with summary.md and report.html). */
export function legend(v: VerdictTable): string {
  return [
    `ranked by ${v.objective.name} (${v.objective.label})`,
    'success and goodput over offered requests; unfinished: still open after the drain',
    'latency: successful requests, from intended arrival',
    'recovery: slowest fault window',
    ...(v.seeds > 1 ? [`mean over ${v.seeds} seeds [95% interval]`] : []),
  ].join(' · ');
}
