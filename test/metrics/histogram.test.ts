import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSquallError } from '../../src/errors.ts';
import { Histogram } from '../../src/metrics/histogram.ts';
import { Rng } from '../../src/sim/rng.ts';

/** Nearest-rank percentile of a sorted array: the definition the histogram approximates. */
function exactPercentile(sorted: readonly number[], p: number): number {
  if (p <= 0) return sorted[0]!;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Values are bucketed at whole µs, so allow 1 µs on top of the relative error. */
function relativeError(actual: number, expected: number): number {
  return Math.max(0, Math.abs(actual - expected) - 1) / expected;
}

const PERCENTILES = [1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99];

const distributions: Array<[string, (rng: Rng) => number]> = [
  ['lognormal latencies (median 300 ms, p99 5 s)', (rng) => rng.lognormal(300_000, 5_000_000)],
  ['uniform 1 µs to 60 s', (rng) => rng.uniform(1, 60_000_000)],
  ['exponential, mean 40 ms', (rng) => rng.exponential(40_000) + 1],
  ['log-uniform across 10 decades', (rng) => 10 ** rng.uniform(0, 10)],
];

describe('Histogram', () => {
  it.each(distributions)('percentiles of %s are within 1 %% of the exact sorted values', (_name, draw) => {
    const rng = new Rng('histogram-accuracy').fork(_name);
    const h = new Histogram();
    const values: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      const v = draw(rng);
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const p of PERCENTILES) {
      expect(relativeError(h.percentile(p), exactPercentile(values, p)), `p${p}`).toBeLessThanOrEqual(0.01);
    }
    expect(h.count).toBe(values.length);
    expect(h.min).toBe(values[0]);
    expect(h.max).toBe(values.at(-1));
    expect(h.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 3);
  });

  it('is within 0.4 % at the default precision and 1.6 % at 5 bits, for any data (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** 36 }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (values, p) => {
          const fine = new Histogram();
          const coarse = new Histogram({ subBucketBits: 5 });
          for (const v of values) {
            fine.record(v);
            coarse.record(v);
          }
          const exact = exactPercentile(
            [...values].sort((a, b) => a - b),
            p,
          );
          const tolerance = (bound: number) => (exact === 0 ? 0 : bound);
          expect(Math.abs(fine.percentile(p) - exact)).toBeLessThanOrEqual(exact * tolerance(1 / 256) + 0.5);
          expect(Math.abs(coarse.percentile(p) - exact)).toBeLessThanOrEqual(exact * tolerance(1 / 64) + 0.5);
        },
      ),
      { seed: 20260101, numRuns: 300 },
    );
  });

  it('puts a single sample in the same slot as a counted one, below and above 2^32 µs (property)', () => {
    // record(v) skips the checks for one sample under 2^32; record(v, 2) goes through them.
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.double({ min: 0, max: 2 ** 33, noNaN: true }), fc.integer({ min: 0, max: 300 })),
          {
            minLength: 1,
            maxLength: 200,
          },
        ),
        fc.integer({ min: 1, max: 12 }),
        (values, bits) => {
          const single = new Histogram({ subBucketBits: bits });
          const counted = new Histogram({ subBucketBits: bits });
          for (const v of values) {
            single.record(v);
            single.record(v);
            counted.record(v, 2);
          }
          // Slots, count, min and max exactly; the sum up to float rounding (it is added in another order).
          const { sumUs: a, ...slotsA } = single.toJSON();
          const { sumUs: b, ...slotsB } = counted.toJSON();
          expect(slotsA).toEqual(slotsB);
          expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, b));
        },
      ),
      { seed: 20261122, numRuns: 300 },
    );
  });

  it('reports exact small integers and nearest-rank percentiles (p99 of 1..100 is 99)', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(100)).toBe(100);
    expect(h.percentile(0)).toBe(1);
  });

  it('returns NaN statistics and an empty spectrum when nothing was recorded', () => {
    const h = new Histogram();
    expect(h.count).toBe(0);
    expect(h.percentile(50)).toBeNaN();
    expect(h.min).toBeNaN();
    expect(h.max).toBeNaN();
    expect(h.mean).toBeNaN();
    expect(h.spectrum()).toEqual([]);
  });

  it('records a count of samples at once, like recording them one by one', () => {
    const batched = new Histogram();
    const single = new Histogram();
    batched.record(1234, 3);
    batched.record(99_999, 2);
    for (let i = 0; i < 3; i++) single.record(1234);
    for (let i = 0; i < 2; i++) single.record(99_999);
    expect(batched.toJSON()).toEqual(single.toJSON());
  });

  it.each([
    ['negative', -1],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('rejects a %s value with ERR_SQUALL_INVALID_METRICS', (_name, value) => {
    const h = new Histogram();
    expect(() => h.record(value)).toThrow(expect.objectContaining({ code: 'ERR_SQUALL_INVALID_METRICS' }));
  });

  it('clamps values beyond 2^40 µs into the top bucket but keeps the exact max', () => {
    const h = new Histogram();
    h.record(1e15);
    h.record(1000);
    expect(h.max).toBe(1e15);
    expect(h.percentile(100)).toBe(1e15);
    expect(h.percentile(50)).toBeCloseTo(1000, -1);
    expect(h.allocatedBuckets).toBeLessThanOrEqual(Histogram.capacity());
  });

  it('merging two halves gives the same histogram as recording everything in one', () => {
    const rng = new Rng('merge');
    const whole = new Histogram();
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 0; i < 20_000; i++) {
      const v = Math.round(rng.lognormal(200_000, 3_000_000));
      whole.record(v);
      (i % 2 === 0 ? a : b).record(v);
    }
    a.merge(b);
    expect(a.toJSON()).toEqual(whole.toJSON());
    for (const p of PERCENTILES) expect(a.percentile(p)).toBe(whole.percentile(p));
  });

  it('merging an empty histogram changes nothing, and merging into an empty one copies', () => {
    const h = new Histogram();
    h.record(5000);
    const before = h.toJSON();
    h.merge(new Histogram());
    expect(h.toJSON()).toEqual(before);
    expect(new Histogram().merge(h).toJSON()).toEqual(before);
  });

  it('refuses to merge histograms of different precision', () => {
    expect(() => new Histogram().merge(new Histogram({ subBucketBits: 5 }))).toThrow(
      expect.objectContaining({ code: 'ERR_SQUALL_INVALID_METRICS' }),
    );
  });

  it('round-trips through JSON text with identical percentiles', () => {
    const rng = new Rng('json');
    const h = new Histogram();
    for (let i = 0; i < 10_000; i++) h.record(rng.lognormal(80_000, 900_000));
    const back = Histogram.fromJSON(JSON.parse(JSON.stringify(h)));
    expect(back.toJSON()).toEqual(h.toJSON());
    for (const p of PERCENTILES) expect(back.percentile(p)).toBe(h.percentile(p));
    expect(back.mean).toBe(h.mean);
  });

  it('serialises only non-empty buckets', () => {
    const h = new Histogram();
    for (let i = 0; i < 1000; i++) h.record(i % 2 === 0 ? 1500 : 2_000_000);
    h.record(7);
    expect(h.toJSON().counts).toEqual([7, 1, expect.any(Number), 500, expect.any(Number), 500]);
  });

  it('round-trips an empty histogram', () => {
    const json = new Histogram().toJSON();
    expect(json).toEqual({ subBucketBits: 7, count: 0, sumUs: 0, minUs: null, maxUs: null, counts: [] });
    expect(Histogram.fromJSON(json).count).toBe(0);
  });

  it.each([
    ['odd-length counts', { counts: [1] }],
    ['a slot beyond capacity', { counts: [1e9, 1], count: 1 }],
    ['a count that does not match the slots', { counts: [10, 2], count: 3 }],
  ])('fromJSON rejects %s', (_name, patch) => {
    const json = { ...new Histogram().toJSON(), ...patch };
    let error: unknown;
    try {
      Histogram.fromJSON(json);
    } catch (e) {
      error = e;
    }
    expect(isSquallError(error, 'ERR_SQUALL_INVALID_METRICS')).toBe(true);
  });

  it('spectrum halves the distance to 100 up to 99.99, ends at the max, and never decreases', () => {
    const rng = new Rng('spectrum');
    const h = new Histogram();
    for (let i = 0; i < 100_000; i++) h.record(rng.lognormal(300_000, 4_000_000));
    const points = h.spectrum();
    expect(points.slice(0, 5).map((p) => p.percentile)).toEqual([0, 50, 75, 87.5, 93.75]);
    expect(points.at(-2)!.percentile).toBe(99.99);
    expect(points.at(-1)).toEqual({ percentile: 100, valueUs: h.max });
    expect(points[0]).toEqual({ percentile: 0, valueUs: h.min });
    for (let i = 1; i < points.length; i++) {
      expect(points[i]!.percentile).toBeGreaterThan(points[i - 1]!.percentile);
      expect(points[i]!.valueUs).toBeGreaterThanOrEqual(points[i - 1]!.valueUs);
    }
    expect(points.every((p) => p.percentile <= 99.99 || p.percentile === 100)).toBe(true);
  });

  it('keeps memory fixed: a million more samples allocate no new buckets', () => {
    const rng = new Rng('memory');
    const h = new Histogram();
    const draw = () => 10 ** rng.uniform(0, 10.5);
    for (let i = 0; i < 1_000_000; i++) h.record(draw());
    const buckets = h.allocatedBuckets;
    const jsonSize = h.toJSON().counts.length;
    for (let i = 0; i < 1_000_000; i++) h.record(draw());
    expect(h.count).toBe(2_000_000);
    expect(h.allocatedBuckets).toBe(buckets);
    expect(h.allocatedBuckets).toBeLessThanOrEqual(Histogram.capacity());
    expect(h.toJSON().counts.length).toBeLessThanOrEqual(2 * Histogram.capacity());
    expect(jsonSize).toBeLessThanOrEqual(2 * Histogram.capacity());
  });

  it('allocates only the rows values land in', () => {
    const h = new Histogram();
    h.record(300_000);
    h.record(310_000);
    expect(h.allocatedBuckets).toBe(128);
  });
});
