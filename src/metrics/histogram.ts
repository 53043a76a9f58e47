import { SquallError } from '../errors.ts';

/**
 * A log-bucketed histogram in the HdrHistogram layout, in microseconds.
 *
 * Values are bucketed by power of two, and every power of two is split into `2^subBucketBits` linear
 * slots, so a slot is never wider than `1 / 2^subBucketBits` of its value. Percentiles report the
 * middle of the slot, which halves that again: the default (7 bits) is within 0.4 % of the exact
 * sample, comfortably inside the 3 significant digits latency reports need.
 *
 * Memory is bounded by the layout, not by the number of samples: rows (one per power of two) are
 * allocated the first time a value lands in them, and there are at most `40 − subBucketBits` of them,
 * because values are clamped at 2^40 µs (about 12.7 days). Histograms with the same `subBucketBits`
 * merge by adding counts, which is how percentiles are combined across intervals and runs instead of
 * being averaged.
 *
 * @example
 * const h = new Histogram();
 * h.record(1_250); // 1.25 ms
 * h.percentile(99); // µs
 */
export interface HistogramOptions {
  /** Linear slots per power of two, as a power of two. 7 → ≤ 0.4 % error; 5 → ≤ 1.6 %. Default 7. */
  subBucketBits?: number;
}

/** Compact, JSON-safe form: only non-empty slots, as `[slotIndex, count, slotIndex, count, …]`. */
export interface HistogramJSON {
  subBucketBits: number;
  count: number;
  sumUs: number;
  minUs: number | null;
  maxUs: number | null;
  counts: number[];
}

export interface SpectrumPoint {
  /** 0–100. */
  percentile: number;
  valueUs: number;
}

export const DEFAULT_SUB_BUCKET_BITS = 7;
/** Values at or above 2^40 µs (about 12.7 days) are clamped into the top slot. */
const MAX_EXPONENT = 40;
const MAX_TRACKABLE_US = 2 ** MAX_EXPONENT - 1;
const TWO_POW_32 = 2 ** 32;
/** The spectrum stops halving here, then adds this point and the max (HdrHistogram's usual chart). */
const SPECTRUM_LAST_PERCENTILE = 99.99;

export class Histogram {
  readonly subBucketBits: number;
  /** Row 0 holds [0, 2^(bits+1)) at 1 µs resolution; row r ≥ 1 holds [2^(bits+r), 2^(bits+r+1)). */
  private readonly rows: Array<Float64Array | undefined>;
  private readonly halfCount: number;
  private total = 0;
  private sumUs = 0;
  private minUs = Number.POSITIVE_INFINITY;
  private maxUs = Number.NEGATIVE_INFINITY;

  constructor(options: HistogramOptions = {}) {
    const bits = options.subBucketBits ?? DEFAULT_SUB_BUCKET_BITS;
    if (!Number.isInteger(bits) || bits < 1 || bits > 12) {
      throw new SquallError(
        'ERR_SQUALL_INVALID_METRICS',
        `histogram subBucketBits must be 1–12, got ${bits}`,
      );
    }
    this.subBucketBits = bits;
    this.halfCount = 2 ** bits;
    this.rows = new Array<Float64Array | undefined>(MAX_EXPONENT - bits).fill(undefined);
  }

  /** Most slots this histogram can ever allocate, whatever it records. */
  static capacity(subBucketBits = DEFAULT_SUB_BUCKET_BITS): number {
    return 2 ** (subBucketBits + 1) + (MAX_EXPONENT - subBucketBits - 1) * 2 ** subBucketBits;
  }

