import { Command, CommanderError } from 'commander';
import { isSquallError } from '../errors.ts';
import { registerCompare } from './commands/compare.ts';
import { registerExport } from './commands/export.ts';
import { registerInit } from './commands/init.ts';
import { registerReport } from './commands/report.ts';
import { registerRun } from './commands/run.ts';
import { registerServe } from './commands/serve.ts';
import { registerValidate } from './commands/validate.ts';
import { EXIT } from './exit-codes.ts';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('squall')
    .description('Chaos-testing and load simulation for code that calls OpenAI-style LLM APIs')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServe(program);
  registerRun(program);
  registerValidate(program);
  registerReport(program);
  registerCompare(program);
  registerInit(program);
  registerExport(program);
  return program;
}

/** CLI entry: user mistakes get a message and a hint (no stack trace) and exit 64; bugs exit 70. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
      return;
    }
    if (isSquallError(e)) {
      process.stderr.write(`squall: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
      if (e.code === 'ERR_SQUALL_IO') {
        process.exitCode = EXIT.ioError;
        return;
      }
      process.exitCode =
        e.code === 'ERR_SQUALL_INTERNAL'
          ? EXIT.internalError
          : e.code === 'ERR_SQUALL_TARGET'
            ? EXIT.targetFailed
            : EXIT.invalidInput;
      return;
    }
    process.stderr.write(
      `squall: internal error (please report it)\n${e instanceof Error ? e.stack : String(e)}\n`,
    );
    process.exitCode = EXIT.internalError;
  }
}
