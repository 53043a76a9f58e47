import { type BreakdownRow, NONE_KEY } from '../metrics/breakdown.ts';
import { FAILURE_CLASSES } from '../metrics/failure-class.ts';
import { unfinishedOf } from '../metrics/thresholds.ts';
import type { RunResult } from '../runner/result.ts';
import { claimsHtml } from './claims.ts';
import { escapeHtml } from './escape.ts';
import {
  formatClock,
  formatCount,
  formatFactor,
  formatLimit,
  formatMs,
  formatObserved,
  formatPercent,
  NO_VALUE,
} from './format.ts';
import {
  type CellInput,
  emptyFigure,
  figure,
  page,
  runMeta,
  strategyLabel,
  table,
  zoomControl,
} from './page.ts';
import { FAILURE_CLASS_STYLE, strategyColor } from './palette.ts';
import { faultLabel, runPayload } from './payload.ts';
import { seedRows } from './seeds.ts';
import type { ReportOptions, ThresholdResult } from './types.ts';
import { legend, verdictTable } from './verdict.ts';

/**
 * `report.html`: one self-contained page (chart.js, data and script inline) that opens offline.
 * A pure function of result.json and the threshold verdicts: same input, same bytes.
 */
export function renderHtml(result: RunResult, o: ReportOptions = {}): string {
  const payload = runPayload(result, o.seedsCI);
  const windows = payload.faultWindows;
  const body = [
    claimsHtml(result),
    '<section id="verdict"><h2>Verdict</h2>',
    verdictHtml(result, o.thresholds),
    seedsHtml(result),
    o.thresholds && o.thresholds.length > 0 ? thresholdsHtml(o.thresholds) : '',
    '</section>',
    zoomControl(payload.seconds, windows),
    outcomeSection(result, o),
    overTimeSection(result),
    perStrategySection(result),
    controlSection(result),
    impactSection(result),
    strategyErrorsSection(result),
  ].join('\n');
  return page({
    title: `squall: ${result.scenario.name}`,
    header: runMeta(result),
    body,
    footer: `Rendered from result.json (schema v${result.schemaVersion}) by squall ${result.versions.squall}. Time series with more than 1,500 seconds are drawn from per-bucket minima and maxima; result.json keeps every second.`,
    data: { kind: 'run', run: payload },
  });
}

export function verdictHtml(result: RunResult, thresholds?: readonly ThresholdResult[]): string {
  const v = verdictTable(result, thresholds);
  const withThresholds = v.rows.some((r) => r.thresholds !== null);
  const headers: CellInput[] = [
    'Strategy',
    { html: 'Rank', title: `rank by ${v.objective.name}`, key: 'rank' },
    ...v.columns.map((c) => ({ html: escapeHtml(c.label), title: c.title, key: c.key })),
  ];
  if (withThresholds) headers.push({ html: 'Thresholds', key: 'thresholds' });
  const rows = v.rows.map((r) => {
    const cells: CellInput[] = [
      {
        ...strategyLabel(r.strategy, strategyColor(r.index)),
        ...(r.partial ? { title: 'partial: interrupted' } : {}),
      },
      { html: r.rank === null ? NO_VALUE : String(r.rank), value: r.rank, key: 'rank' },
      ...v.columns.map((c) => {
        const cell = r.cells[c.key];
        return {
          html: escapeHtml(cell.text),
          value: cell.value,
          key: c.key,
          ...(cell.best ? { className: 'best', title: `best ${c.label}` } : {}),
        };
      }),
    ];
    if (withThresholds) {
      const t = r.thresholds;
      cells.push(
        t === null
          ? { html: NO_VALUE, key: 'thresholds' }
          : {
              html: `${t.passed === t.total ? '✓' : '✗'} ${t.passed}/${t.total}`,
              className: t.passed === t.total ? 'pass' : 'fail',
              key: 'thresholds',
            },
      );
    }
    return cells;
  });
  return `${table({
    id: 'verdict-table',
    className: 'verdict',
    headers,
    rows,
    rowData: v.rows.map((r) => ({ strategy: r.strategy })),
  })}
<p class="note">★ marks the best value in each column; rows are ${escapeHtml(legend(v))}. Latency is end to end from each
request's intended arrival (no coordinated omission). Recovery: from a fault window's end until the success rate
stayed within the margin of its pre-fault baseline for the hold time (“never”: not inside the run).</p>`;
}