  /** Records `count` samples of `valueUs` (fractions of a µs are kept in the mean, not the buckets). */
  record(valueUs: number, count = 1): void {
    // One sample below 2^32 µs (71 minutes), the common case, skips the checks: a simulated run records
    // several samples per request, millions in all.
    if (!(count === 1 && valueUs >= 0 && valueUs < TWO_POW_32)) {
      if (!Number.isFinite(valueUs) || valueUs < 0) {
        throw new SquallError(
          'ERR_SQUALL_INVALID_METRICS',
          `histogram values must be finite and ≥ 0, got ${valueUs}`,
          {
            hint: 'latencies are measured from the intended arrival time; a negative one means the clock went backwards',
          },
        );
      }
      if (!Number.isInteger(count) || count < 0) {
        throw new SquallError(
          'ERR_SQUALL_INVALID_METRICS',
          `histogram counts must be whole and ≥ 0, got ${count}`,
        );
      }
      if (count === 0) return;
    }
    const v = Math.min(Math.floor(valueUs), MAX_TRACKABLE_US);
    const half = this.halfCount;
    let row = 0;
    let slot = v;
    if (v >= 2 * half) {
      // 32-bit integer arithmetic below 2^32, where nearly every value falls.
      const small = v < TWO_POW_32;
      const exponent = small ? 31 - Math.clz32(v) : 63 - Math.clz32(Math.floor(v / TWO_POW_32));
      row = exponent - this.subBucketBits;
      slot = (small ? v >>> row : Math.floor(v / 2 ** row)) - half;
    }
    (this.rows[row] ?? this.rowFor(row))[slot]! += count;
    this.total += count;
    this.sumUs += valueUs * count;
    if (valueUs < this.minUs) this.minUs = valueUs;
    if (valueUs > this.maxUs) this.maxUs = valueUs;
  }

  get count(): number {
    return this.total;
  }

  /** Exact smallest sample, NaN when empty. */
  get min(): number {
    return this.total === 0 ? Number.NaN : this.minUs;
  }

  /** Exact largest sample, NaN when empty. */
  get max(): number {
    return this.total === 0 ? Number.NaN : this.maxUs;
  }

  /** Exact mean, NaN when empty. */
  get mean(): number {
    return this.total === 0 ? Number.NaN : this.sumUs / this.total;
  }

  /** Slots allocated so far (bounded by {@link Histogram.capacity}). */
  get allocatedBuckets(): number {
    let n = 0;
    for (const row of this.rows) n += row?.length ?? 0;
    return n;
  }

  /**
   * The nearest-rank percentile (the smallest recorded value with at least p % of samples at or below
   * it), as the middle of its slot clamped to [min, max]. NaN when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return Number.NaN;
    if (!(p > 0)) return this.minUs;
    if (p >= 100) return this.maxUs;
    // The epsilon keeps p=99 of 100 samples at rank 99 despite 0.99 * 100 = 99.00000000000001.
    const rank = Math.max(1, Math.ceil((p / 100) * this.total - 1e-9));
    let seen = 0;
    for (let r = 0; r < this.rows.length; r++) {
      const row = this.rows[r];
      if (row === undefined) continue;
      for (let slot = 0; slot < row.length; slot++) {
        seen += row[slot]!;
        if (seen >= rank) return this.clamp(this.representative(r, slot));
      }
    }
    return this.maxUs;
  }

  /** Adds another histogram's samples to this one. Both must share `subBucketBits`. */
  merge(other: Histogram): this {
    if (other.subBucketBits !== this.subBucketBits) {
      throw new SquallError(
        'ERR_SQUALL_INVALID_METRICS',
        `cannot merge histograms with subBucketBits ${other.subBucketBits} into ${this.subBucketBits}`,
      );
    }
    if (other.total === 0) return this;
    other.rows.forEach((row, r) => {
      if (row === undefined) return;
      const mine = this.rowFor(r);
      for (let i = 0; i < row.length; i++) mine[i]! += row[i]!;
    });
    this.total += other.total;
    this.sumUs += other.sumUs;
    this.minUs = Math.min(this.minUs, other.minUs);
    this.maxUs = Math.max(this.maxUs, other.maxUs);
    return this;
  }

