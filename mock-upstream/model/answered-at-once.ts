import type { Decision, RateLimitSnapshot } from '../types.ts';

/**
 * A decision that does no work: the attempt is answered at once (an unknown key or model, an expired key,
 * a capacity rejection), so no latency, no queueing and no completion; the causes' shapes (fault latency,
 * the round trip) still apply to it afterwards.
 */
export function answeredAtOnce(
  outcome: Decision['outcome'],
  rateLimit: RateLimitSnapshot,
  reason: string,
  phases: string[],
): Decision {
  return { outcome, latencyMs: 0, queueMs: 0, completionTokens: 0, rateLimit, reason, phases };
}
