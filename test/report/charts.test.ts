import { beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/index.ts';
import type { RunPayload } from '../../src/report/payload.ts';
import type { RunResult } from '../../src/runner/result.ts';
import { smallRun, syntheticResult } from './helpers.ts';

/** The chart defects a new user reported (issue #13, section 5), checked on the page's HTML and data. */
let result: RunResult;
beforeAll(async () => {
  result = await smallRun();
});

function embedded(html: string): RunPayload {
  const m = html.match(/<script type="application\/json" id="squall-data">([\s\S]*?)<\/script>/);
  return (JSON.parse(m![1]!) as { run: RunPayload }).run;
}

const canvases = (html: string) => [...html.matchAll(/<canvas id="([^"]+)" data-chart="([^"]+)"/g)];

describe('report charts', () => {
  it('draws success over time as small multiples: one panel per strategy', () => {
    const html = renderHtml(result);
    const panels = canvases(html).filter((m) => m[2] === 'success-over-time');
    expect(panels.map((m) => m[1])).toEqual(result.strategies.map((_, i) => `chart-success-over-time-${i}`));
    for (const [i, s] of result.strategies.entries()) {
      expect(html).toContain(`data-chart="success-over-time" data-index="${i}"`);
      expect(html).toContain(`${s.name}: success rate over time`);
    }
  });

  it('gives the per-strategy traffic and failure panels one shared scale: the largest any of them draws', () => {
    const run = embedded(renderHtml(result));
    const traffic = run.strategies.map((s) =>
      Math.max(...[s.series.offered, s.series.attempted, s.series.succeeded].flat().map((v) => v ?? 0)),
    );
    expect(run.scales.trafficPerSec).toBe(Math.max(...traffic));
    const stacked = run.strategies.map((s) => {
      const columns = Object.values(s.series.failed);
      return Math.max(0, ...run.axis.t.map((_, i) => columns.reduce((a, c) => a + (c![i] ?? 0), 0)));
    });
    expect(run.scales.failedPerSec).toBe(Math.max(...stacked));
    expect(run.scales.failedPerSec).toBeGreaterThan(0);
  });

  it('zooms each fault window button to exactly the range its label names', () => {
    const long = syntheticResult({ strategies: 2, seconds: 1003 });
    long.faultWindows = [{ name: 'full-outage', startMs: 60_000, endMs: 846_000, faults: { '503': 1 } }];
    const html = renderHtml(long);
    const m = html.match(
      /data-zoom-from="(\d+)" data-zoom-to="(\d+)">Zoom to full-outage \(([\d:]+)–([\d:]+)\)/,
    );
    expect(m).not.toBeNull();
    expect([m![3], m![4]]).toEqual(['1:00', '14:06']);
    expect([Number(m![1]), Number(m![2])]).toEqual([60, 846]);
  });

  it('says so instead of drawing empty axes when no strategy queued or opened a breaker', () => {
    const quiet: RunResult = structuredClone(result);
    for (const s of quiet.strategies) {
      const zeros = s.summary.series.queueDepth.map(() => 0);
      s.summary.series.queueDepth = zeros;
      s.summary.series.breakerOpen = zeros;
      s.summary.series.breakerHalfOpen = zeros;
    }
    const html = renderHtml(quiet);
    const kinds = canvases(html).map((m) => m[2]);
    expect(kinds).not.toContain('queue');
    expect(kinds).not.toContain('breaker');
    expect(html).toContain('<p class="empty-chart" id="queue-none">No queue in any strategy');
    expect(html).toContain('<p class="empty-chart" id="breaker-none">No breaker opened in any strategy');
    // With a queue, the chart is drawn.
    expect(canvases(renderHtml(result)).map((m) => m[2])).toContain('queue');
  });
});
