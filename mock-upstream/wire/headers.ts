import { formatGoDuration } from '../../src/util/duration.ts';
import type { RateLimitSnapshot } from '../types.ts';

export const JSON_CONTENT_TYPE = 'application/json';
export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';
export const HTML_CONTENT_TYPE = 'text/html';

export interface ResponseHeaderOptions {
  requestId: string;
  processingMs: number;
  /** Omit for orgs/endpoints that see no `x-ratelimit-*` headers. */
  rateLimit?: RateLimitSnapshot;
  contentType: string;
}

/** The headers api.openai.com sends on every answer (success or error). */
export function responseHeaders(o: ResponseHeaderOptions): Record<string, string> {
  return responseHeadersOf(o.requestId, o.processingMs, o.contentType, o.rateLimit);
}

/** `responseHeaders` with positional arguments (no options object per answer). */
export function responseHeadersOf(
  requestId: string,
  processingMsRaw: number,
  contentType: string,
  r: RateLimitSnapshot | undefined,
): Record<string, string> {
  const processingMs = String(Math.max(0, Math.round(processingMsRaw)));
  // One literal per shape (no merging): this runs for every answer the HTTP front sends.
  if (!r) {
    return {
      'content-type': contentType,
      'x-request-id': requestId,
      'openai-processing-ms': processingMs,
      'openai-version': '2020-10-01',
      'openai-organization': 'squall-mock',
      'access-control-expose-headers': 'X-Request-ID',
    };
  }
  return {
    'content-type': contentType,
    'x-request-id': requestId,
    'openai-processing-ms': processingMs,
    'openai-version': '2020-10-01',
    'openai-organization': 'squall-mock',
    'access-control-expose-headers': 'X-Request-ID',
    'x-ratelimit-limit-requests': limitRequests.of(r.limitRequests),
    'x-ratelimit-limit-tokens': limitTokens.of(r.limitTokens),
    'x-ratelimit-remaining-requests': count(r.remainingRequests),
    'x-ratelimit-remaining-tokens': count(r.remainingTokens),
    'x-ratelimit-reset-requests': resetDuration(r.resetRequestsMs),
    'x-ratelimit-reset-tokens': resetDuration(r.resetTokensMs),
  };
}

/** The last number written and its text: limits rarely change, and large ones are not cached by V8. */
class LastCount {
  private n = Number.NaN;
  private text = '';
  of(n: number): string {
    if (n !== this.n) {
      this.n = n;
      this.text = count(n);
    }
    return this.text;
  }
}
const limitRequests = new LastCount();
const limitTokens = new LastCount();

const count = (n: number): string => String(Math.max(0, Math.floor(n)));

/** Limits and remaining counts are integers (remaining never below 0); resets are Go durations (`1s`, `6m0s`). */
export function rateLimitHeaders(r: RateLimitSnapshot): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': count(r.limitRequests),
    'x-ratelimit-limit-tokens': count(r.limitTokens),
    'x-ratelimit-remaining-requests': count(r.remainingRequests),
    'x-ratelimit-remaining-tokens': count(r.remainingTokens),
    'x-ratelimit-reset-requests': resetDuration(r.resetRequestsMs),
    'x-ratelimit-reset-tokens': resetDuration(r.resetTokensMs),
  };
}

/**
 * Whole milliseconds at least: Go would print sub-millisecond waits as `µs`, a non-ASCII byte in a header
 * (clients may reject it, and node writes such headers on a slow path). The API's smallest seen is `9ms`.
 */
function resetDuration(ms: number): string {
  return ms > 0 ? formatGoDuration(Math.max(1, Math.ceil(ms))) : '0s';
}

/**
 * `retry-after` must be an integer ≥ 1 (seconds, rounded up so a client never comes back early);
 * `retry-after-ms` carries the precise wait, and the openai SDKs read it first.
 */
export function retryAfterHeaders(ms: number): Record<string, string> {
  return {
    'retry-after': String(Math.max(1, Math.ceil(ms / 1000))),
    'retry-after-ms': String(Math.max(0, Math.round(ms))),
  };
}
