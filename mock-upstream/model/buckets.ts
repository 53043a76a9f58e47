import type { RateLimitConfig, RateLimitSnapshot } from '../types.ts';
import { burstOf } from './causes/quantum.ts';

/**
 * Per-API-key RPM and TPM limits as continuously refilling token buckets.
 *
 * Capacity is the per-minute limit (or limit × quantum / 1 min under a quantum, causes/quantum.ts) and
 * the refill rate is limit / 60 000 per ms. That is how OpenAI's
 * limits behave in practice ("sub-minute slices"): 60 RPM does not mean 60 requests at the top of each
 * minute; a burst drains the bucket and it comes back at one request per second.
 *
 * Levels are stored as (level, lastMs) and brought up to date lazily, so there is no timer and no
 * accumulated float drift from periodic refills.
 */

/** Comparisons allow this much float noise, so 1000 ms at 60 RPM refills exactly one request. */
const EPS = 1e-9;
const MS_PER_MIN = 60_000;
/** Keys tracked at once before full (idle) buckets are forgotten; a full bucket equals a fresh one. */
const DEFAULT_MAX_KEYS = 10_000;

export type RateLimitOutcome = 'ok' | 'requests' | 'tokens' | 'too_large';

export interface RateLimitCheck {
  outcome: RateLimitOutcome;
  /** For 'requests' / 'tokens': time until the request would fit (both buckets). */
  retryAfterMs?: number;
  /** For the 429 message: the limit of the bucket that said no, what is used of it, and what was asked. */
  limit?: { limit: number; used: number; requested: number };
  /** State after this attempt was charged, for the x-ratelimit-* headers. */
  snapshot: RateLimitSnapshot;
}

export interface RateLimitLevel {
  apiKey: string;
  /** Whole requests / tokens available now (what x-ratelimit-remaining-* would say). */
  requests: number;
  tokens: number;
  limitRequests: number;
  limitTokens: number;
}

class Bucket {
  /** The limit per minute: the refill rate, and what x-ratelimit-limit-* publish. */
  limit: number;
  /** What the bucket holds at most: the limit, or less under a quantum (causes/quantum.ts). */
  capacity: number;
  level: number;
  lastMs: number;

  constructor(limit: number, capacity: number, nowMs: number) {
    this.limit = limit;
    this.capacity = capacity;
    this.level = capacity;
    this.lastMs = nowMs;
  }

  /** Brings the level up to `nowMs` and applies a (possibly changed) limit: the level is clamped, not reset. */
  sync(nowMs: number, limit: number, capacity: number): number {
    if (nowMs > this.lastMs) {
      // Multiply before dividing so whole-second refills at whole-number limits stay exact.
      this.level = Math.min(this.capacity, this.level + ((nowMs - this.lastMs) * this.limit) / MS_PER_MIN);
      this.lastMs = nowMs;
    }
    this.limit = limit;
    this.capacity = capacity;
    if (this.level > capacity) this.level = capacity;
    return this.level;
  }

  /** A charge never drives the level below zero: a rejected request cannot borrow from the future. */
  take(amount: number): void {
    this.level = Math.max(0, this.level - amount);
  }

  remaining(): number {
    return Math.max(0, Math.floor(this.level + EPS));
  }

  /** What OpenAI's x-ratelimit-reset-* mean: time until the bucket is full again. */
  resetMs(): number {
    return this.waitMs(this.capacity);
  }

  /** Time until `amount` is available (0 if it already is). */
  waitMs(amount: number): number {
    const missing = amount - this.level;
    if (!(missing > EPS)) return 0;
    return this.limit > 0 ? (missing * MS_PER_MIN) / this.limit : Number.POSITIVE_INFINITY;
  }

  isFull(): boolean {
    return this.level + EPS >= this.capacity;
  }
}

interface KeyBuckets {
  requests: Bucket;
  tokens: Bucket;
}

export class RateLimits {
  private readonly defaults: RateLimitConfig;
  private readonly byKey: Record<string, Partial<RateLimitConfig>>;
  private readonly maxKeys: number;
  private readonly keys = new Map<string, KeyBuckets>();

