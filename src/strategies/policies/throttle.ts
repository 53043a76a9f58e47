import { hashUniform } from '../../sim/rng.ts';
import { integerAtLeast, positive } from '../check.ts';
import { type ClassifyOptions, classify } from '../classify.ts';
import type { Execution, Next, Policy, PolicyResult } from '../policy.ts';
import { isRejection } from '../policy.ts';
import type { AttemptOutcome } from '../types.ts';
import { RollingCounts } from './rolling-window.ts';

export interface AdaptiveThrottleOptions {
  /** Multiplier K (Google SRE book: 2; lower is more aggressive). */
  k: number;
  /** Window the counts cover (SRE book: 2 minutes). */
  windowMs: number;
  /** Ring buckets the window is kept in; default 12. */
  buckets?: number;
  /** Whether the backend accepted the request. Default: anything but a transient or network failure
   *  (a 400 was accepted and answered; a 429, 503 or reset was not). */
  countAsAccept?: (outcome: AttemptOutcome) => boolean;
  classify?: ClassifyOptions;
}

/** Probability of rejecting locally, `max(0, (requests − K·accepts) / (requests + 1))`. */
export function throttleProbability(requests: number, accepts: number, k: number): number {
  return Math.max(0, (requests - k * accepts) / (requests + 1));
}

/**
 * Google SRE adaptive client-side throttling ("Handling Overload"): each client tracks, over a window,
 * the requests it tried and the ones the backend accepted, and rejects new ones locally with probability
 * `max(0, (requests − K·accepts)/(requests + 1))`. Local rejections count as requests too, so the
 * rejection rate climbs while the backend keeps refusing, and decays as accepts come back.
 *
 * Place it inside retry to throttle every attempt. The draw for a request is counter-based
 * (`hashUniform(seed, request id + attempt)`), so it does not depend on how requests interleave.
 */
export function adaptiveThrottle(o: AdaptiveThrottleOptions, where = 'throttle'): Policy {
  positive(where, 'k', o.k);
  positive(where, 'windowMs', o.windowMs);
  if (o.buckets !== undefined) integerAtLeast(where, 'buckets', o.buckets, 1);
  const window = new RollingCounts(o.windowMs, o.buckets ?? 12);
  const accepted =
    o.countAsAccept ??
    ((outcome: AttemptOutcome) => {
      const c = classify(outcome, o.classify);
      return c === 'success' || c === 'client';
    });

  return {
    name: 'throttle',
    async execute(exec: Execution, next: Next): Promise<PolicyResult> {
      const { clock } = exec.ctx;
      const now = clock.now();
      const { total: requests, flagged: accepts } = window.sum(now);
      const p = throttleProbability(requests, accepts, o.k);
      window.add(now, 1, 0);
      if (p > 0 && hashUniform(exec.ctx.rng.seed, `throttle:${exec.req.id}:${exec.attempts}`) < p) {
        exec.ctx.emit({ type: 'shed', requestId: exec.req.id, by: 'throttle', atMs: now });
        return {
          kind: 'rejected',
          by: 'throttle',
          reason: 'shed',
          message: `rejected locally with probability ${p.toFixed(3)} (${requests} requests, ${accepts} accepts)`,
        };
      }
      const result = await next(exec);
      if (!isRejection(result) && accepted(result)) window.add(clock.now(), 0, 1);
      return result;
    },
  };
}
