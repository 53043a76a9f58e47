import { formatGoDuration } from '../util/duration.ts';

/**
 * How numbers read in every report (HTML, Markdown, terminal), so the same value looks the same
 * everywhere. `—` stands for "no value" (nothing completed, no price configured).
 */
export const NO_VALUE = '—';

export function formatPercent(fraction: number | null | undefined, digits = 2): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return NO_VALUE;
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** Latency: three significant figures, ms under a second, then seconds, then Go style (`2m5s`). */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NO_VALUE;
  if (ms < 1000) return `${significant(ms, 3)} ms`;
  if (ms < 60_000) return `${significant(ms / 1000, 3)} s`;
  return formatGoDuration(Math.round(ms / 100) * 100);
}

export function formatRate(perSec: number | null | undefined): string {
  if (perSec === null || perSec === undefined || !Number.isFinite(perSec)) return NO_VALUE;
  return `${significant(perSec, 4)}/s`;
}

export function formatFactor(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NO_VALUE;
  return `${x.toFixed(2)}×`;
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NO_VALUE;
  return Number.isInteger(n) ? n.toLocaleString('en-US') : significant(n, 4);
}

export function formatCost(total: number | null | undefined): string {
  if (total === null || total === undefined || !Number.isFinite(total)) return NO_VALUE;
  return total < 0.01 && total > 0 ? `$${significant(total, 2)}` : `$${total.toFixed(2)}`;
}

/** Any number a threshold may carry (ms, fractions, counts): up to four significant figures. */
export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NO_VALUE;
  return Number.isInteger(n)
    ? String(n)
    : significant(n, 4)
        .replace(/(\.\d*?)0+$/, '$1')
        .replace(/\.$/, '');
}

export function formatDuration(ms: number): string {
  return formatGoDuration(ms);
}

/** Time on a run's axis: `m:ss`, or `h:mm:ss` past an hour. */
export function formatClock(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A signed delta for compare tables: `+1.25`, `−0.30` (true minus sign, so columns line up). */
export function formatSigned(text: string, delta: number): string {
  if (delta > 0) return `+${text}`;
  if (delta < 0) return `−${text.replace(/^-/, '')}`;
  return `±${text}`;
}

function significant(x: number, digits: number): string {
  if (x === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return x.toFixed(Math.min(decimals, 6));
}

/**
 * A number in a threshold's unit (the threshold engine's MetricUnit): `5.00 s`, `97.50%`, `1.25×`, `$0.12`.
 * Without a unit (result files before schema 2) it is a plain number.
 */
export function formatInUnit(v: number | null | undefined, unit: string | undefined): string {
  switch (unit) {
    case 'ms':
      return formatMs(v);
    case 'fraction':
      return formatPercent(v);
    case 'ratio':
      return formatFactor(v);
    case 'per_sec':
      return formatRate(v);
    case 'usd':
      return formatCost(v);
    case 'count':
      return formatCount(v);
    default:
      return formatNumber(v);
  }
}

/** A threshold's observed value in its unit, with its interval across seeds when there is one. */
export function formatObserved(t: {
  observed: number | null;
  unit?: string;
  interval?: { low: number; high: number; confidence: number; n: number };
}): string {
  const value = formatInUnit(t.observed, t.unit);
  if (!t.interval) return value;
  const i = t.interval;
  return `${value} (${Math.round(i.confidence * 100)}% CI ${formatInUnit(i.low, t.unit)}–${formatInUnit(i.high, t.unit)}, n=${i.n})`;
}

/** A threshold's limit with its operator, in the unit of the metric: `< 1m0s`, `>= 95.00%`. */
export function formatLimit(t: { op: string; limit: number | null; unit?: string }): string {
  return `${t.op} ${formatInUnit(t.limit, t.unit)}`;
}