export function thresholdsHtml(thresholds: readonly ThresholdResult[]): string {
  const failed = thresholds.filter((t) => !t.pass).length;
  const summary =
    failed === 0
      ? `<p class="pass" id="thresholds-summary">✓ all ${thresholds.length} thresholds passed</p>`
      : `<p class="fail" id="thresholds-summary">✗ ${failed} of ${thresholds.length} thresholds failed</p>`;
  return `<h3>Thresholds</h3>
${summary}
${table({
  id: 'thresholds-table',
  headers: ['Strategy', 'Threshold', 'Observed', 'Limit', 'Result', 'Detail'],
  rowData: thresholds.map((t) => ({ strategy: t.strategy, pass: String(t.pass) })),
  rows: thresholds.map((t) => [
    { html: escapeHtml(t.strategy), className: 'text' },
    { html: `<code>${escapeHtml(t.expression)}</code>`, className: 'text' },
    { html: escapeHtml(formatObserved(t)), value: t.observed },
    { html: escapeHtml(formatLimit(t)), value: t.limit },
    t.pass ? { html: '✓ pass', className: 'pass' } : { html: '✗ fail', className: 'fail' },
    { html: escapeHtml(t.message), className: 'text' },
  ]),
})}`;
}

function outcomeSection(result: RunResult, o: ReportOptions): string {
  const s = result.strategies;
  const names = s.map((x, i) => strategyLabel(x.name, strategyColor(i)));
  const hasCI = o.seedsCI !== undefined && s.some((x) => o.seedsCI?.[x.name]);
  const success = figure({
    id: 'chart-success-by-strategy',
    chart: 'success-by-strategy',
    title: 'Success rate by strategy',
    subtitle: hasCI
      ? 'bars: this seed; whiskers: confidence interval across seeds'
      : 'successful / offered logical requests (unfinished ones count against it)',
    ariaLabel: `Bar chart of success rate by strategy: ${s.map((x) => `${x.name} ${formatPercent(x.summary.successRate)}`).join(', ')}`,
    fallback: table({
      headers: hasCI ? ['Strategy', 'Success', 'CI low', 'CI high'] : ['Strategy', 'Success'],
      rows: s.map((x, i) => {
        const ci = o.seedsCI?.[x.name];
        const row: CellInput[] = [names[i]!, formatPercent(x.summary.successRate)];
        if (hasCI) row.push(formatPercent(ci?.low), formatPercent(ci?.high));
        return row;
      }),
    }),
  });
  const latencyRows = s.map((x, i) => {
    const l = x.summary.successLatencyMs;
    return [names[i]!, formatMs(l.p50), formatMs(l.p90), formatMs(l.p95), formatMs(l.p99), formatMs(l.p999)];
  });
  const latency = figure({
    id: 'chart-latency-percentiles',
    chart: 'latency-percentiles',
    title: 'Latency percentiles by strategy',
    subtitle: 'successful requests, from intended arrival (failures apart: Failure p95 in the verdict table)',
    ariaLabel: `Grouped bar chart of p50, p90, p95, p99 and p99.9 latency for ${s.length} strategies`,
    fallback: table({ headers: ['Strategy', 'p50', 'p90', 'p95', 'p99', 'p99.9'], rows: latencyRows }),
  });
  const percentiles = [...new Set(s.flatMap((x) => x.summary.latencySpectrum.map((p) => p.percentile)))].sort(
    (a, b) => a - b,
  );
  const spectrum = figure({
    id: 'chart-spectrum',
    chart: 'spectrum',
    title: 'Latency percentile spectrum',
    subtitle: 'successful requests, HDR-style: the tail is stretched out on a log axis up to p99.99',
    ariaLabel: `Line chart of latency by percentile, log axis from p0 to p99.99, one line per strategy`,
    fallback: table({
      headers: ['Percentile', ...s.map((x) => x.name)],
      rows: percentiles.map((p) => [
        `p${p}`,
        ...s.map((x) => formatMs(x.summary.latencySpectrum.find((q) => q.percentile === p)?.ms)),
      ]),
    }),
  });
  return `<section id="outcome"><h2>Outcome by strategy</h2><div class="grid">
${success}
${latency}
${spectrum}
</div></section>`;
}

