import { SquallError } from '../errors.ts';
import { FAILURE_CLASSES, type FailureClass } from './failure-class.ts';

/**
 * Per-second columns for one strategy's run, sized once from the longest the run can last (its duration
 * plus its drain) so memory never grows with traffic, and every second of the run has its own slot:
 * nothing is folded into the last second. `toJSON(untilMs)` cuts the columns where the run really ended.
 * Events outside the span are clamped into the first or last second, so nothing recorded is dropped.
 *
 * Counters count events in the second they happen. Gauges (in flight, queue depth, bucket level) are
 * levels: a second with no change still reports the level carried in from before, and max/min
 * include that carried level, so a quiet second never reads as zero.
 */
export interface SeriesOptions {
  /** Clock ms of second 0. */
  startMs: number;
  /** Longest the run can last (duration plus drain); the series has ceil(durationMs / 1000) seconds (at least one). */
  durationMs: number;
}

/** Plain-data form: one number per second in every column. */
export interface SeriesJSON {
  startMs: number;
  seconds: number;
  /** Logical requests whose intended arrival falls in the second. */
  offered: number[];
  /** Attempts started. */
  attempted: number[];
  /** Attempts that ended with a 2xx the client kept (abandoned ones excluded). */
  attemptsSucceeded: number[];
  /** Logical requests that completed successfully. */
  succeeded: number[];
  /** Logical requests that completed with a failure, by class. */
  failed: Record<FailureClass, number[]>;
  /** Max logical requests in flight during the second. */
  inFlight: number[];
  /** Max attempts outstanding at the upstream during the second. */
  attemptsInFlight: number[];
  /** Fraction of the second the breaker spent open (0–1). */
  breakerOpen: number[];
  /** Fraction of the second the breaker spent half-open (0–1). */
  breakerHalfOpen: number[];
  /** Max queue or limiter depth during the second. */
  queueDepth: number[];
  /** Min upstream request-bucket level seen in the second; null before the first sample. */
  bucketRemainingRequests: Array<number | null>;
}

/** Longest series we allocate (a week); a longer run is almost certainly a unit mistake. */
export const MAX_SERIES_SECONDS = 7 * 24 * 3600;

export type BreakerState = 'open' | 'half_open' | 'closed';

export class SecondSeries {
  readonly startMs: number;
  readonly seconds: number;
  private readonly offered: Uint32Array;
  private readonly attempted: Uint32Array;
  private readonly attemptsSucceeded: Uint32Array;
  private readonly succeeded: Uint32Array;
  private readonly failed: Record<FailureClass, Uint32Array>;
  private readonly inFlight: MaxGauge;
  private readonly attemptsInFlight: MaxGauge;
  private readonly queueDepth: MaxGauge;
  private readonly bucketRemaining: MinGauge;
  private readonly breakerOpen: Float64Array;
  private readonly breakerHalfOpen: Float64Array;
  private breakerState: BreakerState = 'closed';
  private breakerSinceMs: number;

  constructor(options: SeriesOptions) {
    const { startMs, durationMs } = options;
    if (!Number.isFinite(startMs) || !Number.isFinite(durationMs) || durationMs < 0) {
      throw new SquallError(
        'ERR_SQUALL_INVALID_METRICS',
        `series needs a finite start and a duration ≥ 0, got start ${startMs} ms, duration ${durationMs} ms`,
      );
    }
    const seconds = Math.max(1, Math.ceil(durationMs / 1000));
    if (seconds > MAX_SERIES_SECONDS) {
      throw new SquallError('ERR_SQUALL_INVALID_METRICS', `series of ${seconds} s is longer than a week`, {
        hint: 'durations are in milliseconds; check the run duration',
      });
    }
    this.startMs = startMs;
    this.seconds = seconds;
    this.offered = new Uint32Array(seconds);
    this.attempted = new Uint32Array(seconds);
    this.attemptsSucceeded = new Uint32Array(seconds);
    this.succeeded = new Uint32Array(seconds);
    this.failed = Object.fromEntries(FAILURE_CLASSES.map((c) => [c, new Uint32Array(seconds)])) as Record<
      FailureClass,
      Uint32Array
    >;
    this.inFlight = new MaxGauge(seconds);
    this.attemptsInFlight = new MaxGauge(seconds);
    this.queueDepth = new MaxGauge(seconds);
    this.bucketRemaining = new MinGauge(seconds);
    this.breakerOpen = new Float64Array(seconds);
    this.breakerHalfOpen = new Float64Array(seconds);
    this.breakerSinceMs = startMs;
  }

  /** Clock ms at which the last second ends. */
  get endMs(): number {
    return this.startMs + this.seconds * 1000;
  }

  /** Index of the second containing `atMs`, clamped into the series. */
  secondOf(atMs: number): number {
    const s = Math.floor((atMs - this.startMs) / 1000);
    return s < 0 ? 0 : s >= this.seconds ? this.seconds - 1 : s;
  }

  countOffered(atMs: number): void {
    this.offered[this.secondOf(atMs)]!++;
  }

  countAttempted(atMs: number): void {
    this.attempted[this.secondOf(atMs)]!++;
  }

  countAttemptSucceeded(atMs: number): void {
    this.attemptsSucceeded[this.secondOf(atMs)]!++;
  }

  countSucceeded(atMs: number): void {
    this.succeeded[this.secondOf(atMs)]!++;
  }

  countFailed(atMs: number, failureClass: FailureClass): void {
    this.failed[failureClass][this.secondOf(atMs)]!++;
  }

