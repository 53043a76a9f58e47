import type { RunResult } from '../runner/result.ts';
import { type CompareRow, type Comparison, compareRuns } from './compare.ts';
import { escapeHtml } from './escape.ts';
import { formatMs, formatPercent } from './format.ts';
import { type CellInput, figure, page, runMeta, strategyLabel, table, zoomControl } from './page.ts';
import { strategyColor } from './palette.ts';
import { runPayload } from './payload.ts';
import type { CompareOptions } from './types.ts';

/**
 * The `squall compare` page: baseline vs candidate in the look of the run report. Strategies are
 * matched by name and keep the candidate's colour; the baseline is drawn faint or dashed.
 */
export function renderCompareHtml(baseline: RunResult, candidate: RunResult, o: CompareOptions = {}): string {
  const cmp = compareRuns(baseline, candidate);
  const b = runPayload(baseline);
  const c = runPayload(candidate);
  const pairs = cmp.rows.map((r) => ({
    name: r.strategy,
    b: r.baselineIndex,
    c: r.candidateIndex,
    color: strategyColor(r.candidateIndex),
  }));
  const seconds = Math.max(b.seconds, c.seconds);
  const baselineLabel = o.baselineLabel ?? 'baseline';
  const candidateLabel = o.candidateLabel ?? 'candidate';
  const header = `<h1>Compare: ${escapeHtml(baseline.scenario.name)}${
    baseline.scenario.name === candidate.scenario.name ? '' : ` → ${escapeHtml(candidate.scenario.name)}`
  }</h1>
<p class="lead">${escapeHtml(baselineLabel)} (faint or dashed) vs ${escapeHtml(candidateLabel)} (solid). Changes are candidate − baseline.</p>
${cmp.warnings.map((w) => `<p class="warning"><strong>Not like for like:</strong> ${escapeHtml(w)}</p>`).join('\n')}
<details open><summary>${escapeHtml(baselineLabel)}</summary>${runMeta(baseline, false)}</details>
<details open><summary>${escapeHtml(candidateLabel)}</summary>${runMeta(candidate, false)}</details>`;
  const body = [
    `<section id="deltas"><h2>Changes by strategy</h2>${deltaTable(cmp)}${unmatched(cmp)}</section>`,
    zoomControl(seconds, c.faultWindows),
    chartsSection(cmp),
  ].join('\n');
  return page({
    title: `squall compare: ${baseline.scenario.name}`,
    header,
    body,
    footer: `Rendered from two result.json files (schema v${baseline.schemaVersion} and v${candidate.schemaVersion}).`,
    data: { kind: 'compare', baseline: b, candidate: c, pairs },
  });
}

function deltaTable(cmp: Comparison): string {
  const headers: CellInput[] = ['Strategy', 'Metric', 'Baseline', 'Candidate', 'Change'];
  const rows: CellInput[][] = [];
  const rowData: Array<Record<string, string>> = [];
  for (const r of cmp.rows) {
    cmp.columns.forEach((col, i) => {
      const cell = r.cells[col.key];
      rows.push([
        i === 0
          ? strategyLabel(r.strategy, strategyColor(r.candidateIndex))
          : { html: '', className: 'text' },
        { html: escapeHtml(col.label), title: col.title, className: 'text' },
        { html: escapeHtml(cell.baseline.text), value: cell.baseline.value },
        { html: escapeHtml(cell.candidate.text), value: cell.candidate.value },
        {
          html: escapeHtml(cell.deltaText),
          value: cell.delta,
          ...(cell.change === 'better' || cell.change === 'worse' ? { className: cell.change } : {}),
          ...(cell.change ? { title: cell.change } : {}),
        },
      ]);
      rowData.push({ strategy: r.strategy, key: col.key });
    });
  }
  return table({ id: 'delta-table', headers, rows, rowData });
}

function unmatched(cmp: Comparison): string {
  const parts: string[] = [];
  if (cmp.onlyInBaseline.length > 0) parts.push(`only in the baseline: ${cmp.onlyInBaseline.join(', ')}`);
  if (cmp.onlyInCandidate.length > 0) parts.push(`only in the candidate: ${cmp.onlyInCandidate.join(', ')}`);
  return parts.length === 0 ? '' : `<p class="note">Not compared (${escapeHtml(parts.join('; '))}).</p>`;
}

function chartsSection(cmp: Comparison): string {
  const names = cmp.rows.map((r) => strategyLabel(r.strategy, strategyColor(r.candidateIndex)));
  const pairTable = (key: 'successRate' | 'p99' | 'amplification') =>
    table({
      headers: ['Strategy', 'Baseline', 'Candidate', 'Change'],
      rows: cmp.rows.map((r: CompareRow, i) => [
        names[i]!,
        r.cells[key].baseline.text,
        r.cells[key].candidate.text,
        r.cells[key].deltaText,
      ]),
    });
  const bars = (
    id: string,
    field: string,
    key: 'successRate' | 'p99' | 'amplification',
    title: string,
    yTitle: string,
    scale: number,
  ) =>
    figure({
      id,
      chart: 'cmp-bars',
      title,
      subtitle: 'faint: baseline, solid: candidate',
      ariaLabel: `Grouped bar chart of ${title.toLowerCase()}: ${cmp.rows
        .map((r) => `${r.strategy} ${r.cells[key].baseline.text} → ${r.cells[key].candidate.text}`)
        .join(', ')}`,
      attributes: { field, scale: String(scale), 'y-title': yTitle },
      fallback: pairTable(key),
    });
  return `<section id="compare-charts"><h2>Baseline vs candidate</h2><div class="grid">
${bars('chart-cmp-success', 'successRate', 'successRate', 'Success rate', 'success rate (%)', 100)}
${bars('chart-cmp-p99', 'latency.p99', 'p99', 'p99 latency', 'p99 latency (ms)', 1)}
${bars('chart-cmp-amplification', 'amplification', 'amplification', 'Retry amplification', 'attempts / request', 1)}
${figure({
  id: 'chart-cmp-spectrum',
  chart: 'cmp-spectrum',
  title: 'Latency percentile spectrum',
  subtitle: 'dashed: baseline, solid: candidate',
  ariaLabel:
    'Line chart of latency by percentile on a log axis, baseline dashed and candidate solid per strategy',
  fallback: table({
    headers: ['Strategy', 'p50 baseline', 'p50 candidate', 'p99 baseline', 'p99 candidate'],
    rows: cmp.rows.map((r, i) => [
      names[i]!,
      formatMs(r.cells.p50.baseline.value),
      formatMs(r.cells.p50.candidate.value),
      formatMs(r.cells.p99.baseline.value),
      formatMs(r.cells.p99.candidate.value),
    ]),
  }),
})}
</div>
${figure({
  id: 'chart-cmp-success-over-time',
  chart: 'cmp-success-over-time',
  title: 'Success rate over time',
  subtitle: "dashed: baseline, solid: candidate; shaded: the candidate's fault windows",
  ariaLabel: 'Line chart of per-second success rate, baseline dashed and candidate solid per strategy',
  size: 'tall',
  fallback: table({
    headers: ['Strategy', 'Baseline success', 'Candidate success'],
    rows: cmp.rows.map((r, i) => [
      names[i]!,
      formatPercent(r.cells.successRate.baseline.value),
      formatPercent(r.cells.successRate.candidate.value),
    ]),
  }),
})}
</section>`;
}
