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
 * straight from result.json, the best value of each column marked. Choosing the best is the only
 * judgement made here, and it is presentation: which cell to highlight.
 */
export type VerdictKey =
  | 'successRate'
  | 'goodput'
  | 'p50'
  | 'p95'
  | 'p99'
  | 'amplification'
  | 'recovery'
  | 'wastedRetries'
  | 'cost';

export interface VerdictColumn {
  key: VerdictKey;
  label: string;
  /** What the number is, for a tooltip or a footnote. */
  title: string;
  better: 'higher' | 'lower';
}

export interface VerdictCell {
  /** The number as in result.json (null: no value). */
  value: number | null;
  /** What decides "best": `value`, except "never recovered" ranks as +∞. null: not comparable. */
  rank: number | null;
  text: string;
  best: boolean;
}

export interface VerdictRow {
  strategy: string;
  /** Position in result.json, which fixes the strategy's colour. */
  index: number;
  cells: Record<VerdictKey, VerdictCell>;
  /** null when no thresholds were given for this strategy. */
  thresholds: { passed: number; total: number } | null;
  partial: boolean;
}

export interface VerdictTable {
  columns: VerdictColumn[];
  rows: VerdictRow[];
}

export const VERDICT_COLUMNS: readonly VerdictColumn[] = [
  {
    key: 'successRate',
    label: 'Success',
    title: 'successful logical requests / completed logical requests',
    better: 'higher',
  },
  {
    key: 'goodput',
    label: 'Goodput',
    title: 'successful logical requests per second of run',
    better: 'higher',
  },
  {
    key: 'p50',
    label: 'p50',
    title: 'median latency from intended arrival, all logical requests',
    better: 'lower',
  },
  { key: 'p95', label: 'p95', title: '95th percentile latency from intended arrival', better: 'lower' },
  { key: 'p99', label: 'p99', title: '99th percentile latency from intended arrival', better: 'lower' },
  {
    key: 'amplification',
    label: 'Amplification',
    title: 'attempts sent upstream / logical requests offered',
    better: 'lower',
  },
  {
    key: 'recovery',
    label: 'Recovery',
    title: 'time after the slowest-to-recover fault window until success stayed ≥ the recovery threshold',
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
];

export function verdictTable(result: RunResult, thresholds?: readonly ThresholdResult[]): VerdictTable {
  const rows = result.strategies.map((s, index) => verdictRow(s, index, thresholds));
  for (const column of VERDICT_COLUMNS) markBest(rows, column);
  return { columns: [...VERDICT_COLUMNS], rows };
}

function verdictRow(
  s: StrategyResult,
  index: number,
  thresholds: readonly ThresholdResult[] | undefined,
): VerdictRow {
  const m = s.summary;
  const recovery = worstRecovery(s);
  const mine = thresholds?.filter((t) => t.strategy === s.name) ?? [];
  return {
    strategy: s.name,
    index,
    partial: s.partial,
    thresholds: mine.length === 0 ? null : { passed: mine.filter((t) => t.pass).length, total: mine.length },
    cells: {
      successRate: cell(m.successRate, formatPercent(m.successRate)),
      goodput: cell(m.goodputPerSec, formatRate(m.goodputPerSec)),
      p50: cell(m.latencyMs.p50, formatMs(m.latencyMs.p50)),
      p95: cell(m.latencyMs.p95, formatMs(m.latencyMs.p95)),
      p99: cell(m.latencyMs.p99, formatMs(m.latencyMs.p99)),
      amplification: cell(m.amplification, formatFactor(m.amplification)),
      recovery,
      wastedRetries: cell(m.attempts.wastedRetries, formatCount(m.attempts.wastedRetries)),
      cost: cell(m.cost?.total ?? null, formatCost(m.cost?.total ?? null)),
    },
  };
}

function cell(value: number | null, text: string): VerdictCell {
  const known = value !== null && Number.isFinite(value);
  return { value: known ? value : null, rank: known ? value : null, text, best: false };
}

/**
 * Several fault windows: the one the strategy took longest to recover from decides. A window that
 * lasts to the end of the run leaves nothing to recover in, so it says nothing either way.
 */
function worstRecovery(s: StrategyResult): VerdictCell {
  const runEndMs = s.summary.startMs + s.summary.durationMs;
  const windows = s.summary.recovery.filter((w) => w.endMs < runEndMs);
  if (windows.length === 0) return { value: null, rank: null, text: NO_VALUE, best: false };
  if (windows.some((w) => w.recoveryMs === null)) {
    return { value: null, rank: Number.POSITIVE_INFINITY, text: 'never', best: false };
  }
  const worst = Math.max(...windows.map((w) => w.recoveryMs ?? 0));
  return { value: worst, rank: worst, text: formatMs(worst), best: false };
}

/** Marks every row tied for best; nothing when fewer than two rows compare or all are equal. */
function markBest(rows: VerdictRow[], column: VerdictColumn): void {
  const ranked = rows.map((r) => r.cells[column.key]).filter((c) => c.rank !== null);
  if (ranked.length < 2) return;
  const ranks = ranked.map((c) => c.rank as number);
  const best = column.better === 'higher' ? Math.max(...ranks) : Math.min(...ranks);
  if (ranks.every((r) => r === best) || !Number.isFinite(best)) return;
  for (const c of ranked) c.best = c.rank === best;
}
