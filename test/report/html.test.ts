import { beforeAll, describe, expect, it } from 'vitest';
import { renderCompareHtml, renderHtml, type ThresholdResult, verdictTable } from '../../src/report/index.ts';
import type { RunPayload } from '../../src/report/payload.ts';
import type { RunResult } from '../../src/runner/result.ts';
import { formatGoDuration } from '../../src/util/duration.ts';
import { smallRun } from './helpers.ts';

let result: RunResult;
beforeAll(async () => {
  result = await smallRun();
});

const thresholds = (r: RunResult): ThresholdResult[] => [
  {
    strategy: r.strategies[0]!.name,
    expression: 'p(95) < 800',
    metric: 'latency_p95_ms',
    observed: r.strategies[0]!.summary.latencyMs.p95,
    limit: 800,
    op: '<',
    pass: false,
    message: 'p(95) too slow',
  },
  {
    strategy: r.strategies[2]!.name,
    expression: 'success_rate > 0.5',
    metric: 'success_rate',
    observed: r.strategies[2]!.summary.successRate,
    limit: 0.5,
    op: '>',
    pass: true,
    message: 'fine',
  },
];

function embedded(html: string): { kind: string; run: RunPayload } {
  const m = html.match(/<script type="application\/json" id="squall-data">([\s\S]*?)<\/script>/);
  expect(m, 'embedded data element').not.toBeNull();
  return JSON.parse(m![1]!);
}

/** Cells of the verdict table's row for a strategy, keyed by data-key. */
function verdictRow(html: string, strategy: string): Record<string, { value: string; cls: string }> {
  const table = html.match(/<table id="verdict-table"[\s\S]*?<\/table>/)![0];
  const row = table.match(new RegExp(`<tr data-strategy="${strategy}">([\\s\\S]*?)</tr>`))![1]!;
  const cells: Record<string, { value: string; cls: string }> = {};
  for (const m of row.matchAll(/<td([^>]*)>/g)) {
    const attrs = m[1]!;
    const key = attrs.match(/data-key="([^"]*)"/)?.[1];
    if (key) {
      cells[key] = {
        value: attrs.match(/data-value="([^"]*)"/)?.[1] ?? '',
        cls: attrs.match(/class="([^"]*)"/)?.[1] ?? '',
      };
    }
  }
  return cells;
}