  /**
   * Percentile spectrum for a log-axis chart: p = 0, 50, 75, 87.5, … (halving the distance to 100 each
   * step) up to 99.99, then the max. Empty when nothing was recorded.
   */
  spectrum(): SpectrumPoint[] {
    if (this.total === 0) return [];
    const points: SpectrumPoint[] = [{ percentile: 0, valueUs: this.minUs }];
    for (let remaining = 50; 100 - remaining < SPECTRUM_LAST_PERCENTILE; remaining /= 2) {
      const percentile = 100 - remaining;
      points.push({ percentile, valueUs: this.percentile(percentile) });
    }
    points.push({ percentile: SPECTRUM_LAST_PERCENTILE, valueUs: this.percentile(SPECTRUM_LAST_PERCENTILE) });
    points.push({ percentile: 100, valueUs: this.maxUs });
    return points;
  }

  toJSON(): HistogramJSON {
    const counts: number[] = [];
    let offset = 0;
    for (let r = 0; r < this.rows.length; r++) {
      const row = this.rows[r];
      const length = this.rowLength(r);
      if (row !== undefined) {
        for (let slot = 0; slot < row.length; slot++)
          if (row[slot]! > 0) counts.push(offset + slot, row[slot]!);
      }
      offset += length;
    }
    return {
      subBucketBits: this.subBucketBits,
      count: this.total,
      sumUs: this.sumUs,
      minUs: this.total === 0 ? null : this.minUs,
      maxUs: this.total === 0 ? null : this.maxUs,
      counts,
    };
  }

  static fromJSON(json: HistogramJSON): Histogram {
    const h = new Histogram({ subBucketBits: json.subBucketBits });
    if (json.counts.length % 2 !== 0) {
      throw new SquallError(
        'ERR_SQUALL_INVALID_METRICS',
        'histogram counts must be [slotIndex, count] pairs',
      );
    }
    const capacity = Histogram.capacity(json.subBucketBits);
    let total = 0;
    for (let i = 0; i < json.counts.length; i += 2) {
      const index = json.counts[i]!;
      const count = json.counts[i + 1]!;
      if (!Number.isInteger(index) || index < 0 || index >= capacity || !(count >= 0)) {
        throw new SquallError(
          'ERR_SQUALL_INVALID_METRICS',
          `histogram slot ${index} (count ${count}) is out of range`,
        );
      }
      const { row, slot } = h.unflatten(index);
      h.rowFor(row)[slot]! += count;
      total += count;
    }
    if (total !== json.count) {
      throw new SquallError(
        'ERR_SQUALL_INVALID_METRICS',
        `histogram says count ${json.count} but its slots add up to ${total}`,
      );
    }
    h.total = total;
    h.sumUs = json.sumUs;
    h.minUs = json.minUs ?? Number.POSITIVE_INFINITY;
    h.maxUs = json.maxUs ?? Number.NEGATIVE_INFINITY;
    return h;
  }

  private unflatten(index: number): { row: number; slot: number } {
    const first = 2 * this.halfCount;
    if (index < first) return { row: 0, slot: index };
    const rest = index - first;
    return { row: 1 + Math.floor(rest / this.halfCount), slot: rest % this.halfCount };
  }

  /** Middle of the slot's integer range [lo, lo + width − 1]. */
  private representative(row: number, slot: number): number {
    if (row === 0) return slot;
    const width = 2 ** row;
    return (this.halfCount + slot) * width + (width - 1) / 2;
  }

  private clamp(valueUs: number): number {
    return Math.min(this.maxUs, Math.max(this.minUs, valueUs));
  }

  private rowLength(row: number): number {
    return row === 0 ? 2 * this.halfCount : this.halfCount;
  }

  private rowFor(row: number): Float64Array {
    let r = this.rows[row];
    if (r === undefined) {
      r = new Float64Array(this.rowLength(row));
      this.rows[row] = r;
    }
    return r;
  }
}
