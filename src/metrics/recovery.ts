import { completedPerSecond, type SeriesJSON } from './series.ts';

/**
 * Time to recover after each fault window, window by window: from the window's end until the per-second
 * success rate (of logical requests completing in the second) is back within a margin of the pre-fault
 * baseline and stays there for a hold time. Seconds in which nothing completed say nothing either way:
 * they neither start nor break a hold, but they count towards its length (time passes).
 *
 * - Baseline: the success rate over the seconds before the window starts that no other fault window
 *   touches, except background windows that enclose this one (a run-long phase of 2% errors is what
 *   normal looks like). With no such second (the window starts at 0) the baseline is 100%.
 * - Recovered at the start of the first second of a hold: every second of the hold with completions is
 *   at or above `baseline − margin`. The hold lasts `holdMs`, or until the next fault window starts or the
 *   run ends if that comes first (recovery from one outage is never measured inside the next one, and a
 *   run that ends while success is back does not turn a visible recovery into "never"). No such second
 *   before then: the window never recovered (`null`, shown as "never").
 * - A window that another fault window, starting inside it or right at its end, carries on past its end
 *   (back-to-back phases of one incident) has no end to recover from: `continuedBy` names the window
 *   that carries on, and recovery is measured after that one.
 *
 * So two outages get two recovery points, each measured against what was normal before it.
 */
export interface FaultWindow {
  name: string;
  /** Clock ms, on the same clock as the series. */
  startMs: number;
  endMs: number;
}

export interface RecoveryResult extends FaultWindow {
  /** Ms from the window's end to the start of the hold that proved recovery; null: never recovered
   *  inside the run (or before the next fault window). */
  recoveryMs: number | null;
  /** The pre-fault success rate recovery is measured against (1 when there was no fault-free time before). */
  baselineSuccessRate: number;
  /** Another window whose faults carry on past this one's end (so this one has nothing to recover from). */
  continuedBy?: string;
}

export interface RecoveryRule {
  /** How far below the baseline a second may be and still count as recovered (0.05: 5 points). */
  marginFraction: number;
  /** How long the success rate must stay within the margin. */
  holdMs: number;
}

/** Five points: a 2% background error rate (the seed article's) moves seconds around well inside it. */
export const DEFAULT_RECOVERY_MARGIN = 0.05;
/** Ten seconds: long enough that one lucky second after an outage is not called a recovery. */
export const DEFAULT_RECOVERY_HOLD_MS = 10_000;
export const DEFAULT_RECOVERY_RULE: RecoveryRule = {
  marginFraction: DEFAULT_RECOVERY_MARGIN,
  holdMs: DEFAULT_RECOVERY_HOLD_MS,
};

export function recoveryTimes(
  series: SeriesJSON,
  windows: readonly FaultWindow[],
  rule: RecoveryRule = DEFAULT_RECOVERY_RULE,
): RecoveryResult[] {
  const completed = completedPerSecond(series);
  return windows.map((w) => {
    const baselineSuccessRate = baseline(series, completed, windows, w);
    const carriedOn = windows.find(
      (x) => x !== w && x.startMs >= w.startMs && x.startMs <= w.endMs && x.endMs > w.endMs,
    );
    const base = { name: w.name, startMs: w.startMs, endMs: w.endMs };
    if (carriedOn) return { ...base, recoveryMs: null, baselineSuccessRate, continuedBy: carriedOn.name };
    return {
      ...base,
      recoveryMs: recoveryAfter(
        series,
        completed,
        windows,
        w,
        baselineSuccessRate - rule.marginFraction,
        rule,
      ),
      baselineSuccessRate,
    };
  });
}

function baseline(
  series: SeriesJSON,
  completed: readonly number[],
  windows: readonly FaultWindow[],
  w: FaultWindow,
): number {
  let ok = 0;
  let total = 0;
  for (let s = 0; s < series.seconds; s++) {
    const fromMs = series.startMs + s * 1000;
    const toMs = fromMs + 1000;
    if (toMs > w.startMs) break;
    const touched = windows.some(
      (x) =>
        x !== w && !(x.startMs <= w.startMs && x.endMs >= w.endMs) && x.startMs < toMs && x.endMs > fromMs,
    );
    if (touched) continue;
    ok += series.succeeded[s]!;
    total += completed[s]!;
  }
  return total === 0 ? 1 : ok / total;
}

function recoveryAfter(
  series: SeriesJSON,
  completed: readonly number[],
  windows: readonly FaultWindow[],
  w: FaultWindow,
  floor: number,
  rule: RecoveryRule,
): number | null {
  const secondOf = (ms: number) => Math.floor((ms - series.startMs) / 1000);
  // The hold ends where the next fault starts: recovery from one outage is not measured in another.
  const nextStartMs = Math.min(
    ...windows.filter((x) => x !== w && x.startMs >= w.endMs).map((x) => x.startMs),
  );
  const limit = Number.isFinite(nextStartMs)
    ? Math.min(series.seconds, secondOf(nextStartMs))
    : series.seconds;
  const holdSeconds = Math.max(1, Math.ceil(rule.holdMs / 1000));
  const good = (s: number) => completed[s]! === 0 || series.succeeded[s]! / completed[s]! >= floor;
  let s = Math.max(0, secondOf(w.endMs));
  while (s < limit) {
    // A hold starts on a second that shows success, never on a quiet one.
    if (completed[s]! === 0 || !good(s)) {
      s++;
      continue;
    }
    let broken = -1;
    for (let k = s + 1; k < Math.min(s + holdSeconds, limit); k++) {
      if (!good(k)) {
        broken = k;
        break;
      }
    }
    if (broken < 0) return Math.max(0, series.startMs + s * 1000 - w.endMs);
    s = broken + 1;
  }
  return null;
}
