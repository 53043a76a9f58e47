import { basename } from 'node:path';
import type { RunResult } from '../runner/result.ts';

/**
 * What a reader must know about where the numbers came from when the run did not use squall's own mock
 * the usual way: an upstream that was already running (`--upstream`), or a service under test whose
 * upstream attempts could or could not be joined to its requests. Plain sentences; every renderer shows
 * them as it likes.
 */
export function targetNotes(result: RunResult): string[] {
  const notes: string[] = [];
  if (result.upstream) {
    notes.push(
      `Upstream: ${result.upstream.url}, already running: its faults and limits are its own (the scenario's upstream section was not used).`,
    );
  }
  for (const s of result.strategies) {
    if (!s.target) continue;
    const join =
      s.target.attemptsJoinedBy === 'x-squall-request-id'
        ? 'every upstream attempt carried x-squall-request-id, so attempts are counted per request'
        : `${s.target.forwardedRequestId} of ${s.target.upstreamAttempts} upstream attempts carried x-squall-request-id, so attempts are totals only: amplification is all attempts over all requests`;
    notes.push(
      `Service under test, variant ${s.name}: ${join}; its output is in ${basename(s.target.logFile)}.`,
    );
  }
  return notes;
}
