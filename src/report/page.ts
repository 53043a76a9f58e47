import type { RunResult } from '../runner/result.ts';
import { chartJsSource } from './chartjs.ts';
import { CLIENT_JS } from './client.ts';
import { escapeHtml, jsonForScript, scriptForInline } from './escape.ts';
import { formatClock, formatDuration } from './format.ts';
import { FAULT_EDGE, FAULT_SHADE } from './palette.ts';
import { REPORT_CSS } from './style.ts';
import { targetNotes } from './target-notes.ts';

/**
 * Building blocks shared by the run and compare pages: the document shell (styles, embedded data,
 * chart.js and the page script, all inline so the file opens offline), figures with their accessible
 * fallback, tables and the time-window control.
 */
export function page(options: {
  title: string;
  header: string;
  body: string;
  footer: string;
  data: object;
}): string {
  const data = { ...options.data, faultShade: FAULT_SHADE, faultEdge: FAULT_EDGE };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(options.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
${options.header}
</header>
<main>
${options.body}
</main>
<footer><p>${escapeHtml(options.footer)}</p></footer>
<script type="application/json" id="squall-data">${jsonForScript(data)}</script>
<script>${scriptForInline(chartJsSource())}</script>
<script>${CLIENT_JS}</script>
</body>
</html>
`;
}

/** Scenario, seed, mode, duration, load model, versions and the command that reproduces the run. */
export function runMeta(result: RunResult, heading = true): string {
  const items: Array<[string, string]> = [
    ['Seed', `<code>${escapeHtml(result.seed)}</code>`],
    ['Mode', result.mode === 'sim' ? 'sim (simulated time)' : 'live (wall-clock time)'],
    ['Duration', escapeHtml(formatDuration(result.durationMs))],
    [
      'Arrival model',
      `${result.arrivalModel === 'open' ? 'open (arrivals never wait for answers)' : 'closed (virtual users wait)'}`,
    ],
    ['Traffic', escapeHtml(result.trafficDescription)],
    [
      'Scenario hash',
      `<code title="${escapeHtml(result.scenario.hash)}">${escapeHtml(result.scenario.hash.slice(0, 12))}</code>`,
    ],
    ['squall', escapeHtml(result.versions.squall)],
    ['Node.js', escapeHtml(result.versions.node)],
    ['openai SDK', escapeHtml(result.versions.openai)],
    ['Started', escapeHtml(result.wall.startedAt)],
  ];
  if (result.scenario.file) items.push(['Scenario file', `<code>${escapeHtml(result.scenario.file)}</code>`]);
  const title = heading
    ? `<h1>${escapeHtml(result.scenario.name)}</h1>\n${
        result.scenario.description ? `<p class="lead">${escapeHtml(result.scenario.description)}</p>\n` : ''
      }`
    : '';
  const partial = result.partial
    ? '<p class="warning"><strong>Partial run:</strong> the run was interrupted; numbers cover only what ran.</p>\n'
    : '';
  return `${title}<dl class="meta">
${items.map(([k, v]) => `<div data-field="${escapeHtml(k)}"><dt>${k}</dt><dd>${v}</dd></div>`).join('\n')}
</dl>
<div>Reproduce: <pre class="repro"><code data-field="reproduce">${escapeHtml(result.reproduce)}</code></pre></div>
${partial}${targetNotes(result)
  .map((n) => `<p class="note" data-field="target-note">${escapeHtml(n)}</p>\n`)
  .join('')}`;
}

export interface FigureOptions {
  id: string;
  chart: string;
  title: string;
  subtitle?: string;
  /** What a screen reader announces for the canvas. */
  ariaLabel: string;
  /** HTML (usually a table) carrying the chart's numbers for readers who cannot see it. */
  fallback: string;
  index?: number;
  size?: 'short' | 'tall';
  /** Extra data-* attributes for the builder. */
  attributes?: Record<string, string>;
}

export function figure(o: FigureOptions): string {
  const attributes = Object.entries(o.attributes ?? {})
    .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
    .join('');
  const index = o.index === undefined ? '' : ` data-index="${o.index}"`;
  return `<figure>
<figcaption>${escapeHtml(o.title)}${o.subtitle ? `<span class="sub">${escapeHtml(o.subtitle)}</span>` : ''}</figcaption>
<div class="chart-box${o.size ? ` ${o.size}` : ''}"><canvas id="${escapeHtml(o.id)}" data-chart="${escapeHtml(o.chart)}"${index}${attributes} role="img" aria-label="${escapeHtml(o.ariaLabel)}">${escapeHtml(o.ariaLabel)}</canvas></div>
<details><summary>Numbers behind this chart</summary>${o.fallback}</details>
</figure>`;
}

/**
 * A chart with nothing to draw: its caption and one sentence saying why, instead of empty axes a reader
 * would study for a line that is not there.
 */
export function emptyFigure(o: { id: string; title: string; message: string }): string {
  return `<figure>
<figcaption>${escapeHtml(o.title)}</figcaption>
<p class="empty-chart" id="${escapeHtml(o.id)}">${escapeHtml(o.message)}</p>
</figure>`;
}

export interface Cell {
  html: string;
  /** The raw number, so a test or a script can read the cell without parsing text. */
  value?: number | null;
  className?: string;
  title?: string;
  /** Column key (data-key), so cells can be found by meaning rather than position. */
  key?: string;
}

export type CellInput = string | Cell;

/** A table; plain strings are escaped, Cell.html is trusted. */
export function table(options: {
  headers: CellInput[];
  rows: CellInput[][];
  /** data-* attributes per row (same order as rows), e.g. { strategy: 'expo' }. */
  rowData?: Array<Record<string, string>>;
  className?: string;
  caption?: string;
  id?: string;
}): string {
  const id = options.id ? ` id="${escapeHtml(options.id)}"` : '';
  const cls = options.className ? ` class="${escapeHtml(options.className)}"` : '';
  const caption = options.caption ? `<caption class="note">${escapeHtml(options.caption)}</caption>` : '';
  const head = options.headers.map((h) => renderCell('th', h)).join('');
  const body = options.rows
    .map((r, i) => {
      const data = Object.entries(options.rowData?.[i] ?? {})
        .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
        .join('');
      return `<tr${data}>${r.map((c) => renderCell('td', c)).join('')}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table${id}${cls}>${caption}<thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table></div>`;
}

function renderCell(tag: 'td' | 'th', c: CellInput): string {
  if (typeof c === 'string') return `<${tag}>${escapeHtml(c)}</${tag}>`;
  const attrs = [
    c.className ? ` class="${escapeHtml(c.className)}"` : '',
    c.title ? ` title="${escapeHtml(c.title)}"` : '',
    c.key ? ` data-key="${escapeHtml(c.key)}"` : '',
    c.value !== undefined ? ` data-value="${c.value === null ? '' : String(c.value)}"` : '',
    tag === 'th' ? ' scope="col"' : '',
  ].join('');
  return `<${tag}${attrs}>${c.html}</${tag}>`;
}

/** A strategy name with its colour swatch, as in every legend. */
export function strategyLabel(name: string, color: string): Cell {
  return {
    html: `<span class="swatch" style="background:${color}" aria-hidden="true"></span>${escapeHtml(name)}`,
    className: 'text',
  };
}

/** Start/end sliders, one button per fault window, reset: the one time window for every time chart. */
export function zoomControl(
  seconds: number,
  windows: Array<{ name: string; startS: number; endS: number }>,
): string {
  const buttons = windows.map((w, i) => {
    // Exactly the range the label names: a user who reads "1:00–14:06" must see 1:00–14:06 (a padded
    // range read as the wrong window). The sliders and Reset widen it to see the recovery after.
    const from = Math.max(0, Math.round(w.startS));
    const to = Math.min(seconds, Math.max(from + 1, Math.round(w.endS)));
    return `<button type="button" id="zoom-window-${i}" data-zoom-from="${from}" data-zoom-to="${to}">Zoom to ${escapeHtml(
      w.name,
    )} (${formatClock(w.startS)}–${formatClock(w.endS)})</button>`;
  });
  return `<section class="zoom" aria-label="Time window for all time charts">
<strong>Time window</strong>
<label>from <input type="range" id="zoom-start" min="0" max="${seconds}" step="1" value="0" aria-label="window start (seconds)"></label>
<label>to <input type="range" id="zoom-end" min="0" max="${seconds}" step="1" value="${seconds}" aria-label="window end (seconds)"></label>
<output id="zoom-shown" for="zoom-start zoom-end"></output>
${buttons.join('\n')}
<button type="button" id="zoom-reset">Reset</button>
</section>`;
}
