import { describe, expect, it } from 'vitest';
import { type AlertRule, ARTICLE_ALERT_RULES, evaluateAlerts } from '../../src/metrics/alerts.ts';
import { SecondSeries, type SeriesJSON } from '../../src/metrics/series.ts';

/** A series where second s completes `perSecond` requests, `failuresAt(s)` of them failed with a 5xx. */
function syntheticSeries(
  seconds: number,
  perSecond: number,
  failuresAt: (s: number) => number,
  startMs = 0,
): SeriesJSON {
  const series = new SecondSeries({ startMs, durationMs: seconds * 1000 });
  for (let s = 0; s < seconds; s++) {
    const failures = failuresAt(s);
    const at = startMs + s * 1000 + 500;
    for (let i = 0; i < failures; i++) series.countFailed(at, '5xx');
    for (let i = failures; i < perSecond; i++) series.countSucceeded(at);
  }
  return series.toJSON();
}

/** 20 minutes at 50 requests/s with a 2 % baseline; seconds 300–599 fail 30 % (15 of 50). */
const outage = (s: number) => (s >= 300 && s < 600 ? 15 : 1);

describe('evaluateAlerts', () => {
  it("fires and clears the article's rules (>10 % over 5 min warns, >20 % pages) at the right seconds", () => {
    // In a 300 s window with x outage seconds, failures are 300 + 14x of 15 000: above 10 % once x ≥ 86,
    // above 20 % once x ≥ 193. The outage enters the window at 300 s and leaves it from 600 s.
    const [warn, page] = evaluateAlerts(syntheticSeries(1200, 50, outage), ARTICLE_ALERT_RULES);
    expect(warn!.rule.severity).toBe('warn');
    expect(warn!.firings).toEqual([{ firedAtMs: 386_000, clearedAtMs: 815_000 }]);
    expect(page!.rule.severity).toBe('page');
    expect(page!.firings).toEqual([{ firedAtMs: 493_000, clearedAtMs: 708_000 }]);
  });

  it('reports times on the run clock', () => {
    const [warn] = evaluateAlerts(syntheticSeries(1200, 50, outage, 1_000_000), ARTICLE_ALERT_RULES);
    expect(warn!.firings).toEqual([{ firedAtMs: 1_386_000, clearedAtMs: 1_815_000 }]);
  });

  it('never fires at the baseline error rate', () => {
    const results = evaluateAlerts(
      syntheticSeries(1200, 50, () => 1),
      ARTICLE_ALERT_RULES,
    );
    expect(results.map((r) => r.firings)).toEqual([[], []]);
  });

  it('leaves clearedAtMs null when the alert is still firing at the end of the run', () => {
    const [, page] = evaluateAlerts(
      syntheticSeries(900, 50, (s) => (s >= 300 ? 25 : 0)),
      ARTICLE_ALERT_RULES,
    );
    expect(page!.firings).toHaveLength(1);
    expect(page!.firings[0]!.clearedAtMs).toBeNull();
  });

  it('fires once per episode when errors come and go', () => {
    const rule: AlertRule = {
      name: 'fast',
      metric: 'error_rate',
      windowMs: 10_000,
      above: 0.5,
      severity: 'warn',
    };
    const flapping = (s: number) => ((s >= 20 && s < 40) || (s >= 80 && s < 100) ? 10 : 0);
    const [result] = evaluateAlerts(syntheticSeries(150, 10, flapping), [rule]);
    // 10 s window: above half once 6 of the last 10 seconds are bad.
    expect(result!.firings).toEqual([
      { firedAtMs: 26_000, clearedAtMs: 45_000 },
      { firedAtMs: 86_000, clearedAtMs: 105_000 },
    ]);
  });

  it('uses only the history available at the start of the run', () => {
    const rule: AlertRule = {
      name: 'early',
      metric: 'error_rate',
      windowMs: 300_000,
      above: 0.1,
      severity: 'page',
    };
    const [result] = evaluateAlerts(
      syntheticSeries(20, 10, (s) => (s === 0 ? 5 : 0)),
      [rule],
    );
    // At 1 s the window holds only second 0 (50 % errors); by 5 s it is 5 of 50 = 10 %, not above.
    expect(result!.firings).toEqual([{ firedAtMs: 1000, clearedAtMs: 5000 }]);
  });

  it('clears when nothing completes in the window', () => {
    const rule: AlertRule = {
      name: 'gap',
      metric: 'error_rate',
      windowMs: 2000,
      above: 0.1,
      severity: 'warn',
    };
    const series = syntheticSeries(10, 0, () => 0);
    series.failed['5xx'][1] = 5;
    const [result] = evaluateAlerts(series, [rule]);
    expect(result!.firings).toEqual([{ firedAtMs: 2000, clearedAtMs: 4000 }]);
  });

  it('counts every failure class as an error, including fast failures from the breaker', () => {
    const rule: AlertRule = {
      name: 'any',
      metric: 'error_rate',
      windowMs: 1000,
      above: 0.5,
      severity: 'warn',
    };
    const s = new SecondSeries({ startMs: 0, durationMs: 2000 });
    s.countSucceeded(100);
    s.countFailed(200, 'breaker_open');
    s.countFailed(300, 'shed');
    const [result] = evaluateAlerts(s.toJSON(), [rule]);
    expect(result!.firings).toEqual([{ firedAtMs: 1000, clearedAtMs: 2000 }]);
  });

  it('rejects invalid rules, listing every problem', () => {
    const bad = [
      { name: 'a', metric: 'error_rate', windowMs: 0, above: 0.1, severity: 'warn' },
      { name: 'b', metric: 'latency', windowMs: 1000, above: 10, severity: 'sms' },
    ] as unknown as AlertRule[];
    let message = '';
    try {
      evaluateAlerts(
        syntheticSeries(5, 1, () => 0),
        bad,
      );
    } catch (e) {
      expect(e).toMatchObject({ code: 'ERR_SQUALL_INVALID_CONFIG' });
      message = (e as Error).message;
    }
    expect(message).toContain('a: windowMs');
    expect(message).toContain("b: metric must be 'error_rate'");
    expect(message).toContain('b: above');
    expect(message).toContain('b: severity');
  });
});
