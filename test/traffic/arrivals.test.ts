import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng.ts';
import {
  type ArrivalSpec,
  arrivalTimes,
  expectedArrivals,
  validateArrivals,
} from '../../src/traffic/arrivals/index.ts';

const MIN = 60_000;
const HOUR = 3_600_000;

function times(spec: ArrivalSpec, durationMs: number, seed = 'arrivals-test'): number[] {
  return [...arrivalTimes(spec, durationMs, new Rng(seed).fork('arrivals'))];
}

function gaps(ts: number[]): number[] {
  return ts.slice(1).map((t, i) => t - ts[i]!);
}

function countIn(ts: number[], fromMs: number, toMs: number): number {
  return ts.filter((t) => t >= fromMs && t < toMs).length;
}

describe('constant arrivals', () => {
  it('2000/min for 2 h is exactly 240,000 requests, 30 ms apart, the first at 0', () => {
    const ts = times({ kind: 'constant', ratePerSec: 2000 / 60 }, 2 * HOUR);
    expect(ts).toHaveLength(240_000);
    expect(ts[0]).toBe(0);
    expect(ts.at(-1)).toBe(2 * HOUR - 30);
    expect(gaps(ts).every((g) => g === 30)).toBe(true);
    expect(expectedArrivals({ kind: 'constant', ratePerSec: 2000 / 60 }, 2 * HOUR)).toBeCloseTo(240_000, 6);
  });

  it.each([
    [7, 1000, 7],
    [3, 2500, 8],
    [0.5, 10_000, 5],
  ])(
    '%d/s over %d ms gives %d arrivals (a partial gap at the end does not count)',
    (ratePerSec, durationMs, n) => {
      expect(times({ kind: 'constant', ratePerSec }, durationMs)).toHaveLength(n);
    },
  );

  it('does not depend on the seed', () => {
    const spec: ArrivalSpec = { kind: 'constant', ratePerSec: 13 };
    expect(times(spec, MIN, 'a')).toEqual(times(spec, MIN, 'b'));
  });
});

describe('Poisson arrivals', () => {
  const spec: ArrivalSpec = { kind: 'poisson', ratePerSec: 10 };
  const ts = times(spec, HOUR);

  it('the count is within 3σ of rate × duration', () => {
    const mean = 36_000;
    expect(Math.abs(ts.length - mean)).toBeLessThan(3 * Math.sqrt(mean));
  });

  it('gaps are exponential: mean 1/rate, coefficient of variation ≈ 1, median = mean · ln 2', () => {
    const g = gaps(ts);
    const mean = g.reduce((a, b) => a + b, 0) / g.length;
    const sd = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length);
    expect(mean).toBeGreaterThan(98);
    expect(mean).toBeLessThan(102);
    expect(sd / mean).toBeGreaterThan(0.97);
    expect(sd / mean).toBeLessThan(1.03);
    const belowMedian = g.filter((x) => x < 100 * Math.LN2).length / g.length;
    expect(belowMedian).toBeGreaterThan(0.49);
    expect(belowMedian).toBeLessThan(0.51);
  });

  it('the same seed gives the same arrivals; another seed different ones', () => {
    expect(times(spec, MIN, 'seed-1')).toEqual(times(spec, MIN, 'seed-1'));
    expect(times(spec, MIN, 'seed-1')).not.toEqual(times(spec, MIN, 'seed-2'));
  });

  it('constant with poisson: true is the same process', () => {
    expect(times({ kind: 'constant', ratePerSec: 10, poisson: true }, MIN)).toEqual(times(spec, MIN));
  });
});

