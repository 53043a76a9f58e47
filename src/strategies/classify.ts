import type { AttemptOutcome, ErrorClass } from './types.ts';

/**
 * Every decision (retry, breaker, throttle, fallback) starts by classifying the attempt, because treating
 * a 401 like a 503 is the commonest resilience bug (seed article: "classify the error before deciding").
 *
 * Order of rules, first match wins:
 * 1. network failures → 'network'; 2xx → 'success';
 * 2. `x-should-retry: true|false` (when honoured) → 'transient' | 'client', as the openai SDK does;
 * 3. `clientStatuses` (explicit overrides, e.g. langchain's "never retry 400–409") → 'client';
 * 4. a 429 that no wait can fix (`insufficient_quota`, "Request too large") → 'client', unless
 *    `retryQuota429` (the real openai SDK retries them);
 * 5. `transientStatuses` (default 408, 409, 429, 500, 502, 503, 504) → 'transient';
 * 6. any other 5xx → 'transient' (529 "overloaded" and friends); anything else → 'client'.
 */
export interface ClassifyOptions {
  /** Statuses worth retrying. Default {@link DEFAULT_TRANSIENT_STATUSES}. Other 5xx are transient anyway. */
  transientStatuses?: readonly number[];
  /** Statuses never retried, whatever the other rules say (except the `x-should-retry` header). */
  clientStatuses?: readonly number[];
  /** Treat quota and too-large 429s as transient, like the openai SDK (it retries every 429). Default false. */
  retryQuota429?: boolean;
  /** Obey the server's `x-should-retry` header. Default true. */
  honourShouldRetryHeader?: boolean;
}

export const DEFAULT_TRANSIENT_STATUSES: readonly number[] = [408, 409, 429, 500, 502, 503, 504];

/** Error codes/types of 429s that waiting never fixes (OpenAI, and Anthropic-style credit exhaustion). */
const UNRECOVERABLE_429_CODES = new Set([
  'insufficient_quota',
  'credit_balance_exhausted',
  'billing_hard_limit_reached',
]);
const TOO_LARGE = /request too large/i;

export function classify(outcome: AttemptOutcome, options: ClassifyOptions = {}): ErrorClass {
  if (outcome.kind === 'network') return 'network';
  const { status } = outcome;
  if (status >= 200 && status < 300) return 'success';

  if (options.honourShouldRetryHeader ?? true) {
    const header = headerValue(outcome.headers, 'x-should-retry')?.toLowerCase();
    if (header === 'true') return 'transient';
    if (header === 'false') return 'client';
  }
  if (options.clientStatuses?.includes(status)) return 'client';
  if (status === 429 && !options.retryQuota429 && isUnrecoverable429(outcome)) return 'client';
  if ((options.transientStatuses ?? DEFAULT_TRANSIENT_STATUSES).includes(status)) return 'transient';
  return status >= 500 ? 'transient' : 'client';
}

/** True when the outcome is worth another attempt: transient or network. */
export function isRetryable(outcome: AttemptOutcome, options: ClassifyOptions = {}): boolean {
  const c = classify(outcome, options);
  return c === 'transient' || c === 'network';
}

/** Quota exhausted or a single request over the TPM limit: the same request will fail the same way. */
export function isUnrecoverable429(outcome: Extract<AttemptOutcome, { kind: 'response' }>): boolean {
  if (outcome.status !== 429) return false;
  if (outcome.errorCode && UNRECOVERABLE_429_CODES.has(outcome.errorCode)) return true;
  if (outcome.errorType && UNRECOVERABLE_429_CODES.has(outcome.errorType)) return true;
  // A 429 on the requests dimension (OpenAI's `type: "requests"`) is a plain RPM limit, never "request
  // too large", which is about tokens: skipping the message scan there matters in a 429 storm.
  if (outcome.errorType === 'requests') return false;
  return outcome.errorMessage !== undefined && TOO_LARGE.test(outcome.errorMessage);
}

/** Header lookup that tolerates any casing (transports differ in how they normalise names). */
export function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct.trim();
  const lower = name.toLowerCase();
  // for-in, not Object.entries: this runs per failed attempt, mostly for a header that is absent.
  for (const k in headers)
    if (k.length === lower.length && k.toLowerCase() === lower) return headers[k]!.trim();
  return undefined;
}
