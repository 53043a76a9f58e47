import type { Command } from 'commander';
import { SquallError } from '../../errors.ts';
import { ScenarioValidationError } from '../../scenario/load.ts';
import { checkedPlan, loadScenario, preflight } from '../../scenario/plan.ts';
import { EXIT } from '../exit-codes.ts';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check scenario files without running them: every problem at once, with file:line:col')
    .argument('<files...>', 'scenario files (YAML or JSON)')
    .addHelpText(
      'after',
      `
Exit codes: 0 every file is valid; 64 at least one is not.

Examples:
  $ squall validate scenarios/**/*.yaml
  $ squall validate my-scenario.yaml`,
    )
    .action(async (files: string[]) => {
      process.exitCode = await validateCommand(files);
    });
}

/** Validates each file (schema, the run's size checks, then strategy modules); returns the exit code. */
export async function validateCommand(files: string[]): Promise<number> {
  let invalid = 0;
  for (const file of files) {
    try {
      const loaded = loadScenario(file);
      // The same checks `run` makes before it starts, then user modules (adapters), so a wrong path
      // shows now rather than mid-run.
      await preflight(checkedPlan(loaded));
      const s = loaded.scenario;
      process.stdout.write(
        `ok  ${file}  (${s.strategies.length} strateg${s.strategies.length === 1 ? 'y' : 'ies'}${s.variants ? `, ${s.variants.length} variant${s.variants.length === 1 ? '' : 's'} of a target` : ''}, ${s.thresholds?.length ?? 0} thresholds)\n`,
      );
    } catch (e) {
      if (!(e instanceof SquallError)) throw e;
      invalid++;
      process.stderr.write(
        `${e instanceof ScenarioValidationError ? e.message : `${file}: ${e.message}`}\n${e.hint ? `hint: ${e.hint}\n` : ''}`,
      );
    }
  }
  if (invalid > 0 && files.length > 1)
    process.stderr.write(`squall: ${invalid} of ${files.length} files are invalid\n`);
  return invalid > 0 ? EXIT.invalidInput : EXIT.ok;
}
