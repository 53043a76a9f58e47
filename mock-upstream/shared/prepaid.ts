import { type RateLimitCheck, RateLimits } from '../model/buckets.ts';
import type { RateLimitConfig, RateLimitSnapshot } from '../types.ts';
import type { BucketOp } from './ops.ts';

/**
 * Lets the synchronous decision logic (decide.ts) run over buckets that answer asynchronously, without a
 * second copy of its order of evaluation. Every path through `decideAttempt` makes exactly one bucket
 * call, and makes it before any side effect (capacity admission, draws); so a decision runs twice:
 *
 *  1. over `ProbeLimits`, which records that call and aborts the decision by throwing `BucketProbe`;
 *  2. after the caller has applied the recorded op to the shared store, over `PrepaidLimits`, which
 *     answers that one call with the store's result.
 */
export class BucketProbe {
  readonly op: BucketOp;
  constructor(op: BucketOp) {
    this.op = op;
  }
}

const UNUSED: RateLimitConfig = { requestsPerMin: 1, tokensPerMin: 1 };

export class ProbeLimits extends RateLimits {
  constructor() {
    super(UNUSED);
  }

  override check(
    apiKey: string,
    requestedTokens: number,
    nowMs: number,
    override?: Partial<RateLimitConfig>,
  ): RateLimitCheck {
    throw new BucketProbe({
      kind: 'check',
      apiKey,
      requestedTokens,
      nowMs,
      ...(override ? { override } : {}),
    });
  }

  override charge(apiKey: string, nowMs: number, override?: Partial<RateLimitConfig>): RateLimitSnapshot {
    throw new BucketProbe({ kind: 'charge', apiKey, nowMs, ...(override ? { override } : {}) });
  }

  override snapshot(apiKey: string, nowMs: number): RateLimitSnapshot {
    throw new BucketProbe({ kind: 'snapshot', apiKey, nowMs });
  }
}

/** Answers the one bucket call of a decision with a result fetched beforehand. */
export class PrepaidLimits extends RateLimits {
  result: RateLimitCheck | undefined;

  constructor() {
    super(UNUSED);
  }

  override check(): RateLimitCheck {
    return this.take();
  }

  override charge(): RateLimitSnapshot {
    return this.take().snapshot;
  }

  override snapshot(): RateLimitSnapshot {
    return this.take().snapshot;
  }

  private take(): RateLimitCheck {
    const r = this.result;
    if (!r) throw new Error('PrepaidLimits: a decision made a second bucket call (decide.ts changed?)');
    this.result = undefined;
    return r;
  }
}
