import { DRAW_STREAM } from '../draws.ts';
import { outcomeRow } from '../fault-kinds.ts';
import { sampleLatencyMs } from '../latency.ts';
import type { UpstreamCause } from './cause.ts';

/**
 * Server-chosen Retry-After (`phases[].retry_after`): while the phase is active, its retryable error
 * answers (429s, 5xx) say how long to wait, over what the limiter computed. Values above 60 s are allowed
 * on purpose: the openai SDKs ignore a Retry-After above 60 s and fall back to their own backoff, so
 * strategies that honour or ignore it can be compared. The header is sent where the real answer has one
 * (API JSON errors; a gateway's HTML 502/504 page carries none).
 *
 * Source: OpenAI's rate-limit guide and the SDKs' retry code (retry-after-ms, then retry-after, honoured
 * up to 60 s), summarised in ../shared/reference/incidents.md 3.1-3.2.
 */
export const serverRetryAfter: UpstreamCause = {
  name: 'server-chosen Retry-After',
  key: 'phases[].retry_after',
  source: 'OpenAI rate-limit guide; openai-python / openai-node retry code (Retry-After honoured up to 60 s)',
  shape(d, { ctx, fx, key }) {
    const spec = fx.retryAfter;
    if (spec === undefined || !retryable(d.outcome)) return;
    d.retryAfterMs = sampleLatencyMs(spec, ctx.draws.reseed(key, DRAW_STREAM.retryAfter));
  },
};

/** Answers a client may retry: rate limits and server errors (not insufficient_quota or a too-large request). */
export function retryable(outcome: Parameters<typeof outcomeRow>[0]): boolean {
  if (outcome === 'insufficient_quota' || outcome === 'request_too_large') return false;
  const status = outcomeRow(outcome).status;
  return status === 429 || status === 409 || (status !== undefined && status >= 500);
}