describe('ramping arrivals (k6 ramping-arrival-rate)', () => {
  // 0 → 100/s over 10 min, hold 10 min, 100/s → 0 over 5 min: 30,000 + 60,000 + 15,000.
  const spec: ArrivalSpec = {
    kind: 'ramping',
    startRatePerSec: 0,
    stages: [
      { durationMs: 10 * MIN, targetRatePerSec: 100 },
      { durationMs: 10 * MIN, targetRatePerSec: 100 },
      { durationMs: 5 * MIN, targetRatePerSec: 0 },
    ],
  };

  it('integrates the rate: the count is the area under the stages', () => {
    expect(expectedArrivals(spec, 25 * MIN)).toBeCloseTo(105_000, 6);
    const ts = times(spec, 25 * MIN);
    expect(Math.abs(ts.length - 105_000)).toBeLessThanOrEqual(1);
  });

  it('follows the ramp: the first minute gets 300 (rate 0 → 10/s), the held stage 100/s', () => {
    const ts = times(spec, 25 * MIN);
    expect(Math.abs(countIn(ts, 0, MIN) - 300)).toBeLessThanOrEqual(1);
    expect(countIn(ts, 12 * MIN, 13 * MIN)).toBe(6000);
    // Ramp down 100 → 0 over 5 min: the last minute averages 10/s.
    expect(Math.abs(countIn(ts, 24 * MIN, 25 * MIN) - 600)).toBeLessThanOrEqual(1);
  });

  it('ends with the last stage, like k6, even when the run is longer', () => {
    const ts = times(
      { kind: 'ramping', startRatePerSec: 5, stages: [{ durationMs: MIN, targetRatePerSec: 5 }] },
      HOUR,
    );
    expect(ts).toHaveLength(300);
    expect(ts.at(-1)!).toBeLessThan(MIN);
  });

  it('is cut at the run duration mid-stage', () => {
    expect(times(spec, 5 * MIN)).toHaveLength(7500); // 0 → 50/s over 5 min
  });

  it('with poisson: true keeps the mean and becomes random', () => {
    const ts = times({ ...spec, poisson: true }, 25 * MIN);
    expect(Math.abs(ts.length - 105_000)).toBeLessThan(3 * Math.sqrt(105_000));
    expect(Math.abs(countIn(ts, 12 * MIN, 13 * MIN) - 6000)).toBeLessThan(4 * Math.sqrt(6000));
    expect(ts).not.toEqual(times(spec, 25 * MIN));
  });
});

describe('spike arrivals (flash sale)', () => {
  const base: ArrivalSpec = { kind: 'spike', baseRatePerSec: 10, spikes: [] };
  const sale: ArrivalSpec = {
    kind: 'spike',
    baseRatePerSec: 10,
    spikes: [{ atMs: 2 * MIN, durationMs: MIN, ratePerSec: 200 }],
  };

  it('adds (spike rate − base rate) × spike duration on top of the base', () => {
    const without = times(base, 10 * MIN).length;
    const withSpike = times(sale, 10 * MIN);
    expect(without).toBe(6000);
    expect(withSpike.length - without).toBe(190 * 60);
    expect(countIn(withSpike, 2 * MIN, 3 * MIN)).toBe(12_000);
    expect(countIn(withSpike, 0, 2 * MIN)).toBe(1200);
  });

  it('starts from nothing when the base rate is 0', () => {
    const ts = times(
      { kind: 'spike', baseRatePerSec: 0, spikes: [{ atMs: 5000, durationMs: 1000, ratePerSec: 50 }] },
      MIN,
    );
    expect(ts).toHaveLength(50);
    expect(ts[0]).toBe(5000);
    expect(ts.at(-1)!).toBeLessThan(6000);
  });

  it('rejects overlapping spikes, naming both', () => {
    const overlap: ArrivalSpec = {
      kind: 'spike',
      baseRatePerSec: 1,
      spikes: [
        { atMs: 0, durationMs: MIN, ratePerSec: 5 },
        { atMs: 30_000, durationMs: MIN, ratePerSec: 5 },
      ],
    };
    expect(() => validateArrivals(overlap)).toThrow(/spikes\.1.*overlaps spike 0/);
  });
});

describe('burst arrivals', () => {
  it('puts all N requests at one instant', () => {
    const ts = times({ kind: 'burst', count: 500, atMs: 30_000 }, MIN);
    expect(ts).toHaveLength(500);
    expect(new Set(ts)).toEqual(new Set([30_000]));
  });

  it('yields nothing when the burst falls after the run', () => {
    expect(times({ kind: 'burst', count: 5, atMs: MIN }, MIN)).toEqual([]);
    expect(expectedArrivals({ kind: 'burst', count: 5, atMs: MIN }, MIN)).toBe(0);
  });
});

