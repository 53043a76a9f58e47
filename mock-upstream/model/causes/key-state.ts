import type { Decision } from '../../types.ts';
import { answeredAtOnce } from '../answered-at-once.ts';
import type { UpstreamCause } from './cause.ts';

/**
 * An expired API key is a state, not a coin: a phase's `expired_keys` fail every attempt made with one
 * of those keys, for the whole phase (until the renewal that ends it), with the 401 the real API sends for
 * an invalid key. Retrying cannot help; only a strategy that stops (or switches keys) does better. A 401
 * charges nothing: the caller is not known. Checked after the unknown-key and unknown-model checks and
 * before any fault is drawn, so the answer does not depend on the fault mix.
 *
 * Source: OpenAI's error-code guide ("401 - Invalid Authentication / Incorrect API key provided": the key
 * was revoked or rotated), summarised in ../shared/reference/incidents.md.
 */
export const keyState: UpstreamCause = {
  name: 'expired API key',
  key: 'phases[].expired_keys',
  source: 'OpenAI API error codes guide, "401 - Incorrect API key provided" (revoked or rotated keys)',
  gate({ ctx, fx, attempt, nowMs, phases }): Decision | undefined {
    const phase = fx.keyExpiredBy;
    if (phase === undefined) return undefined;
    const rateLimit = ctx.rateLimits.snapshot(attempt.apiKey, nowMs);
    return answeredAtOnce('401', rateLimit, `api key expired (phase "${phase}")`, phases);
  },
};