describe('renderHtml', () => {
  it('is self-contained: no network URL in any src or href, chart.js and the data inline', () => {
    const html = renderHtml(result);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
    expect(html).toContain('Chart.js v4');
    expect(html.match(/<script\b/g)).toHaveLength(3);
  });

  it('embeds the chart data for every strategy, on one time axis', () => {
    const data = embedded(renderHtml(result));
    expect(data.kind).toBe('run');
    expect(data.run.strategies.map((s) => s.name)).toEqual(result.strategies.map((s) => s.name));
    // Each strategy's series runs until its last request finished (drain included): the axis covers the longest.
    const seconds = Math.max(...result.strategies.map((s) => s.summary.series.seconds));
    expect(data.run.seconds).toBe(seconds);
    for (const s of data.run.strategies) {
      expect(s.series.offered).toHaveLength(data.run.axis.t.length);
      expect(s.series.successRate).toHaveLength(data.run.axis.t.length);
    }
    // A short run is drawn second by second, exactly as recorded.
    expect(data.run.axis.bucketS).toBe(1);
    const own = result.strategies[0]!.summary.series.attempted;
    expect(data.run.strategies[0]!.series.attempted.slice(0, own.length)).toEqual(own);
    expect(data.run.faultWindows).toEqual([
      { name: 'storm', startS: 60, endS: 120, label: expect.stringContaining('500 20%') },
    ]);
  });

  it('shows every header field: scenario, seed, mode, duration, arrival model, reproduce, version', () => {
    const html = renderHtml(result);
    const header = html.slice(html.indexOf('<header>'), html.indexOf('</header>'));
    expect(header).toContain(`<h1>${result.scenario.name}</h1>`);
    expect(header).toContain(result.scenario.description!);
    expect(header).toMatch(/Seed<\/dt><dd><code>7<\/code>/);
    expect(header).toMatch(/Mode<\/dt><dd>sim/);
    expect(header).toContain(`Duration</dt><dd>${formatGoDuration(result.durationMs)}`);
    expect(header).toMatch(/Arrival model<\/dt><dd>open/);
    expect(header).toContain(`<code data-field="reproduce">${result.reproduce}</code>`);
    expect(header).toMatch(new RegExp(`squall</dt><dd>${result.versions.squall.replace(/\./g, '\\.')}<`));
    expect(header).toContain(result.trafficDescription);
  });

  it('puts result.json numbers in the verdict table and marks the best of each column', () => {
    const html = renderHtml(result);
    const rows = result.strategies.map((s) => ({ s, cells: verdictRow(html, s.name) }));
    for (const { s, cells } of rows) {
      expect(Number(cells.successRate!.value)).toBe(s.summary.successRate);
      // Latency columns are of successful requests (failing fast wins nothing).
      expect(Number(cells.p99!.value)).toBe(s.summary.successLatencyMs.p99);
      expect(Number(cells.amplification!.value)).toBe(s.summary.amplification);
      expect(Number(cells.cost!.value)).toBe(s.summary.cost!.total);
    }
    const bestSuccess = Math.max(...result.strategies.map((s) => s.summary.successRate!));
    const bestP99 = Math.min(...result.strategies.map((s) => s.summary.successLatencyMs.p99!));
    for (const { s, cells } of rows) {
      expect(cells.successRate!.cls === 'best', s.name).toBe(s.summary.successRate === bestSuccess);
      expect(cells.p99!.cls === 'best', s.name).toBe(s.summary.successLatencyMs.p99 === bestP99);
    }
  });

  it('renders thresholds with observed value, limit and pass/fail, and a per-strategy tally', () => {
    const html = renderHtml(result, { thresholds: thresholds(result) });
    expect(html).toContain('id="thresholds-table"');
    expect(html).toMatch(/✗ 1 of 2 thresholds failed/);
    const failing = html.match(/<tr data-strategy="naive-fixed-2s" data-pass="false">([\s\S]*?)<\/tr>/)![1]!;
    expect(failing).toContain('<code>p(95) &lt; 800</code>');
    expect(failing).toContain('&lt; 800');
    expect(failing).toContain('✗ fail');
    expect(failing).toContain(`data-value="${result.strategies[0]!.summary.latencyMs.p95}"`);
    expect(verdictRow(html, 'naive-fixed-2s').thresholds!.cls).toBe('fail');
    expect(verdictRow(html, 'expo-jitter-breaker').thresholds!.cls).toBe('pass');
    expect(renderHtml(result)).not.toContain('id="thresholds-table"');
  });

  it('gives every chart an aria-label and a fallback table, with one traffic and failure chart per strategy', () => {
    const html = renderHtml(result);
    const canvases = [...html.matchAll(/<canvas id="([^"]+)" data-chart="([^"]+)"[^>]*>/g)];
    const ids = canvases.map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of canvases) expect(m[0]).toMatch(/role="img" aria-label="[^"]{20,}"/);
    expect(
      html.match(/<summary>Numbers behind this chart<\/summary><div class="table-wrap"><table>/g),
    ).toHaveLength(canvases.length);
    const kinds = canvases.map((m) => m[2]);
    expect(kinds.filter((k) => k === 'traffic')).toHaveLength(result.strategies.length);
    expect(kinds.filter((k) => k === 'failures')).toHaveLength(result.strategies.length);
    for (const k of [
      'success-by-strategy',
      'latency-percentiles',
      'spectrum',
      'success-over-time',
      'breaker',
      'queue',
      'fault-schedule',
      'alerts',
    ]) {
      expect(kinds, k).toContain(k);
    }
  });

  it('offers a zoom button per fault window that covers the window', () => {
    const html = renderHtml(result);
    const m = html.match(
      /<button type="button" id="zoom-window-0" data-zoom-from="(\d+)" data-zoom-to="(\d+)">Zoom to storm/,
    );
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(60);
    expect(Number(m![2])).toBeGreaterThanOrEqual(120);
    expect(html).toContain('id="zoom-start"');
    expect(html).toContain('id="zoom-reset"');
  });

  it('embeds success-rate confidence intervals when several seeds ran', () => {
    const name = result.strategies[1]!.name;
    const data = embedded(renderHtml(result, { seedsCI: { [name]: { low: 0.6, high: 0.7 } } }));
    expect(data.run.strategies[1]!.ci).toEqual({ low: 0.6, high: 0.7 });
    expect(data.run.strategies[0]!.ci).toBeNull();
  });

  it('keeps hostile names inert: markup is escaped and cannot close the data script', () => {
    const evil = '</script><script>alert(1)</script><b>';
    const hostile: RunResult = { ...result, scenario: { ...result.scenario, name: evil } };
    const html = renderHtml(hostile);
    expect(html.match(/<script\b/g)).toHaveLength(3);
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)');
    expect(html).not.toContain('<b>');
    expect(embedded(html).run).toBeDefined();
  });

  it('is a pure function of its input', () => {
    expect(renderHtml(result, { thresholds: thresholds(result) })).toBe(
      renderHtml(structuredClone(result), { thresholds: thresholds(result) }),
    );
  });
});

