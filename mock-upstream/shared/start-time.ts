import { SquallError } from '../../src/errors.ts';

/**
 * `--start-time`: the absolute time every process's schedule counts from, as epoch milliseconds or an
 * ISO 8601 date-time with a zone (`2026-03-01T12:00:00Z`). A time without a zone is refused: two pods in
 * different time zones would read it differently, which is the incoherence this flag exists to prevent.
 */
export function parseStartTime(input: string): number {
  const s = input.trim();
  if (/^\d+$/.test(s)) {
    const ms = Number(s);
    if (Number.isSafeInteger(ms)) return ms;
  } else if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/i.test(s)) {
    const ms = Date.parse(s);
    if (Number.isFinite(ms)) return ms;
  }
  throw new SquallError('ERR_SQUALL_INVALID_CONFIG', `--start-time: cannot read "${input}" as a time`, {
    hint: 'epoch milliseconds (1767225600000) or ISO 8601 with a zone (2026-01-01T00:00:00Z); give every process the same value',
  });
}