function overTimeSection(result: RunResult): string {
  const s = result.strategies;
  const windowNames = result.faultWindows.map((w) => w.name);
  // Small multiples, one panel per strategy: overlaid, lines at 0% or 100% hide each other.
  const successOverTime = s.map((x, i) =>
    figure({
      id: `chart-success-over-time-${i}`,
      chart: 'success-over-time',
      index: i,
      title: `${x.name}: success rate over time`,
      subtitle: `${x.name} in colour, the other strategies in grey; logical requests completing each second; shaded: fault windows`,
      ariaLabel: `Line chart of per-second success rate of ${x.name} (overall ${formatPercent(x.summary.successRate)}) against ${s.length - 1} other strategies, with ${windowNames.length} fault windows shaded`,
      fallback: table({
        headers: ['Overall success', ...x.summary.recovery.map((r) => `Recovery after ${r.name}`)],
        rows: [
          [
            formatPercent(x.summary.successRate),
            ...x.summary.recovery.map((r) => (r.recoveryMs === null ? 'never' : formatMs(r.recoveryMs))),
          ],
        ],
      }),
    }),
  );
  const schedule =
    result.faultWindows.length === 0
      ? '<p class="note">The scenario has no fault windows: the upstream only applied its rate limits and capacity.</p>'
      : figure({
          id: 'chart-fault-schedule',
          chart: 'fault-schedule',
          title: 'Fault schedule',
          subtitle: 'the same for every strategy (one seed)',
          ariaLabel: `Timeline of ${result.faultWindows.length} fault windows: ${result.faultWindows
            .map((w) => `${w.name} from ${formatClock(w.startMs / 1000)} to ${formatClock(w.endMs / 1000)}`)
            .join(', ')}`,
          size: 'short',
          fallback: table({
            headers: ['Window', 'Start', 'End', 'Faults'],
            rows: result.faultWindows.map((w) => [
              w.name,
              formatClock(w.startMs / 1000),
              formatClock(w.endMs / 1000),
              faultLabel(w.faults),
            ]),
          }),
        });
  const firings = s.flatMap((x, i) =>
    x.alerts.flatMap((a) =>
      a.firings.map((f) => ({
        strategy: x.name,
        index: i,
        rule: a.rule,
        f,
        startMs: x.summary.series.startMs,
      })),
    ),
  );
  const rules = result.alertRules
    .map(
      (r) =>
        `${r.name} (${r.severity}: error rate > ${formatPercent(r.above, 0)} over ${formatMs(r.windowMs)})`,
    )
    .join('; ');
  const alerts =
    firings.length === 0
      ? `<p class="note" id="alerts-none">No alert rule would have fired for any strategy. Rules: ${escapeHtml(rules || 'none')}.</p>`
      : figure({
          id: 'chart-alerts',
          chart: 'alerts',
          title: 'When alert rules would have fired',
          subtitle: `faint: warn, solid: page. Rules: ${rules}`,
          ariaLabel: `Timeline of ${firings.length} alert firings across strategies`,
          fallback: table({
            headers: ['Strategy', 'Rule', 'Severity', 'Fired', 'Cleared'],
            rows: firings.map((x) => [
              strategyLabel(x.strategy, strategyColor(x.index)),
              x.rule.name,
              x.rule.severity,
              formatClock((x.f.firedAtMs - x.startMs) / 1000),
              x.f.clearedAtMs === null
                ? 'still firing at the end'
                : formatClock((x.f.clearedAtMs - x.startMs) / 1000),
            ]),
          }),
        });
  return `<section id="over-time"><h2>Over time</h2>
<h3>Success rate over time, per strategy</h3>
<div class="grid">
${successOverTime.join('\n')}
</div>
<div class="grid">
${schedule}
${alerts}
</div></section>`;
}

