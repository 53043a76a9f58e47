import type { ThresholdResult } from '../metrics/thresholds.ts';
import type { RunResult } from '../runner/result.ts';
import { formatLimit, formatObserved } from './format.ts';
import { verdictTable } from './verdict.ts';

/**
 * JUnit XML for CI test reporters (GitHub, GitLab, Jenkins): one test suite per scenario, one test case
 * per threshold per strategy, failures carrying the observed value, the limit and the command that
 * reproduces the run. A strategy without thresholds still gets a case, so a run that did nothing shows.
 * The suite's `<system-out>` carries the verdict table (offered, succeeded, failed, unfinished…), so
 * a CI log shows every offered request accounted for even when every threshold passed.
 */
export function renderJunit(result: RunResult, thresholds: readonly ThresholdResult[]): string {
  const suite = result.scenario.name;
  const cases: string[] = [];
  let failures = 0;
  for (const t of thresholds) {
    const attrs = `classname="${esc(`squall.${suite}.${t.strategy}`)}" name="${esc(t.expression)}" time="0"`;
    if (t.pass) {
      cases.push(`    <testcase ${attrs}/>`);
      continue;
    }
    failures++;
    const body = [
      t.message,
      `observed: ${t.observed === null ? 'no value' : formatObserved(t)}`,
      `limit: ${t.limit === null || Number.isNaN(t.limit as number) ? 'n/a' : formatLimit(t)}`,
      `seed: ${result.seed}`,
      `reproduce: ${result.reproduce}`,
    ].join('\n');
    cases.push(
      `    <testcase ${attrs}>\n      <failure type="threshold" message="${esc(t.message)}">${esc(body)}</failure>\n    </testcase>`,
    );
  }
  const withThresholds = new Set(thresholds.map((t) => t.strategy));
  for (const s of result.strategies) {
    if (withThresholds.has(s.name)) continue;
    const attrs = `classname="${esc(`squall.${suite}.${s.name}`)}" name="ran" time="${(s.wall.wallMs / 1000).toFixed(3)}"`;
    if (s.partial) {
      failures++;
      cases.push(
        `    <testcase ${attrs}>\n      <failure type="interrupted" message="the run was interrupted; numbers are partial"/>\n    </testcase>`,
      );
    } else cases.push(`    <testcase ${attrs}/>`);
  }
  const props = [
    ['seed', result.seed],
    ['mode', result.mode],
    ['partial', String(result.partial)],
    ['reproduce', result.reproduce],
    ['scenario_hash', result.scenario.hash],
  ]
    .map(([k, v]) => `      <property name="${esc(k!)}" value="${esc(v!)}"/>`)
    .join('\n');
  const time = (result.wall.wallMs / 1000).toFixed(3);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="squall" tests="${cases.length}" failures="${failures}" errors="0" time="${time}">`,
    `  <testsuite name="${esc(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${time}" timestamp="${esc(result.wall.startedAt)}">`,
    `    <properties>\n${props}\n    </properties>`,
    ...cases,
    `    <system-out>${esc(outcomeText(result, thresholds))}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** The verdict table as plain lines, plus every strategy's request accounting. */
function outcomeText(result: RunResult, thresholds: readonly ThresholdResult[]): string {
  const v = verdictTable(result, thresholds);
  const lines = v.rows.map((r) => {
    const s = result.strategies[r.index]!.summary;
    const failed = s.requests.completed - s.results.success;
    const cells = v.columns.map((c) => `${c.label} ${r.cells[c.key].text}`).join(', ');
    return `${r.rank ?? '–'}. ${r.strategy}: offered ${s.requests.offered}, succeeded ${s.results.success}, failed ${failed}, unfinished ${r.cells.unfinished.text}; ${cells}`;
  });
  return `\n${lines.join('\n')}\n${v.objective.name} ranks the strategies (seed ${result.seed})\n    `;
}

/** XML-escapes text and attribute values; drops characters XML 1.0 cannot carry. */
function esc(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
