import { headerValue } from './classify.ts';

/**
 * The server's own word on how long to wait, read exactly as the openai SDK reads it (openai-node
 * src/client.ts `retryRequest`, v7.5 onwards; node_modules/openai/src/client.ts here):
 *
 *  1. `retry-after-ms`, when present and not empty: `parseFloat` of it, in milliseconds. A number (even a
 *     negative or infinite one) settles it; only NaN (`soon`) lets `retry-after` speak.
 *  2. `retry-after`, when present and not empty: `parseFloat` of it, in seconds; if that is NaN, an HTTP
 *     date, `Date.parse(value) - now` (against the clock, so it works in virtual time).
 *  3. The SDK then uses its own backoff unless the wait is finite and within 0..60 s (see serverDelayMs).
 *
 * `parseFloat` reads the longest number at the start and ignores the rest, so `1.5s` is 1.5 s, `1e3` is
 * 1,000 and `2026-01-01T00:00:00Z` is 2,026 s (then over the window); squall reads them the same way,
 * since what is modelled is what the SDK would do.
 */
function rawRetryAfterMs(headers: Readonly<Record<string, string>>, nowMs: number): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms) {
    const n = Number.parseFloat(ms);
    if (!Number.isNaN(n)) return n;
  }
  const after = headerValue(headers, 'retry-after');
  if (!after) return undefined;
  const seconds = Number.parseFloat(after);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  return Date.parse(after) - nowMs;
}

/**
 * Milliseconds the server asked us to wait, or undefined when it said nothing usable: absent, garbage, an
 * unreadable or past date, a negative or infinite number (where the SDK falls back to its backoff).
 */
export function parseRetryAfterMs(
  headers: Readonly<Record<string, string>>,
  nowMs: number,
): number | undefined {
  const ms = rawRetryAfterMs(headers, nowMs);
  return ms !== undefined && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
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