  setInFlight(atMs: number, level: number): void {
    this.inFlight.set(this.secondOf(atMs), level);
  }

  setAttemptsInFlight(atMs: number, level: number): void {
    this.attemptsInFlight.set(this.secondOf(atMs), level);
  }

  setQueueDepth(atMs: number, depth: number): void {
    this.queueDepth.set(this.secondOf(atMs), depth);
  }

  sampleBucketRemaining(atMs: number, remainingRequests: number): void {
    this.bucketRemaining.set(this.secondOf(atMs), remainingRequests);
  }

  /** The breaker changed state at `atMs`; time in each state is spread over the seconds it covers. */
  setBreakerState(atMs: number, state: BreakerState): void {
    const at = Math.max(atMs, this.breakerSinceMs);
    addStateTime(this, this.breakerOpen, this.breakerHalfOpen, this.breakerState, this.breakerSinceMs, at);
    this.breakerState = state;
    this.breakerSinceMs = at;
  }

  /**
   * The columns up to the second containing `untilMs` (default: every second). The run ends when its
   * last request finished or its drain ran out, which may be well before the series' capacity.
   */
  toJSON(untilMs = this.endMs): SeriesJSON {
    const n = Math.min(this.seconds, Math.max(1, Math.ceil((untilMs - this.startMs) / 1000)));
    const cut = <T>(xs: ArrayLike<T>): T[] => Array.prototype.slice.call(xs, 0, n) as T[];
    // The current breaker state lasts to the end of the series; add it to copies so toJSON stays pure.
    const open = Float64Array.from(this.breakerOpen);
    const halfOpen = Float64Array.from(this.breakerHalfOpen);
    addStateTime(this, open, halfOpen, this.breakerState, this.breakerSinceMs, this.endMs);
    const failed = Object.fromEntries(FAILURE_CLASSES.map((c) => [c, cut(this.failed[c])])) as Record<
      FailureClass,
      number[]
    >;
    return {
      startMs: this.startMs,
      seconds: n,
      offered: cut(this.offered),
      attempted: cut(this.attempted),
      attemptsSucceeded: cut(this.attemptsSucceeded),
      succeeded: cut(this.succeeded),
      failed,
      inFlight: cut(this.inFlight.values()),
      attemptsInFlight: cut(this.attemptsInFlight.values()),
      breakerOpen: cut(Array.from(open, roundFraction)),
      breakerHalfOpen: cut(Array.from(halfOpen, roundFraction)),
      queueDepth: cut(this.queueDepth.values()),
      bucketRemainingRequests: cut(this.bucketRemaining.values()),
    };
  }
}

/** Logical requests that completed (successfully or not) in each second. */
export function completedPerSecond(series: SeriesJSON): number[] {
  const total = series.succeeded.slice();
  for (const c of FAILURE_CLASSES) {
    const column = series.failed[c];
    for (let s = 0; s < total.length; s++) total[s]! += column[s] ?? 0;
  }
  return total;
}

function addStateTime(
  series: SecondSeries,
  open: Float64Array,
  halfOpen: Float64Array,
  state: BreakerState,
  fromMs: number,
  toMs: number,
): void {
  if (state === 'closed') return;
  const target = state === 'open' ? open : halfOpen;
  const from = Math.max(fromMs, series.startMs);
  const to = Math.min(toMs, series.endMs);
  for (let s = series.secondOf(from); from < to && s < series.seconds; s++) {
    const secondStart = series.startMs + s * 1000;
    const overlap = Math.min(to, secondStart + 1000) - Math.max(from, secondStart);
    if (overlap <= 0) break;
    target[s]! += overlap / 1000;
  }
}

/** Fractions are sums of float ms; round off the dust so 1 reads as 1 in result.json. */
function roundFraction(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Max of a level per second, carrying the level across seconds with no change. */
class MaxGauge {
  private readonly max: Float64Array;
  private level = 0;
  private lastSecond = -1;

  constructor(seconds: number) {
    this.max = new Float64Array(seconds);
  }

  set(second: number, level: number): void {
    for (let s = this.lastSecond + 1; s <= second; s++) this.max[s] = Math.max(this.max[s]!, this.level);
    if (level > this.max[second]!) this.max[second] = level;
    this.level = level;
    if (second > this.lastSecond) this.lastSecond = second;
  }

  values(): number[] {
    const out = Array.from(this.max);
    for (let s = this.lastSecond + 1; s < out.length; s++) out[s] = Math.max(out[s]!, this.level);
    return out;
  }
}

/** Min of a sampled level per second; NaN (null in JSON) until the first sample. */
class MinGauge {
  private readonly min: Float64Array;
  private level = Number.NaN;
  private lastSecond = -1;

  constructor(seconds: number) {
    this.min = new Float64Array(seconds).fill(Number.NaN);
  }

  set(second: number, level: number): void {
    for (let s = this.lastSecond + 1; s <= second; s++) this.min[s] = minKnown(this.min[s]!, this.level);
    this.min[second] = minKnown(this.min[second]!, level);
    this.level = level;
    if (second > this.lastSecond) this.lastSecond = second;
  }

  values(): Array<number | null> {
    const out: Array<number | null> = [];
    for (let s = 0; s < this.min.length; s++) {
      const v = s > this.lastSecond ? minKnown(this.min[s]!, this.level) : this.min[s]!;
      out.push(Number.isNaN(v) ? null : v);
    }
    return out;
  }
}

function minKnown(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.min(a, b);
}
