import { join } from 'node:path';
import type { Command } from 'commander';
import { SquallError } from '../../errors.ts';
import {
  compareResults,
  comparisonExtrasMarkdown,
  comparisonMarkdown,
  evaluateFailOn,
} from '../../metrics/compare.ts';
import { parseThreshold, type ThresholdExpr, ThresholdSyntaxError } from '../../metrics/thresholds.ts';
import { EXIT } from '../exit-codes.ts';
import { loadRenderers, readResultFile, writeAtomic } from '../reports.ts';

export interface CompareCommandOptions {
  failOn: string[];
  out?: string;
  format: string;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('Compare two results of a scenario: per-metric changes, with confidence where seeds allow')
    .argument('<baseline>', 'result.json of the baseline run')
    .argument('<candidate>', 'result.json of the candidate run')
    .option(
      '--fail-on <expr>',
      'fail (exit 99) when a change matches, e.g. "success_rate < -0.02" (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('-o, --out <dir>', 'also write compare.md and compare.html there')
    .option('--format <format>', 'what to print: md (Markdown) or none', 'md')
    .addHelpText(
      'after',
      `
--fail-on uses the threshold syntax over the change (candidate − baseline); add "with 95% confidence"
to fail only when the whole confidence interval of the change matches (needs --seeds on both runs).
Exit codes: 0 no regression; 99 a --fail-on matched; 64 a file is missing or not a squall result.

Examples:
  $ squall compare main/result.json branch/result.json
  $ squall compare a.json b.json --fail-on "success_rate < -0.02" --fail-on "p(99) > 500ms with 95% confidence"
  $ squall compare a.json b.json --out reports/compare`,
    )
    .action(async (baseline: string, candidate: string, opts: CompareCommandOptions) => {
      process.exitCode = await compareCommand(baseline, candidate, opts);
    });
}

export async function compareCommand(
  baselineFile: string,
  candidateFile: string,
  opts: CompareCommandOptions,
): Promise<number> {
  if (opts.format !== 'md' && opts.format !== 'none') {
    throw new SquallError('ERR_SQUALL_INVALID_CONFIG', `--format: expected md or none, got "${opts.format}"`);
  }
  const exprs: ThresholdExpr[] = opts.failOn.map((source) => {
    try {
      const e = parseThreshold(source);
      if (e.right.kind !== 'literal')
        throw new ThresholdSyntaxError(
          `--fail-on "${source}": compare a metric's change with a number`,
          'e.g. --fail-on "success_rate < -0.02"',
        );
      return e;
    } catch (err) {
      if (!(err instanceof ThresholdSyntaxError)) throw err;
      throw new SquallError('ERR_SQUALL_INVALID_CONFIG', `--fail-on: ${err.message}`, { hint: err.hint });
    }
  });
  const baseline = readResultFile(baselineFile);
  const candidate = readResultFile(candidateFile);
  const cmp = compareResults(baseline, candidate);
  const verdicts = evaluateFailOn(exprs, cmp);
  const r = await loadRenderers();
  const extras = comparisonExtrasMarkdown(cmp, verdicts);
  const markdown = r.renderCompareMarkdown
    ? `${r.renderCompareMarkdown(baseline, candidate, {}).trimEnd()}\n${extras}`
    : comparisonMarkdown(cmp, verdicts);
  if (opts.format === 'md') process.stdout.write(markdown);
  if (opts.out) {
    const pre = (text: string) => `<pre>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</pre>`;
    const html = r.renderCompareHtml
      ? r
          .renderCompareHtml(baseline, candidate, {})
          .replace(/<\/body>/i, `${extras ? pre(extras) : ''}</body>`)
      : `<!doctype html><html><head><meta charset="utf-8"><title>squall compare</title></head><body>${pre(markdown)}</body></html>\n`;
    writeAtomic(join(opts.out, 'compare.md'), markdown);
    writeAtomic(join(opts.out, 'compare.html'), html);
    process.stdout.write(`compare: ${opts.out}\n`);
  }
  const failed = verdicts.filter((v) => !v.pass);
  for (const f of failed) process.stderr.write(`✗ ${f.expression}: ${f.message}\n`);
  return failed.length > 0 ? EXIT.thresholdsFailed : EXIT.ok;
}
