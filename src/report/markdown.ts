import type { RunResult } from '../runner/result.ts';
import { claimsMarkdownLines } from './claims.ts';
import { compareRuns } from './compare.ts';
import { escapeMarkdownCell } from './escape.ts';
import { formatClock, formatDuration, formatLimit, formatObserved } from './format.ts';
import { type SeedRow, seedRows } from './seeds.ts';
import { targetNotes } from './target-notes.ts';
import type { MarkdownOptions, ThresholdResult } from './types.ts';
import { legend, verdictTable } from './verdict.ts';

/**
 * `summary.md`: the verdict and thresholds as GitHub Markdown, for `$GITHUB_STEP_SUMMARY` and PR
 * comments. A PR comment holds 64 KiB, so the text is cut at a line boundary to fit, with a note
 * saying so: a summary that fails to post is worse than a shortened one.
 */
export const MARKDOWN_MAX_BYTES = 64 * 1024;

export function renderMarkdown(result: RunResult, o: MarkdownOptions = {}): string {
  const lines = [
    `## squall: ${result.scenario.name}`,
    '',
    ...(result.scenario.description ? [result.scenario.description, ''] : []),
    ...metaLines(result),
    '',
    ...claimsMarkdownLines(result, row),
    '### Verdict',
    '',
    ...verdictLines(result, o.thresholds),
    '',
    `★ best in column · ${legend(verdictTable(result))}. Latency from intended arrival (no coordinated omission).`,
    '',
    ...seedLines(seedRows(result)),
    ...(o.thresholds && o.thresholds.length > 0 ? thresholdLines(o.thresholds) : []),
    ...alertLines(result),
  ];
  return fitMarkdown(lines, o.maxBytes ?? MARKDOWN_MAX_BYTES);
}

export function renderCompareMarkdown(
  baseline: RunResult,
  candidate: RunResult,
  o: { maxBytes?: number } = {},
): string {
  const cmp = compareRuns(baseline, candidate);
  const lines = [
    `## squall compare: ${baseline.scenario.name}`,
    '',
    `Baseline seed \`${baseline.seed}\` (squall ${baseline.versions.squall}) vs candidate seed \`${candidate.seed}\` (squall ${candidate.versions.squall}). Change = candidate − baseline.`,
    '',
    ...cmp.warnings.map((w) => `> ⚠️ Not like for like: ${w}`),
    ...(cmp.warnings.length > 0 ? [''] : []),
    '| Strategy | Metric | Baseline | Candidate | Change |',
    '|---|---|---:|---:|---:|',
  ];
  for (const r of cmp.rows) {
    cmp.columns.forEach((col, i) => {
      const cell = r.cells[col.key];
      const change =
        cell.change === 'worse'
          ? `**${cell.deltaText}** 🔴`
          : cell.change === 'better'
            ? `${cell.deltaText} 🟢`
            : cell.deltaText;
      lines.push(
        row([i === 0 ? r.strategy : '', col.label, cell.baseline.text, cell.candidate.text, change]),
      );
    });
  }
  if (cmp.onlyInBaseline.length > 0) lines.push('', `Only in the baseline: ${cmp.onlyInBaseline.join(', ')}`);
  if (cmp.onlyInCandidate.length > 0)
    lines.push('', `Only in the candidate: ${cmp.onlyInCandidate.join(', ')}`);
  return fitMarkdown(lines, o.maxBytes ?? MARKDOWN_MAX_BYTES);
}

function metaLines(result: RunResult): string[] {
  const arrival = result.arrivalModel === 'open' ? 'open' : 'closed';
  const lines = [
    '| Seed | Mode | Duration | Arrival model | Traffic | squall |',
    '|---|---|---|---|---|---|',
    row([
      `\`${result.seed}\``,
      result.mode,
      formatDuration(result.durationMs),
      arrival,
      result.trafficDescription,
      result.versions.squall,
    ]),
    '',
    `Reproduce: \`${result.reproduce.replace(/`/g, "'")}\``,
  ];
  if (result.partial) lines.push('', '> ⚠️ Partial run: interrupted; numbers cover only what ran.');
  for (const note of targetNotes(result)) lines.push('', `> ${note}`);
  return lines;
}

