import { describe, expect, it } from 'vitest';
import { recoveryTimes } from '../../src/metrics/recovery.ts';
import { SecondSeries, type SeriesJSON } from '../../src/metrics/series.ts';

/** One character per second: 'g' 10 successes, 'b' 10 failures, 'm' 9 + 1 failure, '.' nothing completed. */
function seriesFrom(pattern: string, startMs = 0): SeriesJSON {
  const series = new SecondSeries({ startMs, durationMs: pattern.length * 1000 });
  [...pattern].forEach((c, s) => {
    const at = startMs + s * 1000;
    const failures = c === 'b' ? 10 : c === 'm' ? 1 : 0;
    const successes = c === '.' ? 0 : 10 - failures;
    for (let i = 0; i < failures; i++) series.countFailed(at, '5xx');
    for (let i = 0; i < successes; i++) series.countSucceeded(at);
  });
  return series.toJSON();
}

const window = (startMs: number, endMs: number) => ({ name: 'fault', startMs, endMs });

describe('recoveryTimes', () => {
  it.each<[string, string, number, number | null]>([
    ['recovers 7 s after the window ends', `ggggg${'b'.repeat(12)}${'g'.repeat(13)}`, 10_000, 7000],
    ['was never hurt', 'gggggggggggggggggggg', 10_000, 0],
    ['never recovers', 'gggggbbbbbbbbbbbbbbb', 10_000, null],
    ['relapses later: recovery counts from the last bad second', 'gggggbbbbbbgggbbgggg', 10_000, 6000],
    ['skips quiet seconds after the last bad one', 'gggggbbbbbbbbb...ggg', 10_000, 7000],
    ['nothing completes after the window', 'gggggbbbbb..........', 10_000, null],
    ['a window ending mid-second', 'gggggbbbbbbggggggggg', 10_500, 500],
    ['a window ending after the run', 'gggggbbbbb', 12_000, null],
    ['a bad second before the window end does not count', 'ggggbbbbbbgggggggggg', 10_000, 0],
  ])('%s', (_name, pattern, endMs, expected) => {
    const [result] = recoveryTimes(seriesFrom(pattern), [window(5000, endMs)], 0.95);
    expect(result!.recoveryMs).toBe(expected);
  });

  it('treats the threshold as inclusive', () => {
    const series = seriesFrom('gggbbbmggg');
    expect(recoveryTimes(series, [window(3000, 6000)], 0.9)[0]!.recoveryMs).toBe(0);
    expect(recoveryTimes(series, [window(3000, 6000)], 0.95)[0]!.recoveryMs).toBe(1000);
  });

  it('reports every window, with its name and bounds, on the run clock', () => {
    const series = seriesFrom('gggbbbggggbbbbbggggg', 50_000);
    expect(
      recoveryTimes(series, [
        { name: 'first', startMs: 53_000, endMs: 56_000 },
        { name: 'second', startMs: 60_000, endMs: 63_000 },
      ]),
    ).toEqual([
      // The second outage is still ahead of the first window's end, so lasting success starts after it.
      { name: 'first', startMs: 53_000, endMs: 56_000, recoveryMs: 9000 },
      { name: 'second', startMs: 60_000, endMs: 63_000, recoveryMs: 2000 },
    ]);
  });
});