function perStrategySection(result: RunResult): string {
  const s = result.strategies;
  const traffic = s.map((x, i) => {
    const m = x.summary;
    return figure({
      id: `chart-traffic-${i}`,
      chart: 'traffic',
      index: i,
      title: `${x.name}: offered vs attempted vs succeeded`,
      subtitle: `amplification ${formatFactor(m.amplification)}: the gap between attempted and offered is retries`,
      ariaLabel: `Line chart for ${x.name}: offered, attempted and succeeded per second; ${formatCount(m.requests.offered)} offered, ${formatCount(m.attempts.total)} attempts`,
      fallback: table({
        headers: ['Offered', 'Attempts', 'Succeeded', 'Amplification', 'Retries'],
        rows: [
          [
            formatCount(m.requests.offered),
            formatCount(m.attempts.total),
            formatCount(m.results.success),
            formatFactor(m.amplification),
            formatCount(m.events.retries),
          ],
        ],
      }),
    });
  });
  const failures = s.map((x, i) => {
    const m = x.summary;
    const classes = FAILURE_CLASSES.filter((c) => (m.failuresByClass[c] ?? 0) > 0);
    return figure({
      id: `chart-failures-${i}`,
      chart: 'failures',
      index: i,
      title: `${x.name}: failures by class`,
      subtitle: 'failed logical requests per second, stacked by cause',
      ariaLabel: `Stacked area chart for ${x.name}: failures per second by class; ${
        classes.length === 0
          ? 'no failures'
          : classes
              .map((c) => `${FAILURE_CLASS_STYLE[c].label} ${formatCount(m.failuresByClass[c])}`)
              .join(', ')
      }`,
      fallback: table({
        headers: ['Class', 'Failed requests'],
        rows:
          classes.length === 0
            ? [['none', '0']]
            : classes.map((c) => [FAILURE_CLASS_STYLE[c].label, formatCount(m.failuresByClass[c])]),
      }),
    });
  });
  return `<section id="per-strategy"><h2>Retry amplification, per strategy</h2>
<div class="grid">
${traffic.join('\n')}
</div>
<h2>Failures by class, per strategy</h2>
<div class="grid">
${failures.join('\n')}
</div></section>`;
}

function controlSection(result: RunResult): string {
  const s = result.strategies;
  const names = s.map((x, i) => strategyLabel(x.name, strategyColor(i)));
  const opened = s.some(
    (x) =>
      x.summary.series.breakerOpen.some((v) => v > 0) || x.summary.series.breakerHalfOpen.some((v) => v > 0),
  );
  const queued = s.some((x) => x.summary.series.queueDepth.some((v) => v > 0));
  const breaker = !opened
    ? emptyFigure({
        id: 'breaker-none',
        title: 'Circuit breaker state',
        message: 'No breaker opened in any strategy.',
      })
    : figure({
        id: 'chart-breaker',
        chart: 'breaker',
        title: 'Circuit breaker state',
        subtitle:
          'share of each second the breaker was open (dashed: half-open); strategies whose breaker never opened are left out',
        ariaLabel: `Line chart of breaker open time per second: ${s
          .map((x) => `${x.name} opened ${x.summary.events.breakerOpened} times`)
          .join(', ')}`,
        fallback: table({
          headers: ['Strategy', 'Opened', 'Transitions', 'Fast-failed requests'],
          rows: s.map((x, i) => [
            names[i]!,
            formatCount(x.summary.events.breakerOpened),
            formatCount(x.summary.events.breakerTransitions),
            formatCount(x.summary.failuresByClass.breaker_open),
          ]),
        }),
      });
  const queue = !queued
    ? emptyFigure({
        id: 'queue-none',
        title: 'Limiter / queue depth',
        message: 'No queue in any strategy: no request waited in a limiter or queue.',
      })
    : figure({
        id: 'chart-queue',
        chart: 'queue',
        title: 'Limiter / queue depth',
        subtitle: 'deepest queue in each second; strategies that never queued are left out',
        ariaLabel: `Line chart of queue and limiter depth per second for ${s.length} strategies`,
        fallback: table({
          headers: ['Strategy', 'Deepest queue', 'Limiter wait p99', 'Shed'],
          rows: s.map((x, i) => [
            names[i]!,
            formatCount(Math.max(0, ...x.summary.series.queueDepth)),
            formatMs(x.summary.limiterWaitMs.p99),
            formatCount(x.summary.failuresByClass.shed),
          ]),
        }),
      });
  const inFlight = figure({
    id: 'chart-in-flight',
    chart: 'in-flight',
    title: 'Requests in flight',
    subtitle: 'most logical requests outstanding in each second',
    ariaLabel: `Line chart of logical requests in flight per second for ${s.length} strategies`,
    fallback: table({
      headers: ['Strategy', 'Most in flight', 'Unfinished at the end'],
      rows: s.map((x, i) => [
        names[i]!,
        formatCount(Math.max(0, ...x.summary.series.inFlight)),
        formatCount(unfinishedOf(x.summary)),
      ]),
    }),
  });
  return `<section id="control"><h2>Breaker, limiter and concurrency</h2><div class="grid">
${breaker}
${queue}
${inFlight}
</div></section>`;
}