function verdictLines(result: RunResult, thresholds?: readonly ThresholdResult[]): string[] {
  const v = verdictTable(result, thresholds);
  const withThresholds = v.rows.some((r) => r.thresholds !== null);
  const headers = [
    'Strategy',
    'Rank',
    ...v.columns.map((c) => c.label),
    ...(withThresholds ? ['Thresholds'] : []),
  ];
  const lines = [
    row(headers),
    `|---|---:|${v.columns.map(() => '---:|').join('')}${withThresholds ? '---|' : ''}`,
  ];
  for (const r of v.rows) {
    const cells = v.columns.map((c) => {
      const cell = r.cells[c.key];
      return cell.best ? `**${cell.text}** ★` : cell.text;
    });
    const t = r.thresholds;
    const verdict = t === null ? '—' : `${t.passed === t.total ? '✅' : '❌'} ${t.passed}/${t.total}`;
    lines.push(
      row([
        r.partial ? `${r.strategy} (partial)` : r.strategy,
        r.rank === null ? '–' : String(r.rank),
        ...cells,
        ...(withThresholds ? [verdict] : []),
      ]),
    );
  }
  return lines;
}

function thresholdLines(thresholds: readonly ThresholdResult[]): string[] {
  const failed = thresholds.filter((t) => !t.pass).length;
  return [
    failed === 0
      ? `### Thresholds: ✅ all ${thresholds.length} passed`
      : `### Thresholds: ❌ ${failed} of ${thresholds.length} failed`,
    '',
    '| | Strategy | Threshold | Observed | Limit | Detail |',
    '|---|---|---|---:|---:|---|',
    // Failures first: if the text has to be cut, what broke the build survives.
    ...[...thresholds]
      .sort((a, b) => Number(a.pass) - Number(b.pass))
      .map((t) =>
        row([
          t.pass ? '✅' : '❌',
          t.strategy,
          `\`${t.expression.replace(/`/g, "'")}\``,
          formatObserved(t),
          formatLimit(t),
          t.message,
        ]),
      ),
    '',
  ];
}

/** The spread behind the means: one row per strategy and seed. */
function seedLines(rows: readonly SeedRow[]): string[] {
  if (rows.length === 0) return [];
  return [
    '### Per seed',
    '',
    row(['Strategy', 'Seed', 'Success', 'Unfinished', 'p95 (success)', 'Goodput']),
    '|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => row([r.strategy, `\`${r.seed}\``, r.success, r.unfinished, r.p95, r.goodput])),
    '',
  ];
}

function alertLines(result: RunResult): string[] {
  const fired = result.strategies.flatMap((s) =>
    s.alerts.flatMap((a) =>
      a.firings.map((f) => {
        const start = s.summary.series.startMs;
        const cleared =
          f.clearedAtMs === null
            ? 'still firing at the end'
            : `cleared ${formatClock((f.clearedAtMs - start) / 1000)}`;
        return `- ${s.name}: **${a.rule.name}** (${a.rule.severity}) fired at ${formatClock((f.firedAtMs - start) / 1000)}, ${cleared}`;
      }),
    ),
  );
  if (result.alertRules.length === 0) return [];
  return ['### Alerts', '', ...(fired.length === 0 ? ['No alert rule would have fired.'] : fired), ''];
}

function row(cells: string[]): string {
  return `| ${cells.map(escapeMarkdownCell).join(' | ')} |`;
}

/** Keeps whole lines while they fit, then says how much was left out. */
export function fitMarkdown(lines: readonly string[], maxBytes: number): string {
  const full = `${lines.join('\n')}\n`;
  if (Buffer.byteLength(full, 'utf8') <= maxBytes) return full;
  const kept: string[] = [];
  let bytes = 0;
  const noteFor = (omitted: number) =>
    `\n> ⚠️ **Truncated:** ${omitted} more line${omitted === 1 ? '' : 's'} left out to stay under ${Math.floor(maxBytes / 1024)} KiB. The full report is in report.html and result.json.\n`;
  // Leave room for the note with the longest count it could carry.
  const budget = maxBytes - Buffer.byteLength(noteFor(lines.length), 'utf8');
  for (const line of lines) {
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (bytes + size > budget) break;
    kept.push(line);
    bytes += size;
  }
  return `${kept.join('\n')}\n${noteFor(lines.length - kept.length)}`;
}
