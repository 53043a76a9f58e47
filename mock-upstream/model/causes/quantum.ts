import type { UpstreamCause } from './cause.ts';

/**
 * Quantized rate limits (`upstream.rate_limits.quantum`, per key and per phase too): a limit per minute
 * may be enforced over a shorter period, so a bucket holds at most limit × quantum / 1 min while still
 * refilling at limit / 1 min. A synchronized wave that fits the minute but not the quantum is refused;
 * the same load spread out passes. Without a quantum a bucket holds the whole minute (the default, so
 * existing scenarios keep their meaning).
 *
 * A request never needs more than a full bucket: a prompt larger than the quantum's token budget (but
 * within the per-minute limit) is admitted when the bucket is full, and empties it; a request bucket
 * holds at least one request.
 *
 * Source: OpenAI's rate-limit guide ("an RPM of 600 may be enforced in per-second iterations, where no
 * more than 10 requests per second are allowed") and help centre ("60,000 requests/minute may be enforced
 * as 1,000 requests/second", https://help.openai.com/en/articles/6891753), quoted in
 * ../shared/reference/incidents.md, "Quantization". The bucket math is in buckets.ts (burstOf) and, for
 * buckets shared across processes, in shared/redis.ts's script; both call this file's rule.
 */
export const quantizedLimits: UpstreamCause = {
  name: 'quantized rate limits',
  key: 'upstream.rate_limits.quantum',
  source: 'OpenAI rate-limit guide and help centre article 6891753 ("60,000 RPM may be enforced as 1,000/s")',
};

const MS_PER_MIN = 60_000;

/**
 * What a bucket holds at most for a per-minute `limit` enforced per `quantumMs` (undefined: the whole
 * minute). `floor`: the least it holds (1 for requests, so a low limit still admits one at a time).
 */
export function burstOf(limit: number, quantumMs: number | undefined, floor = 0): number {
  if (quantumMs === undefined || quantumMs >= MS_PER_MIN) return limit;
  return Math.min(limit, Math.max(floor, (limit * quantumMs) / MS_PER_MIN));
}
