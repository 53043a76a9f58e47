import { headerValue } from './classify.ts';

/**
 * The server's own word on how long to wait. Precedence follows openai-node (v7.5.0 `retryRequest`):
 * `retry-after-ms` (milliseconds, non-standard but OpenAI sends it), then `retry-after` as seconds, then
 * `retry-after` as an HTTP date measured against the clock (so it works in virtual time).
 *
 * Unlike the SDK's `parseFloat`, seconds must be a plain number: `parseFloat("Wed, 21 Oct…")` is NaN, but
 * `parseFloat("2026-01-01…")` would read a date as 2026 seconds.
 */
const PLAIN_NUMBER = /^\s*\d+(?:\.\d+)?\s*$/;

/** Milliseconds the server asked us to wait, or undefined when it said nothing usable (absent, garbage,
 *  a date in the past). */
export function parseRetryAfterMs(
  headers: Readonly<Record<string, string>>,
  nowMs: number,
): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && PLAIN_NUMBER.test(ms)) return Number(ms);
  const after = headerValue(headers, 'retry-after');
  if (after === undefined || after === '') return undefined;
  if (PLAIN_NUMBER.test(after)) return Number(after) * 1000;
  const at = Date.parse(after);
  if (Number.isNaN(at)) return undefined;
  const delta = at - nowMs;
  return delta >= 0 ? delta : undefined;
}

export interface RetryAfterOptions {
  honour: boolean;
  /** Longest server-requested wait we accept (openai-node v7.5: 60 s). */
  maxMs: number;
  /** What to do with a longer request: use our own backoff (openai-node), or wait maxMs. Default 'backoff'. */
  overMax?: 'backoff' | 'clamp';
}

/** The wait to use instead of our backoff, or undefined to use the backoff. */
export function serverDelayMs(
  headers: Readonly<Record<string, string>>,
  nowMs: number,
  options: RetryAfterOptions | undefined,
): number | undefined {
  if (!options?.honour) return undefined;
  const ms = parseRetryAfterMs(headers, nowMs);
  if (ms === undefined) return undefined;
  if (ms <= options.maxMs) return ms;
  return options.overMax === 'clamp' ? options.maxMs : undefined;
}
