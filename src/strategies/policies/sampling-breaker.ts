import { between, integerAtLeast, positive } from '../check.ts';
import {
  type BreakerCommonOptions,
  type BreakerPolicy,
  CircuitBreaker,
  checkCommon,
  type TripRule,
} from './breaker.ts';
import { RollingCounts } from './rolling-window.ts';

export interface SamplingBreakerOptions extends BreakerCommonOptions {
  /** Failure ratio in [0, 1] at or above which the breaker opens (resilience4j 0.5, Polly v8 0.1). */
  failureRateThreshold: number;
  /** Sliding window the ratio is computed over (Polly v8 SamplingDuration 30 s). */
  windowMs: number;
  /** No decision below this many calls in the window (Polly MinimumThroughput, resilience4j
   *  minimumNumberOfCalls), so two failures out of two do not open it. */
  minimumVolume: number;
  /** Ring buckets the window is kept in; default 10. */
  buckets?: number;
}

/**
 * Opens when the failure ratio over a sliding time window reaches the threshold, once the window holds at
 * least `minimumVolume` calls (resilience4j / Polly v8 / opossum style). In half-open the probes are
 * judged by the same ratio: with `halfOpenProbes` results in, it reopens if their failure ratio reaches the
 * threshold and closes otherwise (resilience4j permittedNumberOfCallsInHalfOpenState).
 */
export function samplingBreaker(o: SamplingBreakerOptions, where = 'breaker'): BreakerPolicy {
  between(where, 'failureRateThreshold', o.failureRateThreshold, 0, 1);
  positive(where, 'failureRateThreshold', o.failureRateThreshold);
  positive(where, 'windowMs', o.windowMs);
  integerAtLeast(where, 'minimumVolume', o.minimumVolume, 1);
  if (o.buckets !== undefined) integerAtLeast(where, 'buckets', o.buckets, 1);
  checkCommon(o, where);
  const window = new RollingCounts(o.windowMs, o.buckets ?? 10);
  const rule: TripRule = {
    record(failed, nowMs) {
      window.add(nowMs, 1, failed ? 1 : 0);
      const { total, flagged } = window.sum(nowMs);
      return total >= o.minimumVolume && flagged / total >= o.failureRateThreshold;
    },
    halfOpen(ok, failed, probes) {
      // Decide early once the outcome cannot change.
      if (failed / probes >= o.failureRateThreshold) return 'open';
      if (ok + failed < probes) return 'wait';
      return 'close';
    },
    reset() {
      window.reset();
    },
  };
  return new CircuitBreaker(rule, o);
}
