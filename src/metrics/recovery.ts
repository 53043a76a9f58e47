import { completedPerSecond, type SeriesJSON } from './series.ts';

/**
 * Time to recover after a fault window: how long after the window ends until the per-second success
 * rate of completed logical requests is at or above the threshold and stays there for the rest of
 * the run. Seconds in which nothing completed say nothing either way and are skipped.
 */
export interface FaultWindow {
  name: string;
  /** Clock ms, on the same clock as the series. */
  startMs: number;
  endMs: number;
}

export interface RecoveryResult extends FaultWindow {
  /** Ms from the window's end to the start of the first second of lasting success; null if the run
   *  never got there (or nothing completed after the window). */
  recoveryMs: number | null;
}

/** The article's 2 % baseline error rate sits well inside this, so noise does not look like an outage. */
export const DEFAULT_RECOVERY_SUCCESS_THRESHOLD = 0.95;

export function recoveryTimes(
  series: SeriesJSON,
  windows: readonly FaultWindow[],
  threshold = DEFAULT_RECOVERY_SUCCESS_THRESHOLD,
): RecoveryResult[] {
  const completed = completedPerSecond(series);
  return windows.map((w) => ({
    name: w.name,
    startMs: w.startMs,
    endMs: w.endMs,
    recoveryMs: recoveryAfter(series, completed, w.endMs, threshold),
  }));
}

function recoveryAfter(
  series: SeriesJSON,
  completed: number[],
  endMs: number,
  threshold: number,
): number | null {
  const seriesEndMs = series.startMs + series.seconds * 1000;
  if (endMs >= seriesEndMs) return null;
  const firstSecond = Math.max(0, Math.floor((endMs - series.startMs) / 1000));
  // Walk back from the end to the last bad second; lasting success starts at the next second with data.
  let from = firstSecond;
  for (let s = series.seconds - 1; s >= firstSecond; s--) {
    const total = completed[s]!;
    if (total > 0 && series.succeeded[s]! / total < threshold) {
      from = s + 1;
      break;
    }
  }
  for (let s = from; s < series.seconds; s++) {
    if (completed[s]! > 0) return Math.max(0, series.startMs + s * 1000 - endMs);
  }
  return null;
}
