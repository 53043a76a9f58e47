/**
 * Per-second series for drawing: a long run has more seconds than a chart has pixels, so seconds are
 * grouped into equal buckets and each bucket keeps its minimum and its maximum, in the order they
 * happened. A spike or a dip a single second long survives any zoom level, which an average or LTTB
 * pick could lose. Every column of a run shares one time axis (`t`), so columns stay aligned for
 * stacking and a chart can zip any of them with `t`.
 */
export interface TimeAxis {
  /** Seconds per bucket (1: nothing was merged). */
  bucketS: number;
  /** x positions in seconds from the start: two per bucket (start and middle) once merged. */
  t: number[];
}

/** Enough for a full-width chart at 2 px per point; keeps 6 strategies × 2 h well under 2 MB. */
export const DEFAULT_MAX_POINTS = 1500;

export function timeAxis(seconds: number, maxPoints = DEFAULT_MAX_POINTS): TimeAxis {
  if (seconds <= maxPoints) return { bucketS: 1, t: Array.from({ length: seconds }, (_, s) => s) };
  const bucketS = Math.ceil(seconds / Math.floor(maxPoints / 2));
  const t: number[] = [];
  for (let start = 0; start < seconds; start += bucketS) {
    const width = Math.min(bucketS, seconds - start);
    t.push(start, start + width / 2);
  }
  return { bucketS, t };
}

/**
 * One column on the axis. `decimals` rounds what is drawn (fractions need 4, counts none), which is
 * most of what keeps the embedded data small. Nulls (seconds with nothing to say) are skipped when
 * looking for extremes; a bucket with only nulls stays null.
 */
export function downsampleMinMax(
  values: ReadonlyArray<number | null>,
  axis: TimeAxis,
  decimals = 4,
): Array<number | null> {
  const round = (v: number | null): number | null => (v === null ? null : roundTo(v, decimals));
  if (axis.bucketS === 1) return axis.t.map((s) => round(values[s] ?? null));
  const out: Array<number | null> = [];
  for (let i = 0; i < axis.t.length; i += 2) {
    const start = axis.t[i]!;
    const end = Math.min(start + axis.bucketS, values.length);
    let minAt = -1;
    let maxAt = -1;
    for (let s = start; s < end; s++) {
      const v = values[s];
      if (v === null || v === undefined) continue;
      if (minAt < 0 || v < values[minAt]!) minAt = s;
      if (maxAt < 0 || v > values[maxAt]!) maxAt = s;
    }
    if (minAt < 0) {
      out.push(null, null);
    } else {
      const [first, second] = minAt <= maxAt ? [minAt, maxAt] : [maxAt, minAt];
      out.push(round(values[first]!), round(values[second]!));
    }
  }
  return out;
}

export function roundTo(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
