import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSquallError } from '../errors.ts';
import type { ResultFile } from '../scenario/plan.ts';
import { writeReportDir } from './reports.ts';

/**
 * A run's report folder, kept even when it cannot go where it was asked: a full disk or a read-only
 * `--out` must not lose a run that took an hour. The reports then go to a fresh folder in the system's
 * temp folder, and the caller exits 74 (EX_IOERR) after printing the table as usual.
 */
export interface SavedReport {
  /** Where the reports are: the folder asked for, or the fallback. */
  dir: string;
  /** The Markdown summary (for the step summary); none when nothing could be written. */
  markdown?: string;
  /** Why the folder asked for could not be written, if it could not. */
  failure?: string;
  /** The fallback could not be written either: nothing was saved. */
  lost?: boolean;
}

export async function saveReport(
  dir: string,
  file: ResultFile,
  safeName: string,
  stderr: { write(text: string): unknown } = process.stderr,
  fallbackRoot: string = tmpdir(),
): Promise<SavedReport> {
  try {
    return { dir, ...(await writeReportDir(dir, file)) };
  } catch (e) {
    if (!isSquallError(e, 'ERR_SQUALL_IO')) throw e;
    stderr.write(`squall: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
    try {
      const fallback = mkdtempSync(join(fallbackRoot, `squall-${safeName}-`));
      const { markdown } = await writeReportDir(fallback, file);
      stderr.write(`squall: the result is kept in ${join(fallback, 'result.json')} instead\n`);
      return { dir: fallback, markdown, failure: e.message };
    } catch (e2) {
      const why = isSquallError(e2) ? e2.message : `cannot write to ${fallbackRoot} (${String(e2)})`;
      stderr.write(`squall: ${why}; the result was not saved\n`);
      // The table and the verdicts are still printed.
      return { dir, failure: e.message, lost: true };
    }
  }
}