/** Users listed in the report (the worst first); result.json keeps every row. */
const MAX_USER_ROWS = 25;

function impactSection(result: RunResult): string {
  const dims: Array<{ title: string; key: 'byFeature' | 'byModel' | 'byUser'; limit?: number }> = [
    { title: 'By feature', key: 'byFeature' },
    { title: 'By model', key: 'byModel' },
    { title: 'By user', key: 'byUser', limit: MAX_USER_ROWS },
  ];
  const parts = dims.flatMap((d) => {
    const perStrategy = result.strategies.map((s) => s.summary.breakdowns[d.key]);
    const keys = [...new Set(perStrategy.flatMap((b) => Object.keys(b)))];
    // Traffic without the dimension (no user ids, no feature tags) would make a one-row "(none)" table.
    if (keys.every((k) => k === NONE_KEY)) return [];
    const worst = (k: string) => Math.min(...perStrategy.map((b) => b[k]?.successRate ?? 1));
    keys.sort((a, b) => (d.limit ? worst(a) - worst(b) : 0) || a.localeCompare(b));
    const shown = d.limit ? keys.slice(0, d.limit) : keys;
    const note =
      shown.length < keys.length
        ? `<p class="note">The ${shown.length} users with the lowest success rate of ${keys.length}; result.json has all of them.</p>`
        : '';
    const headers: CellInput[] = [d.title.replace('By ', '')];
    result.strategies.forEach((s, i) => {
      headers.push({ html: `${strategyLabel(s.name, strategyColor(i)).html} success`, className: 'text' });
      headers.push({ html: 'success p95', title: '95th percentile latency of successful requests' });
    });
    const rows = shown.map((k) => [
      { html: escapeHtml(k), className: 'text' },
      ...perStrategy.flatMap((b) => impactCells(b[k])),
    ]);
    return [`<h3>${d.title}</h3>\n${table({ headers, rows, className: `impact impact-${d.key}` })}\n${note}`];
  });
  if (parts.length === 0) return '';
  return `<section id="impact"><h2>Impact by user, feature and model</h2>
<p class="note">Success rate over offered requests (count offered) and p95 latency of successful requests per slice:
tells “everyone is failing” from “one feature is”.</p>
${parts.join('\n')}
</section>`;
}

function impactCells(row: BreakdownRow | undefined): CellInput[] {
  if (row === undefined) return [NO_VALUE, NO_VALUE];
  return [
    {
      html: `${escapeHtml(formatPercent(row.successRate, 1))} (${escapeHtml(formatCount(row.requests))})`,
      value: row.successRate,
    },
    { html: escapeHtml(formatMs(row.p95Ms)), value: row.p95Ms },
  ];
}

/** The spread behind the verdict table's means: one row per strategy and seed (several seeds only). */
function seedsHtml(result: RunResult): string {
  const rows = seedRows(result);
  if (rows.length === 0) return '';
  return `<h3>Per seed</h3>
${table({
  id: 'seeds-table',
  headers: ['Strategy', 'Seed', 'Success', 'Unfinished', 'p95 (success)', 'Goodput'],
  rows: rows.map((r) => [
    { html: escapeHtml(r.strategy), className: 'text' },
    { html: `<code>${escapeHtml(r.seed)}</code>`, className: 'text' },
    r.success,
    r.unfinished,
    r.p95,
    r.goodput,
  ]),
})}`;
}

function strategyErrorsSection(result: RunResult): string {
  const rows = result.strategies.flatMap((s) => s.strategyErrors.map((e) => [s.name, e]));
  if (rows.length === 0) return '';
  return `<section id="strategy-errors"><h2>Strategy errors</h2>
<p class="warning">These strategies threw or hung past the driver's deadline; their numbers include those requests as failures.</p>
${table({ headers: ['Strategy', 'Error'], rows: rows.map(([s, e]) => [s!, { html: escapeHtml(e!), className: 'text' }]) })}
</section>`;
}
