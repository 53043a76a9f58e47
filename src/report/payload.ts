import { FAILURE_CLASSES, type FailureClass } from '../metrics/failure-class.ts';
import type { RunResult, StrategyResult } from '../runner/result.ts';
import { DEFAULT_MAX_POINTS, downsampleMinMax, roundTo, type TimeAxis, timeAxis } from './downsample.ts';
import { formatPercent } from './format.ts';
import { FAILURE_CLASS_STYLE, strategyColor } from './palette.ts';
import type { Interval } from './types.ts';

/**
 * The data embedded in a report for its charts: everything the page's script draws, already in
 * drawing units (seconds from the start, ms, fractions) and downsampled, so the script only maps
 * arrays onto chart.js datasets. Tables are rendered as HTML and are not in here.
 */
export interface RunPayload {
  /** Seconds of series (the longest strategy's). */
  seconds: number;
  axis: TimeAxis;
  faultWindows: Array<{ name: string; startS: number; endS: number; label: string }>;
  failureClasses: Array<{ key: FailureClass; label: string; color: string }>;
  strategies: StrategyPayload[];
  /**
   * One y-scale per family of per-strategy charts, so panels side by side compare by height: the most
   * any strategy's traffic chart (offered, attempted, succeeded) and stacked failure chart reach.
   */
  scales: { trafficPerSec: number; failedPerSec: number };
}

export interface StrategyPayload {
  name: string;
  color: string;
  successRate: number | null;
  ci: Interval | null;
  amplification: number | null;
  latency: {
    p50: number | null;
    p90: number | null;
    p95: number | null;
    p99: number | null;
    p999: number | null;
  };
  /** [x, ms] with x = 100 / (100 − percentile): 10 is p90, 1000 is p99.9. The 100th percentile is left out. */
  spectrum: Array<[number, number]>;
  series: {
    offered: Array<number | null>;
    attempted: Array<number | null>;
    succeeded: Array<number | null>;
    successRate: Array<number | null>;
    inFlight: Array<number | null>;
    queueDepth: Array<number | null>;
    breakerOpen: Array<number | null>;
    breakerHalfOpen: Array<number | null>;
    /** Only classes that failed at least once. */
    failed: Partial<Record<FailureClass, Array<number | null>>>;
  };
  /** When each alert rule fired, seconds from the start; `toS` null: still firing at the end. */
  alerts: Array<{ rule: string; severity: string; fromS: number; toS: number | null }>;
}

/** The spectrum axis stops at 99.99 (x = 10 000), as HdrHistogram's plots do. */
export const SPECTRUM_MAX_X = 10_000;

export function runPayload(
  result: RunResult,
  seedsCI?: Record<string, Interval>,
  maxPoints = DEFAULT_MAX_POINTS,
): RunPayload {
  const seconds = Math.max(1, ...result.strategies.map((s) => s.summary.series.seconds));
  const axis = timeAxis(seconds, maxPoints);
  const present = new Set<FailureClass>();
  for (const s of result.strategies) {
    for (const c of FAILURE_CLASSES) if ((s.summary.failuresByClass[c] ?? 0) > 0) present.add(c);
  }
  const strategies = result.strategies.map((s, i) => strategyPayload(s, i, axis, seedsCI?.[s.name] ?? null));
  return {
    seconds,
    axis,
    faultWindows: result.faultWindows.map((w) => ({
      name: w.name,
      startS: w.startMs / 1000,
      endS: w.endMs / 1000,
      label: faultLabel(w.faults),
    })),
    failureClasses: FAILURE_CLASSES.filter((c) => present.has(c)).map((key) => ({
      key,
      ...FAILURE_CLASS_STYLE[key],
    })),
    strategies,
    scales: sharedScales(strategies),
  };
}

/** Maxima of what is drawn (the downsampled columns), stacked where the chart stacks. */
function sharedScales(strategies: readonly StrategyPayload[]): RunPayload['scales'] {
  let trafficPerSec = 0;
  let failedPerSec = 0;
  for (const s of strategies) {
    for (const column of [s.series.offered, s.series.attempted, s.series.succeeded])
      for (const v of column) if (v !== null && v > trafficPerSec) trafficPerSec = v;
    const stacks = Object.values(s.series.failed);
    for (let i = 0; i < (stacks[0]?.length ?? 0); i++) {
      let total = 0;
      for (const column of stacks) total += column![i] ?? 0;
      if (total > failedPerSec) failedPerSec = total;
    }
  }
  return { trafficPerSec, failedPerSec };
}

function strategyPayload(
  s: StrategyResult,
  index: number,
  axis: TimeAxis,
  ci: Interval | null,
): StrategyPayload {
  const m = s.summary;
  const series = m.series;
  const counts = (values: ReadonlyArray<number | null>) => downsampleMinMax(values, axis, 0);
  const fractions = (values: ReadonlyArray<number | null>) => downsampleMinMax(values, axis, 4);
  const failed: StrategyPayload['series']['failed'] = {};
  for (const c of FAILURE_CLASSES) {
    if ((m.failuresByClass[c] ?? 0) > 0) failed[c] = counts(series.failed[c]);
  }
  const startMs = series.startMs;
  return {
    name: s.name,
    color: strategyColor(index),
    successRate: m.successRate,
    ci,
    amplification: m.amplification,
    // Successful requests only, as in the verdict table: a strategy that fails fast must not look fast.
    latency: {
      p50: m.successLatencyMs.p50,
      p90: m.successLatencyMs.p90,
      p95: m.successLatencyMs.p95,
      p99: m.successLatencyMs.p99,
      p999: m.successLatencyMs.p999,
    },
    spectrum: m.latencySpectrum
      .filter((p) => p.percentile < 100)
      .map((p) => [roundTo(Math.min(SPECTRUM_MAX_X, 100 / (100 - p.percentile)), 4), p.ms]),
    series: {
      offered: counts(series.offered),
      attempted: counts(series.attempted),
      succeeded: counts(series.succeeded),
      successRate: fractions(m.perSecond.successRate),
      inFlight: counts(series.inFlight),
      queueDepth: counts(series.queueDepth),
      breakerOpen: fractions(series.breakerOpen),
      breakerHalfOpen: fractions(series.breakerHalfOpen),
      failed,
    },
    alerts: s.alerts.flatMap((a) =>
      a.firings.map((f) => ({
        rule: a.rule.name,
        severity: a.rule.severity,
        fromS: (f.firedAtMs - startMs) / 1000,
        toS: f.clearedAtMs === null ? null : (f.clearedAtMs - startMs) / 1000,
      })),
    ),
  };
}

/** `500 5% · 503 3%`: what the window injects, as the legend of the schedule reads it. */
export function faultLabel(faults: Record<string, number>): string {
  const parts = Object.entries(faults).map(([kind, p]) => `${kind} ${formatPercent(p, p < 0.01 ? 2 : 0)}`);
  return parts.length === 0 ? 'rate limits / capacity only' : parts.join(' · ');
}
