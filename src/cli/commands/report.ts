import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.ts';
import { readResultFile, writeReportDir } from '../reports.ts';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('Rebuild report.html, summary.md and junit.xml from a result.json, without re-running')
    .argument('<result>', 'a result.json written by `squall run`')
    .option('-o, --out <dir>', 'folder to write into (default: the folder of the result)')
    .addHelpText(
      'after',
      `
Thresholds are not re-evaluated: the verdicts stored in result.json are shown as they were.
Exit codes: 0 written; 64 the file is missing or not a squall result.

Examples:
  $ squall report reports/singles-day-429-storm/2026-01-01T12-00-00Z/result.json
  $ squall report result.json --out /tmp/report`,
    )
    .action(async (file: string, opts: { out?: string }) => {
      process.exitCode = await reportCommand(file, opts);
    });
}

export async function reportCommand(file: string, opts: { out?: string }): Promise<number> {
  const result = readResultFile(file);
  const dir = opts.out ?? dirname(file);
  // Never rewrite the input itself; a copy goes along when the reports go elsewhere.
  const same = resolve(join(dir, 'result.json')) === resolve(file);
  await writeReportDir(dir, result, { writeResult: !same });
  process.stdout.write(`report: ${dir}\n`);
  return EXIT.ok;
}
