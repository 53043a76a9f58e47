import type { CapacityReject, Decision, RateLimitSnapshot } from '../../types.ts';
import { answeredAtOnce } from '../answered-at-once.ts';
import { DRAW_STREAM } from '../draws.ts';
import { sampleLatencyMs } from '../latency.ts';
import type { CauseInput, UpstreamCause } from './cause.ts';

/**
 * What an attempt refused for capacity is told (`upstream.capacity.reject`): the status a real server
 * sends when it sheds load (503 overloaded by default; 429 where the provider sheds with rate-limit
 * answers; 409 for the "engine overloaded" conflicts some gateways send) and a server-chosen Retry-After,
 * fixed or drawn per attempt. A strategy that honours Retry-After and one that ignores it then meet
 * different upstreams, as they would in production.
 *
 * Source: OpenAI's error-code guide (503 "The engine is currently overloaded, please try again later"),
 * Azure OpenAI's peak-load 429 "Please retry after 20 seconds" (pollinations/pollinations#6260), both in
 * ../shared/reference/incidents.md section 2.
 */
export const capacityReject: UpstreamCause = {
  name: 'capacity rejection',
  key: 'upstream.capacity.reject',
  source: 'OpenAI error codes guide (503 engine overloaded); Azure OpenAI peak-load 429 with Retry-After',
};

const DEFAULT_REJECT: CapacityReject = { status: 503 };

/** The decision for an attempt the capacity model refused (decide.ts, step d). */
export function capacityRejection(
  input: CauseInput,
  rateLimit: RateLimitSnapshot,
  inFlight: number,
): Decision {
  const reject = input.ctx.config.capacity.reject ?? DEFAULT_REJECT;
  const outcome = reject.status === 503 ? '503' : reject.status === 429 ? '429' : '409';
  const d = answeredAtOnce(outcome, rateLimit, `capacity: ${inFlight} in flight`, input.phases);
  if (reject.retryAfter !== undefined) {
    d.retryAfterMs = sampleLatencyMs(
      reject.retryAfter,
      input.ctx.draws.reseed(input.key, DRAW_STREAM.retryAfter),
    );
  }
  return d;
}
