import { describe, expect, it } from 'vitest';
import { completedPerSecond, SecondSeries } from '../../src/metrics/series.ts';

describe('SecondSeries', () => {
  it.each([
    [0, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [60_000, 60],
  ])('a %i ms run has %i seconds', (durationMs, seconds) => {
    expect(new SecondSeries({ startMs: 0, durationMs }).seconds).toBe(seconds);
  });

  it('counts events in the second they happen, relative to the start', () => {
    const s = new SecondSeries({ startMs: 10_000, durationMs: 3000 });
    s.countOffered(10_000);
    s.countOffered(10_999);
    s.countOffered(11_000);
    s.countAttempted(12_500);
    s.countSucceeded(12_999);
    s.countFailed(11_200, '429');
    s.countFailed(11_300, 'timeout');
    const json = s.toJSON();
    expect(json.offered).toEqual([2, 1, 0]);
    expect(json.attempted).toEqual([0, 0, 1]);
    expect(json.succeeded).toEqual([0, 0, 1]);
    expect(json.failed['429']).toEqual([0, 1, 0]);
    expect(json.failed.timeout).toEqual([0, 1, 0]);
    expect(json.failed['5xx']).toEqual([0, 0, 0]);
    expect(completedPerSecond(json)).toEqual([0, 2, 1]);
  });

  it('clamps events before the start into the first second and after the end into the last', () => {
    const s = new SecondSeries({ startMs: 1000, durationMs: 3000 });
    s.countOffered(0);
    s.countOffered(-50_000);
    s.countSucceeded(4000);
    s.countSucceeded(1_000_000);
    const json = s.toJSON();
    expect(json.offered).toEqual([2, 0, 0]);
    expect(json.succeeded).toEqual([0, 0, 2]);
  });

  it('reports the max in-flight level per second, carrying the level through quiet seconds', () => {
    const s = new SecondSeries({ startMs: 0, durationMs: 6000 });
    s.setInFlight(500, 3);
    s.setInFlight(600, 2);
    s.setInFlight(3500, 1);
    s.setInFlight(3600, 0);
    expect(s.toJSON().inFlight).toEqual([3, 2, 2, 2, 0, 0]);
  });

  it('carries the last queue depth to the end of the run', () => {
    const s = new SecondSeries({ startMs: 0, durationMs: 4000 });
    s.setQueueDepth(1200, 7);
    expect(s.toJSON().queueDepth).toEqual([0, 7, 7, 7]);
  });

  it('reports the min bucket level per second, null before the first sample', () => {
    const s = new SecondSeries({ startMs: 0, durationMs: 5000 });
    s.sampleBucketRemaining(1200, 50);
    s.sampleBucketRemaining(1800, 40);
    s.sampleBucketRemaining(3100, 45);
    expect(s.toJSON().bucketRemainingRequests).toEqual([null, 40, 40, 40, 45]);
  });

  it('spreads breaker state time over the seconds it covers', () => {
    const s = new SecondSeries({ startMs: 0, durationMs: 5000 });
    s.setBreakerState(1500, 'open');
    s.setBreakerState(3250, 'half_open');
    s.setBreakerState(3500, 'closed');
    const json = s.toJSON();
    expect(json.breakerOpen).toEqual([0, 0.5, 1, 0.25, 0]);
    expect(json.breakerHalfOpen).toEqual([0, 0, 0, 0.25, 0]);
  });

  it('keeps a breaker that is still open open until the end of the run', () => {
    const s = new SecondSeries({ startMs: 0, durationMs: 3000 });
    s.setBreakerState(1000, 'open');
    expect(s.toJSON().breakerOpen).toEqual([0, 1, 1]);
  });

  it('toJSON does not change the series (it can be taken twice)', () => {
    const s = new SecondSeries({ startMs: 0, durationMs: 3000 });
    s.setBreakerState(500, 'open');
    s.setInFlight(100, 4);
    const first = s.toJSON();
    expect(s.toJSON()).toEqual(first);
    s.setBreakerState(2500, 'closed');
    expect(s.toJSON().breakerOpen).toEqual([0.5, 1, 0.5]);
  });

  it('returns plain arrays of numbers that survive JSON', () => {
    const s = new SecondSeries({ startMs: 0, durationMs: 2000 });
    s.countOffered(0);
    const json = s.toJSON();
    expect(Array.isArray(json.offered)).toBe(true);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it.each([
    ['a negative duration', { startMs: 0, durationMs: -1 }],
    ['a duration longer than a week', { startMs: 0, durationMs: 8 * 24 * 3600 * 1000 }],
    ['a NaN start', { startMs: Number.NaN, durationMs: 1000 }],
  ])('rejects %s', (_name, options) => {
    expect(() => new SecondSeries(options)).toThrow(
      expect.objectContaining({ code: 'ERR_SQUALL_INVALID_METRICS' }),
    );
  });
});
