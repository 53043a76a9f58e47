import type { ClaimResult, ClaimVerdict } from '../claims/evaluate.ts';
import type { MetricUnit } from '../metrics/thresholds.ts';
import type { RunResult } from '../runner/result.ts';
import { escapeHtml } from './escape.ts';
import { formatCost, formatMs, formatNumber, formatPercent, NO_VALUE } from './format.ts';
import { table } from './page.ts';

/**
 * The **Claims** table every report opens with when the scenario states claims: what the article says,
 * what squall measured over the seeds (mean and 95% interval of the compared quantity), and the verdict.
 * Renders `result.claims` only; the judging is in src/claims/evaluate.ts.
 */
export const CLAIMS_NOTE =
  'Claims are findings, not gates: a contradicted claim does not fail the run. Each is judged on the 95% interval over the seeds: wholly on the claim’s side, confirmed; wholly on the other, contradicted; straddling, inconclusive.';

const VERDICT_MARK: Record<ClaimVerdict, string> = {
  confirmed: '✓ confirmed',
  contradicted: '✗ contradicted',
  inconclusive: '? inconclusive',
};

/** `+27.8 pp [+25.1, +30.4] over 5 seeds`, in the metric's unit; the interval only when there is one. */
export function formatMeasured(c: ClaimResult): string {
  const m = c.measured;
  const diff = m.quantity.includes(' − ');
  const one = (v: number) => formatValue(v, m.unit, diff);
  const seeds = `${m.seeds} seed${m.seeds === 1 ? '' : 's'}`;
  if (m.mean === null || m.ci95 === null) return `${NO_VALUE} (${seeds})`;
  return `${one(m.mean)} [${one(m.ci95[0])}, ${one(m.ci95[1])}] over ${seeds}`;
}

/** Each side's mean: `"expo" 99.1% vs "fixed" 71.3%`. */
export function formatSides(c: ClaimResult): string {
  const m = c.measured;
  const side = (s: { label: string; mean: number | null }) =>
    `${s.label} ${s.mean === null ? NO_VALUE : formatValue(s.mean, m.unit, false)}`;
  return m.quantity.includes(' − ')
    ? `${side(m.left)} vs ${side(m.right)}`
    : `${side(m.left)}, claim ${m.op} ${formatValue(m.against, m.unit, false)}`;
}

function formatValue(v: number, unit: MetricUnit, signed: boolean): string {
  const sign = signed ? (v > 0 ? '+' : v < 0 ? '−' : '±') : v < 0 ? '−' : '';
  const a = Math.abs(v);
  switch (unit) {
    case 'fraction':
      return signed ? `${sign}${(a * 100).toFixed(1)} pp` : `${sign}${formatPercent(a, 1)}`;
    case 'ms':
      return `${sign}${formatMs(a)}`;
    case 'ratio':
      return `${sign}${a.toFixed(2)}${signed ? '' : '×'}`;
    case 'usd':
      return `${sign}${formatCost(a)}`;
    default:
      return `${sign}${formatNumber(a)}`;
  }
}

export function claimsHtml(result: RunResult): string {
  const claims = result.claims ?? [];
  if (claims.length === 0) return '';
  return `<section id="claims"><h2>Claims</h2>
${table({
  id: 'claims-table',
  className: 'claims',
  headers: ['Claim', 'Source', 'Article says', 'Check', 'squall measured', 'Verdict'],
  rowData: claims.map((c) => ({ verdict: c.verdict })),
  rows: claims.map((c) => [
    { html: escapeHtml(c.text), className: 'text' },
    { html: escapeHtml(c.source), className: 'text' },
    { html: escapeHtml(c.article ?? NO_VALUE), className: 'text' },
    { html: `<code>${escapeHtml(c.check)}</code>`, className: 'text' },
    {
      html: `${escapeHtml(formatMeasured(c))}<br><span class="note">${escapeHtml(formatSides(c))}</span>`,
      value: c.measured.mean,
      title: c.reason,
    },
    { html: VERDICT_MARK[c.verdict], className: `verdict-${c.verdict}`, title: c.reason, key: 'verdict' },
  ]),
})}
<p class="note">${escapeHtml(CLAIMS_NOTE)}</p>
</section>`;
}

export function claimsMarkdownLines(result: RunResult, row: (cells: string[]) => string): string[] {
  const claims = result.claims ?? [];
  if (claims.length === 0) return [];
  return [
    '### Claims',
    '',
    '| Claim | Source | Article says | squall measured | Verdict |',
    '|---|---|---|---|---|',
    ...claims.map((c) =>
      row([
        `${c.text} (\`${c.check.replace(/`/g, "'")}\`)`,
        c.source,
        c.article ?? NO_VALUE,
        `${formatMeasured(c)}; ${formatSides(c)}`,
        `**${c.verdict}**`,
      ]),
    ),
    '',
    CLAIMS_NOTE,
    '',
  ];
}

export function claimsTerminalLines(
  result: RunResult,
  paint: (text: string, ...styles: Array<'bold' | 'dim' | 'green' | 'red' | 'yellow'>) => string,
): string[] {
  const claims = result.claims ?? [];
  if (claims.length === 0) return [];
  const style = { confirmed: 'green', contradicted: 'red', inconclusive: 'yellow' } as const;
  const lines = [
    paint(
      `claims (${claims.length}, judged over ${claims[0]!.measured.seeds} seeds; findings, not gates)`,
      'bold',
    ),
  ];
  for (const c of claims) {
    lines.push(
      `  ${paint(VERDICT_MARK[c.verdict].padEnd(14), style[c.verdict], 'bold')}  ${c.text}`,
      paint(
        `      ${c.check}: ${formatMeasured(c)}; ${formatSides(c)}${c.article ? `; article: ${c.article}` : ''}`,
        'dim',
      ),
    );
  }
  return lines;
}
