/**
 * Counts over a sliding time window, kept in a fixed ring of buckets so memory never grows with traffic
 * (opossum's rollingCountBuckets idea). The window covers the current bucket plus the previous
 * `buckets − 1`, so it slides in steps of `windowMs / buckets`.
 */
export class RollingCounts {
  private readonly bucketMs: number;
  private readonly epochs: number[];
  private readonly totals: number[];
  private readonly flagged: number[];

  constructor(windowMs: number, buckets = 10) {
    this.bucketMs = windowMs / buckets;
    this.epochs = new Array<number>(buckets).fill(Number.NEGATIVE_INFINITY);
    this.totals = new Array<number>(buckets).fill(0);
    this.flagged = new Array<number>(buckets).fill(0);
  }

  /** Adds `total` events, `flagged` of them marked (failures, accepts…), at `nowMs`. */
  add(nowMs: number, total: number, flagged: number): void {
    const epoch = Math.floor(nowMs / this.bucketMs);
    const i = this.slot(epoch);
    if (this.epochs[i] !== epoch) {
      this.epochs[i] = epoch;
      this.totals[i] = 0;
      this.flagged[i] = 0;
    }
    this.totals[i]! += total;
    this.flagged[i]! += flagged;
  }

  /** Sums over the window ending at `nowMs`. */
  sum(nowMs: number): { total: number; flagged: number } {
    const current = Math.floor(nowMs / this.bucketMs);
    let total = 0;
    let flagged = 0;
    for (let i = 0; i < this.epochs.length; i++) {
      const e = this.epochs[i]!;
      if (e > current - this.epochs.length && e <= current) {
        total += this.totals[i]!;
        flagged += this.flagged[i]!;
      }
    }
    return { total, flagged };
  }

  reset(): void {
    this.epochs.fill(Number.NEGATIVE_INFINITY);
  }

  private slot(epoch: number): number {
    const n = this.epochs.length;
    return ((epoch % n) + n) % n;
  }
}
