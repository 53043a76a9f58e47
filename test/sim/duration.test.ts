import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseDurationMs, parseRatePerSec } from '../../src/util/duration.ts';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2h', 7_200_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['250', 250],
  ])('parses %s', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', 'soon', '5 parsecs', '-3s', '1x'])('rejects %j with a hint', (text) => {
    expect(() => parseDurationMs(text, 'phase.end')).toThrow(/phase.end/);
  });

  it.each([
    [1000, '1s'],
    [360_000, '6m0s'],
    [12, '12ms'],
    [1146, '1.146s'],
    [172_800, '2m52.8s'],
    [0, '0s'],
    [0.5, '500µs'],
    [3_723_000, '1h2m3s'],
  ])('formats %d ms as Go does: %s', (ms, text) => expect(formatGoDuration(ms)).toBe(text));

  it.each([
    ['2000/min', 2000 / 60],
    ['30/s', 30],
    ['100/h', 100 / 3600],
    [5, 5],
  ])('parses rate %s', (text, perSec) => expect(parseRatePerSec(text)).toBeCloseTo(perSec, 9));

  it.each(['0/min', '-1/s', 'fast'])('rejects rate %j', (text) =>
    expect(() => parseRatePerSec(text)).toThrow(),
  );
});