describe('daily curve', () => {
  const day = 24 * HOUR;
  const spec: ArrivalSpec = { kind: 'daily', meanRatePerSec: 2, amplitude: 0.8, peakAtMs: 14.5 * HOUR };

  it('a whole period averages the mean rate', () => {
    const ts = times(spec, day);
    expect(Math.abs(ts.length - 2 * 86_400)).toBeLessThanOrEqual(2);
  });

  it('peaks in the hour of peakAt and bottoms out twelve hours away', () => {
    const ts = times(spec, day);
    const perHour = Array.from({ length: 24 }, (_, h) => countIn(ts, h * HOUR, (h + 1) * HOUR));
    expect(perHour.indexOf(Math.max(...perHour))).toBe(14);
    expect(perHour.indexOf(Math.min(...perHour))).toBe(2);
    // rate(14.5 h) = 2 · 1.8 = 3.6/s; the peak hour averages a little less than that.
    expect(perHour[14]! / 3600).toBeGreaterThan(3.5);
    expect(perHour[14]! / 3600).toBeLessThan(3.6);
  });

  it('defaults to a 24 h period peaking at midday', () => {
    const ts = times({ kind: 'daily', meanRatePerSec: 1, amplitude: 1 }, day);
    const perHour = Array.from({ length: 24 }, (_, h) => countIn(ts, h * HOUR, (h + 1) * HOUR));
    expect(Math.max(perHour[11]!, perHour[12]!)).toBe(Math.max(...perHour));
    expect(perHour[0]! + perHour[23]!).toBeLessThan(0.05 * perHour[12]!);
  });

  it('a short period repeats: 3 periods of 1 h average the mean', () => {
    const ts = times({ kind: 'daily', meanRatePerSec: 5, amplitude: 0.5, periodMs: HOUR }, 3 * HOUR);
    expect(Math.abs(ts.length - 54_000)).toBeLessThanOrEqual(2);
  });
});

describe('every process', () => {
  const specs: ArrivalSpec[] = [
    { kind: 'constant', ratePerSec: 3 },
    { kind: 'poisson', ratePerSec: 3 },
    {
      kind: 'ramping',
      startRatePerSec: 1,
      stages: [{ durationMs: 30_000, targetRatePerSec: 9 }],
      poisson: true,
    },
    {
      kind: 'spike',
      baseRatePerSec: 1,
      spikes: [{ atMs: 10_000, durationMs: 5000, ratePerSec: 40 }],
      poisson: true,
    },
    { kind: 'daily', meanRatePerSec: 3, amplitude: 0.9, periodMs: 20_000, poisson: true },
    { kind: 'burst', count: 20, atMs: 59_999 },
  ];

  it.each(specs.map((s) => [s.kind, s] as const))(
    '%s yields ascending times within [0, duration)',
    (_, spec) => {
      const ts = times(spec, MIN);
      expect(ts.length).toBeGreaterThan(0);
      expect(ts.every((t, i) => t >= 0 && t < MIN && (i === 0 || t >= ts[i - 1]!))).toBe(true);
    },
  );

  it.each(specs.map((s) => [s.kind, s] as const))(
    '%s is lazy: the first 10 of a 10-year run come at once',
    (_, spec) => {
      const tenYearsMs = 10 * 365 * 24 * HOUR;
      const started = performance.now();
      const first: number[] = [];
      for (const t of arrivalTimes(spec, tenYearsMs, new Rng('lazy'))) {
        first.push(t);
        if (first.length === 10) break;
      }
      expect(first).toHaveLength(10);
      expect(performance.now() - started).toBeLessThan(100);
    },
  );
});

describe('validation', () => {
  it.each<[string, ArrivalSpec, RegExp]>([
    ['zero rate', { kind: 'constant', ratePerSec: 0 }, /arrivals\.rate: a rate must be greater than zero/],
    ['negative rate', { kind: 'poisson', ratePerSec: -1 }, /greater than zero/],
    ['NaN rate', { kind: 'constant', ratePerSec: Number.NaN }, /greater than zero/],
    ['no stages', { kind: 'ramping', startRatePerSec: 1, stages: [] }, /stages/],
    [
      'a zero-length stage',
      { kind: 'ramping', startRatePerSec: 1, stages: [{ durationMs: 0, targetRatePerSec: 1 }] },
      /stages\.0\.duration/,
    ],
    [
      'all-zero ramp',
      { kind: 'ramping', startRatePerSec: 0, stages: [{ durationMs: 1, targetRatePerSec: 0 }] },
      /every rate is zero/,
    ],
    ['amplitude above 1', { kind: 'daily', meanRatePerSec: 1, amplitude: 1.5 }, /amplitude/],
    ['a fractional burst', { kind: 'burst', count: 2.5, atMs: 0 }, /arrivals\.count/],
    ['an unknown kind', { kind: 'sawtooth' } as unknown as ArrivalSpec, /unknown arrival process "sawtooth"/],
  ])('rejects %s with ERR_SQUALL_INVALID_CONFIG and a hint', (_, spec, message) => {
    let caught: unknown;
    try {
      validateArrivals(spec);
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({
      code: 'ERR_SQUALL_INVALID_CONFIG',
      message: expect.stringMatching(message),
    });
    expect((caught as { hint?: string }).hint).toBeTruthy();
  });
});
