import type { RunResult } from '../runner/result.ts';
import {
  formatCost,
  formatCount,
  formatFactor,
  formatMs,
  formatPercent,
  formatRate,
  formatSigned,
} from './format.ts';
import { type VerdictCell, type VerdictColumn, type VerdictKey, verdictTable } from './verdict.ts';

/**
 * `squall compare`: baseline vs candidate, strategy by strategy (matched by name), as the same verdict
 * columns with the change between them. Better/worse follows each column's direction.
 */
export interface CompareCell {
  baseline: VerdictCell;
  candidate: VerdictCell;
  /** candidate − baseline; null when either side has no number. */
  delta: number | null;
  deltaText: string;
  change: 'better' | 'worse' | 'same' | null;
}

export interface CompareRow {
  strategy: string;
  baselineIndex: number;
  candidateIndex: number;
  cells: Record<VerdictKey, CompareCell>;
}

export interface Comparison {
  columns: VerdictColumn[];
  rows: CompareRow[];
  onlyInBaseline: string[];
  onlyInCandidate: string[];
  /** Why the two runs may not be comparable (different scenario, seed, mode, duration). */
  warnings: string[];
}

export function compareRuns(baseline: RunResult, candidate: RunResult): Comparison {
  const b = verdictTable(baseline);
  const c = verdictTable(candidate);
  const rows: CompareRow[] = [];
  for (const cr of c.rows) {
    const br = b.rows.find((r) => r.strategy === cr.strategy);
    if (br === undefined) continue;
    const cells = Object.fromEntries(
      c.columns.map((col) => [col.key, compareCell(col, br.cells[col.key], cr.cells[col.key])]),
    ) as Record<VerdictKey, CompareCell>;
    rows.push({ strategy: cr.strategy, baselineIndex: br.index, candidateIndex: cr.index, cells });
  }
  const inCandidate = new Set(c.rows.map((r) => r.strategy));
  const inBaseline = new Set(b.rows.map((r) => r.strategy));
  return {
    columns: c.columns,
    rows,
    onlyInBaseline: b.rows.map((r) => r.strategy).filter((n) => !inCandidate.has(n)),
    onlyInCandidate: c.rows.map((r) => r.strategy).filter((n) => !inBaseline.has(n)),
    warnings: comparabilityWarnings(baseline, candidate),
  };
}

function compareCell(column: VerdictColumn, baseline: VerdictCell, candidate: VerdictCell): CompareCell {
  const delta = baseline.value !== null && candidate.value !== null ? candidate.value - baseline.value : null;
  let change: CompareCell['change'] = null;
  // A column with no better direction (failure latency) is shown, never judged.
  if (baseline.rank !== null && candidate.rank !== null && column.better !== null) {
    if (baseline.rank === candidate.rank) change = 'same';
    else change = candidate.rank > baseline.rank === (column.better === 'higher') ? 'better' : 'worse';
  }
  return { baseline, candidate, delta, deltaText: deltaText(column.key, delta, baseline.value), change };
}

function deltaText(key: VerdictKey, delta: number | null, base: number | null): string {
  if (delta === null) return '—';
  const abs = Math.abs(delta);
  const points = key === 'successRate' || key === 'otherSuccess';
  const text = points
    ? `${(abs * 100).toFixed(2)} pp`
    : key === 'goodput'
      ? formatRate(abs)
      : key === 'amplification'
        ? formatFactor(abs)
        : key === 'wastedRetries' || key === 'unfinished'
          ? formatCount(abs)
          : key === 'cost'
            ? formatCost(abs)
            : formatMs(abs);
  const relative =
    !points && base !== null && base !== 0 && delta !== 0
      ? ` (${delta > 0 ? '+' : '−'}${formatPercent(abs / Math.abs(base), 1)})`
      : '';
  return `${formatSigned(text, delta)}${relative}`;
}

function comparabilityWarnings(baseline: RunResult, candidate: RunResult): string[] {
  const warnings: string[] = [];
  if (baseline.scenario.hash !== candidate.scenario.hash) {
    warnings.push(
      `different scenarios (${baseline.scenario.name} ${baseline.scenario.hash.slice(0, 12)} vs ${candidate.scenario.name} ${candidate.scenario.hash.slice(0, 12)})`,
    );
  }
  if (baseline.seed !== candidate.seed) {
    warnings.push(`different seeds (${baseline.seed} vs ${candidate.seed}): traffic and faults differ too`);
  }
  if (baseline.mode !== candidate.mode)
    warnings.push(`different modes (${baseline.mode} vs ${candidate.mode})`);
  if (baseline.durationMs !== candidate.durationMs) {
    warnings.push(
      `different durations (${formatMs(baseline.durationMs)} vs ${formatMs(candidate.durationMs)})`,
    );
  }
  return warnings;
}