  constructor(
    defaults: RateLimitConfig,
    byKey: Record<string, Partial<RateLimitConfig>> = {},
    options: { maxKeys?: number } = {},
  ) {
    this.defaults = defaults;
    this.byKey = byKey;
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  /**
   * Admits or rejects one attempt asking for `requestedTokens` (prompt + max_tokens, charged up front the
   * way OpenAI does) and charges it. Rules, in order:
   * - too_large: more tokens than the TPM limit; can never succeed. Charges one request.
   * - requests: less than one request in the bucket. Charges nothing (there is nothing to take).
   * - tokens: not enough tokens. Still charges one request (failed requests count against RPM). Under a
   *   quantum a request needs at most a full bucket (causes/quantum.ts).
   * - ok: charges one request and the tokens.
   */
  check(
    apiKey: string,
    requestedTokens: number,
    nowMs: number,
    override?: Partial<RateLimitConfig>,
  ): RateLimitCheck {
    const { requests, tokens } = this.sync(apiKey, nowMs, override);
    if (requestedTokens > tokens.limit) {
      requests.take(1);
      return {
        outcome: 'too_large',
        limit: { limit: tokens.limit, used: used(tokens), requested: requestedTokens },
        snapshot: snapshotOf(requests, tokens),
      };
    }
    const neededTokens = Math.min(requestedTokens, tokens.capacity);
    if (requests.level + EPS < 1) {
      return {
        outcome: 'requests',
        retryAfterMs: Math.max(requests.waitMs(1), tokens.waitMs(neededTokens)),
        limit: { limit: requests.limit, used: used(requests), requested: 1 },
        snapshot: snapshotOf(requests, tokens),
      };
    }
    if (tokens.level + EPS < neededTokens) {
      const limit = { limit: tokens.limit, used: used(tokens), requested: requestedTokens };
      requests.take(1);
      return {
        outcome: 'tokens',
        retryAfterMs: Math.max(requests.waitMs(1), tokens.waitMs(neededTokens)),
        limit,
        snapshot: snapshotOf(requests, tokens),
      };
    }
    requests.take(1);
    tokens.take(requestedTokens);
    return { outcome: 'ok', snapshot: snapshotOf(requests, tokens) };
  }

  /**
   * Charges one request without any check: an attempt that reached the server but failed (a 500, a reset)
   * still counts against RPM. Returns the state after the charge.
   */
  charge(apiKey: string, nowMs: number, override?: Partial<RateLimitConfig>): RateLimitSnapshot {
    const { requests, tokens } = this.sync(apiKey, nowMs, override);
    requests.take(1);
    return snapshotOf(requests, tokens);
  }

  /** Current state for a key without charging it (a key never seen is full). */
  snapshot(apiKey: string, nowMs: number): RateLimitSnapshot {
    const b = this.keys.get(apiKey);
    if (!b) {
      const limits = this.limitsFor(apiKey);
      return {
        limitRequests: limits.requestsPerMin,
        remainingRequests: Math.floor(requestBurst(limits)),
        resetRequestsMs: 0,
        limitTokens: limits.tokensPerMin,
        remainingTokens: Math.floor(tokenBurst(limits)),
        resetTokensMs: 0,
      };
    }
    b.requests.sync(nowMs, b.requests.limit, b.requests.capacity);
    b.tokens.sync(nowMs, b.tokens.limit, b.tokens.capacity);
    return snapshotOf(b.requests, b.tokens);
  }

  /** Every tracked key's levels, for /__squall/state and metrics. */
  levels(nowMs: number): RateLimitLevel[] {
    const out: RateLimitLevel[] = [];
    for (const [apiKey, b] of this.keys) {
      b.requests.sync(nowMs, b.requests.limit, b.requests.capacity);
      b.tokens.sync(nowMs, b.tokens.limit, b.tokens.capacity);
      out.push({
        apiKey,
        requests: b.requests.remaining(),
        tokens: b.tokens.remaining(),
        limitRequests: b.requests.limit,
        limitTokens: b.tokens.limit,
      });
    }
    return out;
  }

  reset(): void {
    this.keys.clear();
  }

  /** The limits that apply to a key: defaults, then the per-key entry, then a phase override. */
  limitsFor(apiKey: string, override?: Partial<RateLimitConfig>): RateLimitConfig {
    const perKey = this.byKey[apiKey];
    // The usual case, without a new object per attempt (callers only read it).
    if (override === undefined && perKey === undefined) return this.defaults;
    const quantumMs = override?.quantumMs ?? perKey?.quantumMs ?? this.defaults.quantumMs;
    return {
      requestsPerMin: override?.requestsPerMin ?? perKey?.requestsPerMin ?? this.defaults.requestsPerMin,
      tokensPerMin: override?.tokensPerMin ?? perKey?.tokensPerMin ?? this.defaults.tokensPerMin,
      ...(quantumMs !== undefined ? { quantumMs } : {}),
    };
  }

  private sync(apiKey: string, nowMs: number, override?: Partial<RateLimitConfig>): KeyBuckets {
    const limits = this.limitsFor(apiKey, override);
    let b = this.keys.get(apiKey);
    if (!b) {
      if (this.keys.size >= this.maxKeys) this.evict(nowMs);
      b = {
        requests: new Bucket(limits.requestsPerMin, requestBurst(limits), nowMs),
        tokens: new Bucket(limits.tokensPerMin, tokenBurst(limits), nowMs),
      };
      this.keys.set(apiKey, b);
      return b;
    }
    b.requests.sync(nowMs, limits.requestsPerMin, requestBurst(limits));
    b.tokens.sync(nowMs, limits.tokensPerMin, tokenBurst(limits));
    return b;
  }

  /** Keeps the key map bounded: drop buckets that have refilled (no information lost), then the oldest. */
  private evict(nowMs: number): void {
    for (const [key, b] of this.keys) {
      b.requests.sync(nowMs, b.requests.limit, b.requests.capacity);
      b.tokens.sync(nowMs, b.tokens.limit, b.tokens.capacity);
      if (b.requests.isFull() && b.tokens.isFull()) this.keys.delete(key);
    }
    for (const key of this.keys.keys()) {
      if (this.keys.size < this.maxKeys) break;
      this.keys.delete(key);
    }
  }
}

/** What a key's request bucket holds at most (at least one request, so a low limit still admits). */
export function requestBurst(limits: RateLimitConfig): number {
  return burstOf(limits.requestsPerMin, limits.quantumMs, 1);
}

/** What a key's token bucket holds at most. */
export function tokenBurst(limits: RateLimitConfig): number {
  return burstOf(limits.tokensPerMin, limits.quantumMs);
}

function used(b: Bucket): number {
  return Math.max(0, Math.ceil(b.capacity - b.remaining()));
}

function snapshotOf(requests: Bucket, tokens: Bucket): RateLimitSnapshot {
  return {
    limitRequests: requests.limit,
    remainingRequests: requests.remaining(),
    resetRequestsMs: requests.resetMs(),
    limitTokens: tokens.limit,
    remainingTokens: tokens.remaining(),
    resetTokensMs: tokens.resetMs(),
  };
}

/** Levels of one key's buckets after an operation, as a shared store (Redis) returns them. */
export interface BucketLevels {
  requestsLevel: number;
  tokensLevel: number;
  limitRequests: number;
  limitTokens: number;
  /** What the buckets hold at most (below the limits under a quantum); absent: the limits. */
  burstRequests?: number;
  burstTokens?: number;
}

/**
 * The RateLimitCheck that `RateLimits.check` returns, rebuilt from the levels after the charge, with the
 * same math. Every field of a check is a function of the post-charge levels (a 'requests' refusal charges
 * nothing; 'tokens' and 'too_large' leave the token bucket as it was), so a store only has to return those.
 */
export function checkFromLevels(
  outcome: RateLimitOutcome,
  requestedTokens: number,
  levels: BucketLevels,
  nowMs: number,
): RateLimitCheck {
  const requests = new Bucket(levels.limitRequests, levels.burstRequests ?? levels.limitRequests, nowMs);
  requests.level = levels.requestsLevel;
  const tokens = new Bucket(levels.limitTokens, levels.burstTokens ?? levels.limitTokens, nowMs);
  tokens.level = levels.tokensLevel;
  const neededTokens = Math.min(requestedTokens, tokens.capacity);
  const snapshot = snapshotOf(requests, tokens);
  switch (outcome) {
    case 'ok':
      return { outcome, snapshot };
    case 'too_large':
      return {
        outcome,
        limit: { limit: tokens.limit, used: used(tokens), requested: requestedTokens },
        snapshot,
      };
    case 'requests':
      return {
        outcome,
        retryAfterMs: Math.max(requests.waitMs(1), tokens.waitMs(neededTokens)),
        limit: { limit: requests.limit, used: used(requests), requested: 1 },
        snapshot,
      };
    case 'tokens':
      return {
        outcome,
        retryAfterMs: Math.max(requests.waitMs(1), tokens.waitMs(neededTokens)),
        limit: { limit: tokens.limit, used: used(tokens), requested: requestedTokens },
        snapshot,
      };
  }
}
