import type { RunResult } from '../runner/result.ts';
import { claimsTerminalLines } from './claims.ts';
import { formatDuration, formatLimit, formatObserved } from './format.ts';
import type { TerminalOptions, ThresholdResult } from './types.ts';
import { legend, verdictTable } from './verdict.ts';

/**
 * The table printed after a run. Plain text unless colour is asked for; without colour the best
 * value in each column carries a `*` so the marking survives CI logs and pipes.
 */
const ANSI = {
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  green: '\u001b[32m',
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  reset: '\u001b[0m',
};

type Paint = (text: string, ...styles: Array<keyof typeof ANSI>) => string;

export function renderTerminalTable(result: RunResult, o: TerminalOptions = {}): string {
  const paint: Paint = o.color
    ? (text, ...styles) => `${styles.map((s) => ANSI[s]).join('')}${text}${ANSI.reset}`
    : (text) => text;
  const v = verdictTable(result, o.thresholds);
  const withThresholds = v.rows.some((r) => r.thresholds !== null);
  const headers = [
    'Strategy',
    'Rank',
    ...v.columns.map((c) => c.label),
    ...(withThresholds ? ['Thresholds'] : []),
  ];
  const rows = v.rows.map((r) => {
    const cells = v.columns.map((c) => {
      const cell = r.cells[c.key];
      return {
        text: cell.best && !o.color ? `${cell.text}*` : cell.text,
        styles: cell.best ? ['green', 'bold'] : [],
      };
    });
    const t = r.thresholds;
    const verdict =
      t === null
        ? { text: '—', styles: [] }
        : t.passed === t.total
          ? { text: `✓ ${t.passed}/${t.total}`, styles: ['green'] }
          : { text: `✗ ${t.passed}/${t.total}`, styles: ['red', 'bold'] };
    return [
      { text: r.partial ? `${r.strategy} (partial)` : r.strategy, styles: [] },
      { text: r.rank === null ? '–' : String(r.rank), styles: [] },
      ...cells,
      ...(withThresholds ? [verdict] : []),
    ] as Array<{ text: string; styles: Array<keyof typeof ANSI> }>;
  });
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i]!.text))));
  const pad = (text: string, i: number) =>
    i === 0 ? text + ' '.repeat(widths[i]! - width(text)) : ' '.repeat(widths[i]! - width(text)) + text;
  const lines = [
    paint(
      `${result.scenario.name} · seed ${result.seed} · ${result.mode} · ${formatDuration(result.durationMs)} · ${result.arrivalModel} model`,
      'bold',
    ),
    '',
    headers.map((h, i) => paint(pad(h, i), 'bold')).join('  '),
    widths.map((w) => paint('─'.repeat(w), 'dim')).join('  '),
    ...rows.map((r) => r.map((c, i) => paint(pad(c.text, i), ...c.styles)).join('  ')),
    '',
    paint(`${o.color ? 'green' : '*'}: best in column · ${legend(v)}`, 'dim'),
  ];
  if (result.partial) lines.push(paint('partial run: interrupted; numbers cover only what ran', 'yellow'));
  if (o.thresholds && o.thresholds.length > 0) lines.push('', ...thresholdLines(o.thresholds, paint));
  if (result.claims?.length) lines.push('', ...claimsTerminalLines(result, paint));
  lines.push('', paint(`reproduce: ${result.reproduce}`, 'dim'));
  return `${lines.join('\n')}\n`;
}

function thresholdLines(thresholds: readonly ThresholdResult[], paint: Paint): string[] {
  const failed = thresholds.filter((t) => !t.pass).length;
  const head =
    failed === 0
      ? paint(`thresholds: all ${thresholds.length} passed`, 'green', 'bold')
      : paint(`thresholds: ${failed} of ${thresholds.length} failed`, 'red', 'bold');
  const strategyWidth = Math.max(...thresholds.map((t) => width(t.strategy)));
  const exprWidth = Math.max(...thresholds.map((t) => width(t.expression)));
  return [
    head,
    ...thresholds.map((t) => {
      const mark = t.pass ? paint('✓', 'green') : paint('✗', 'red', 'bold');
      const observed = `observed ${formatObserved(t)}, limit ${formatLimit(t)}`;
      return `  ${mark} ${t.strategy.padEnd(strategyWidth)}  ${t.expression.padEnd(exprWidth)}  ${observed}${
        t.pass ? '' : paint(`  ${t.message}`, 'red')
      }`;
    }),
  ];
}

/** Columns count code points, which is right for the text this table holds (no wide CJK cells). */
function width(text: string): number {
  return [...text].length;
}