describe('renderCompareHtml', () => {
  it('shows baseline, candidate and the change for every metric of every shared strategy', () => {
    const candidate: RunResult = structuredClone(result);
    candidate.strategies[0]!.summary.successRate = 0.95;
    const html = renderCompareHtml(result, candidate);
    expect(html.match(/<script\b/g)).toHaveLength(3);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    const row = html.match(/<tr data-strategy="naive-fixed-2s" data-key="successRate">([\s\S]*?)<\/tr>/)![1]!;
    expect(row).toContain(`data-value="${result.strategies[0]!.summary.successRate}"`);
    expect(row).toContain('data-value="0.95"');
    expect(row).toContain('class="better"');
    // One row per verdict column shown (Cost only with a price, failure p95 only when something failed).
    const columns = verdictTable(candidate).columns.length;
    expect(html.match(/<tr data-strategy=/g)).toHaveLength(result.strategies.length * columns);
    expect(html).not.toContain('Not like for like');
    for (const id of [
      'chart-cmp-success',
      'chart-cmp-p99',
      'chart-cmp-spectrum',
      'chart-cmp-success-over-time',
    ]) {
      expect(html).toContain(`id="${id}"`);
    }
  });

  it('warns when the two runs are not like for like and lists unmatched strategies', () => {
    const other: RunResult = { ...result, seed: '8', strategies: result.strategies.slice(1) };
    const html = renderCompareHtml(result, other);
    expect(html).toContain('Not like for like:</strong> different seeds (7 vs 8)');
    expect(html).toContain('only in the baseline: naive-fixed-2s');
  });
});

describe('renderHtml tables', () => {
  it('leaves out breakdowns with a single "(none)" row, and the Cost column without a price', () => {
    const r: RunResult = structuredClone(result);
    for (const s of r.strategies) {
      s.summary.cost = null;
      s.summary.breakdowns.byUser = {
        '(none)': { requests: 10, successes: 9, successRate: 0.9, p95Ms: 100 },
      };
      s.summary.breakdowns.byFeature = {
        '(none)': { requests: 10, successes: 9, successRate: 0.9, p95Ms: 100 },
      };
    }
    const html = renderHtml(r);
    expect(html).not.toContain('impact-byUser');
    expect(html).not.toContain('impact-byFeature');
    const verdict = html.match(/<table id="verdict-table"[\s\S]*?<\/table>/)![0];
    expect(verdict).not.toMatch(/>Cost</);
    expect(verdict).toMatch(/>Unfinished</);
  });

  it('shows the same p95 in the verdict table and a breakdown holding the whole run', () => {
    // One model carries every request: its slice is the verdict table's population.
    const s = result.strategies[0]!.summary;
    const only = Object.values(s.breakdowns.byModel);
    if (only.length === 1) expect(only[0]!.p95Ms).toBe(s.successLatencyMs.p95);
    else expect.unreachable('the small run should use one model');
  });
});

describe('renderHtml with several seeds', () => {
  it('puts means with their interval in the verdict table and the per-seed spread in its own table', () => {
    const r: RunResult = structuredClone(result);
    const names = r.strategies.map((s) => s.name);
    const seedsCI = {
      seeds: ['7', '8'],
      confidence: 0.95,
      strategies: Object.fromEntries(
        names.map((n, i) => [
          n,
          {
            success_rate: {
              values: [0.5 + i / 10, 0.6 + i / 10],
              interval: { n: 2, mean: 0.55 + i / 10, sd: 0.07, low: 0, high: 1, confidence: 0.95 },
            },
          },
        ]),
      ),
    };
    const html = renderHtml({ ...r, seedsCI } as RunResult);
    const verdict = html.match(/<table id="verdict-table"[\s\S]*?<\/table>/)![0];
    expect(verdict).toContain('55.00% [0.00%–100.00%]');
    const seeds = html.match(/<table id="seeds-table"[\s\S]*?<\/table>/)![0];
    expect(seeds.match(/<tr/g)).toHaveLength(1 + names.length * 2);
    expect(seeds).toContain('60.00%');
  });
});

describe('report.html latency charts', () => {
  it('draw successful requests only, like the verdict table', () => {
    const r: RunResult = structuredClone(result);
    const s = r.strategies[0]!.summary;
    // Failures mixed in would pull these down: make the two populations differ visibly.
    s.latencyMs = { ...s.latencyMs, p50: 1, p99: 2 };
    const data = embedded(renderHtml(r));
    expect(data.run.strategies[0]!.latency.p50).toBe(s.successLatencyMs.p50);
    expect(data.run.strategies[0]!.latency.p99).toBe(s.successLatencyMs.p99);
  });
});
