import { describe, expect, it } from 'vitest';
import { DEFAULT_RECOVERY_RULE, recoveryTimes } from '../../src/metrics/recovery.ts';
import { SecondSeries, type SeriesJSON } from '../../src/metrics/series.ts';

/** One character per second: 'g' 10 successes, 'b' 10 failures, 'm' 9 + 1 failure, 'h' 5 + 5, '.' nothing completed. */
function seriesFrom(pattern: string, startMs = 0): SeriesJSON {
  const series = new SecondSeries({ startMs, durationMs: pattern.length * 1000 });
  [...pattern].forEach((c, s) => {
    const at = startMs + s * 1000;
    const failures = c === 'b' ? 10 : c === 'm' ? 1 : c === 'h' ? 5 : 0;
    const successes = c === '.' ? 0 : 10 - failures;
    for (let i = 0; i < failures; i++) series.countFailed(at, '5xx');
    for (let i = 0; i < successes; i++) series.countSucceeded(at);
  });
  return series.toJSON();
}

const window = (startMs: number, endMs: number) => ({ name: 'fault', startMs, endMs });
const rule = (marginFraction: number, holdS: number) => ({ marginFraction, holdMs: holdS * 1000 });

describe('recoveryTimes', () => {
  it.each<[string, string, number, number | null]>([
    ['recovers 7 s after the window ends', `ggggg${'b'.repeat(12)}${'g'.repeat(13)}`, 10_000, 7000],
    ['was never hurt', 'gggggggggggggggggggg', 10_000, 0],
    ['never recovers', 'gggggbbbbbbbbbbbbbbb', 10_000, null],
    ['a relapse inside the hold restarts it', 'gggggbbbbbggbbggggg', 10_000, 4000],
    ['a relapse after the hold does not move the recovery point', 'gggggbbbbbggggbbgggg', 10_000, 0],
    ['quiet seconds neither start nor break a hold', 'gggggbbbbbbbbb...ggg', 10_000, 7000],
    ['nothing completes after the window', 'gggggbbbbb..........', 10_000, null],
    ['a window ending mid-second', 'gggggbbbbbbggggggggg', 10_500, 500],
    ['a window ending after the run', 'gggggbbbbb', 12_000, null],
    ['a bad second before the window end does not count', 'ggggbbbbbbgggggggggg', 10_000, 0],
    ['a hold cut short by the end of the run still counts', 'gggggbbbbbbbbbbbbbgg', 10_000, 8000],
    ['one bad second in the hold cut short by the end is never', 'gggggbbbbbbbbbbbbbgb', 10_000, null],
  ])('%s', (_name, pattern, endMs, expected) => {
    const [result] = recoveryTimes(seriesFrom(pattern), [window(5000, endMs)], rule(0.05, 3));
    expect(result!.recoveryMs).toBe(expected);
  });

  it('measures against the pre-fault baseline, within the margin (inclusive)', () => {
    // Baseline 90% (all 'm'); after the outage 'm' is back to baseline, 'h' (50%) is not.
    const series = seriesFrom('mmmmmbbbbbhhmmmmmmmm');
    const [r] = recoveryTimes(series, [window(5000, 10_000)], rule(0, 3));
    expect(r!.baselineSuccessRate).toBeCloseTo(0.9, 10);
    expect(r!.recoveryMs).toBe(2000);
    // A 40-point margin lets 50% seconds count as back (0.9 − 0.4 = 0.5, inclusive).
    expect(recoveryTimes(series, [window(5000, 10_000)], rule(0.4, 3))[0]!.recoveryMs).toBe(0);
  });

  it('uses 100% as the baseline when no fault-free second comes before the window', () => {
    const series = seriesFrom('bbbbbmmmmm');
    const [r] = recoveryTimes(series, [window(0, 5000)], rule(0.05, 3));
    expect(r!.baselineSuccessRate).toBe(1);
    // 90% is 10 points under 100%: outside a 5-point margin.
    expect(r!.recoveryMs).toBeNull();
  });

  it('gives two outages two recovery points, and never measures one inside the next', () => {
    const series = seriesFrom('gggbbbgggggbbbbbggggg', 50_000);
    const hold = rule(0.05, 3);
    expect(
      recoveryTimes(
        series,
        [
          { name: 'first', startMs: 53_000, endMs: 56_000 },
          { name: 'second', startMs: 61_000, endMs: 66_000 },
        ],
        hold,
      ),
    ).toEqual([
      { name: 'first', startMs: 53_000, endMs: 56_000, recoveryMs: 0, baselineSuccessRate: 1 },
      { name: 'second', startMs: 61_000, endMs: 66_000, recoveryMs: 0, baselineSuccessRate: 1 },
    ]);
  });

  it('never measures one outage inside the next: a hold reaches at most to the next window', () => {
    // Between the outages two good seconds, then one bad one before the second outage starts.
    const series = seriesFrom('gggbbbggbbbbbbggggg');
    const [first] = recoveryTimes(
      series,
      [
        { name: 'first', startMs: 3000, endMs: 6000 },
        { name: 'second', startMs: 9000, endMs: 14_000 },
      ],
      rule(0.05, 10),
    );
    expect(first!.recoveryMs).toBeNull();
  });

  it('leaves a window that another one carries on to the window that carries on', () => {
    const series = seriesFrom('gggbbbbbbgggggggggg');
    const [routing, shedding] = recoveryTimes(
      series,
      [
        { name: 'routing-down', startMs: 3000, endMs: 6000 },
        { name: 'load-shedding', startMs: 6000, endMs: 9000 },
      ],
      rule(0.05, 3),
    );
    expect(routing).toMatchObject({ recoveryMs: null, continuedBy: 'load-shedding' });
    expect(shedding).toMatchObject({ recoveryMs: 0 });
  });

  it('treats a run-long background window as normal: it is in the baseline and carries nothing on', () => {
    // 'm' (90%) is the background error rate all run long; an outage from 5 s to 10 s.
    const series = seriesFrom('mmmmmbbbbbmmmmmmmmmm');
    const background = { name: 'background', startMs: 0, endMs: 20_000 };
    const [, outage] = recoveryTimes(series, [background, window(5000, 10_000)], rule(0.05, 3));
    expect(outage).toMatchObject({ baselineSuccessRate: 0.9, recoveryMs: 0 });
    expect(outage!.continuedBy).toBeUndefined();
  });

  it('documents its defaults: 5 points of margin, a 10 s hold', () => {
    expect(DEFAULT_RECOVERY_RULE).toEqual({ marginFraction: 0.05, holdMs: 10_000 });
  });
});
