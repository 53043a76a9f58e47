import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downsampleMinMax, timeAxis } from '../../src/report/index.ts';

describe('timeAxis', () => {
  it.each([
    { seconds: 10, maxPoints: 100, bucketS: 1, points: 10 },
    { seconds: 100, maxPoints: 100, bucketS: 1, points: 100 },
    { seconds: 101, maxPoints: 100, bucketS: 3, points: 68 },
    { seconds: 7200, maxPoints: 1500, bucketS: 10, points: 1440 },
  ])(
    '$seconds s at most $maxPoints points: buckets of $bucketS s',
    ({ seconds, maxPoints, bucketS, points }) => {
      const axis = timeAxis(seconds, maxPoints);
      expect(axis.bucketS).toBe(bucketS);
      expect(axis.t).toHaveLength(points);
      expect(axis.t.length).toBeLessThanOrEqual(maxPoints);
      expect(axis.t).toEqual([...axis.t].sort((a, b) => a - b));
      expect(axis.t[axis.t.length - 1]!).toBeLessThan(seconds);
    },
  );
});

describe('downsampleMinMax', () => {
  it('passes seconds through unchanged when nothing needs merging (rounded)', () => {
    const axis = timeAxis(4, 10);
    expect(downsampleMinMax([1, 2.123456, null, 4], axis, 2)).toEqual([1, 2.12, null, 4]);
  });

  it('keeps a one-second spike and a one-second dip, in the order they happened', () => {
    const values = new Array<number>(1000).fill(50);
    values[437] = 900;
    values[436] = 3;
    const axis = timeAxis(values.length, 100);
    const out = downsampleMinMax(values, axis, 0);
    expect(out).toHaveLength(axis.t.length);
    expect(Math.max(...(out as number[]))).toBe(900);
    expect(Math.min(...(out as number[]))).toBe(3);
    const at = out.indexOf(3);
    expect(out[at + 1]).toBe(900);
  });

  it('skips nulls when looking for extremes; an all-null bucket stays null', () => {
    const values = [null, null, null, null, 5, null, 1, null];
    const axis = timeAxis(values.length, 4);
    expect(axis.bucketS).toBe(4);
    expect(downsampleMinMax(values, axis)).toEqual([null, null, 5, 1]);
  });

  it('property: every value drawn is a real value, and the global extremes always survive', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: null }), {
          minLength: 1,
          maxLength: 3000,
        }),
        fc.integer({ min: 2, max: 400 }),
        (values, maxPoints) => {
          const axis = timeAxis(values.length, maxPoints);
          const out = downsampleMinMax(values, axis, 0);
          expect(out).toHaveLength(axis.t.length);
          const real = values.filter((v): v is number => v !== null);
          const drawn = out.filter((v): v is number => v !== null);
          for (const v of drawn) expect(real).toContain(v);
          if (real.length > 0) {
            expect(Math.max(...drawn)).toBe(Math.max(...real));
            expect(Math.min(...drawn)).toBe(Math.min(...real));
          }
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
