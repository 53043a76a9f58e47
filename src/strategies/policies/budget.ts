import { nonNegative, positive, strategyError } from '../check.ts';

/**
 * A retry budget caps how much extra load retries may add, shared by every logical request of a strategy:
 * when the upstream is down, retries stop instead of multiplying traffic.
 *
 * It is not a pipeline stage but an option of the retry policy (`retryPolicy({ ..., budget })`), because
 * only the retry loop knows when a retry is about to happen and what each attempt returned. One budget
 * may be handed to several retry policies (say, the main retry and a fallback chain's retries) to share it.
 */
export interface RetryBudget {
  readonly name: 'retry-budget';
  /** Tokens left now. */
  readonly tokens: number;
  /** Asked before each retry. Returns the tokens spent (possibly 0), or undefined to refuse the retry. */
  tryAcquire(kind: 'retry' | 'timeout'): number | undefined;
  /** An attempt succeeded; `lastRetryCost` is what this logical request's latest retry cost, if it retried. */
  onSuccess(lastRetryCost: number | undefined): void;
  /** An attempt failed in a way the retry policy would retry. */
  onFailure(): void;
}

/** AWS SDK standard retry mode: quota 500, retry costs 5, timeout retry 10, first-try success refunds 1. */
export interface TokenBucketBudgetOptions {
  quota: number;
  retryCost: number;
  timeoutCost: number;
  successRefund: number;
}

/** gRPC retry throttling: maxTokens (e.g. 10), tokenRatio (e.g. 0.1). */
export interface RatioBudgetOptions {
  maxTokens: number;
  tokenRatio: number;
}

export type RetryBudgetOptions = TokenBucketBudgetOptions | RatioBudgetOptions;

export function retryBudget(o: RetryBudgetOptions, where = 'budget'): RetryBudget {
  if (o && typeof o === 'object' && 'quota' in o) return tokenBucketBudget(o, where);
  if (o && typeof o === 'object' && 'maxTokens' in o) return ratioBudget(o, where);
  throw strategyError(
    where,
    'quota',
    'set either quota/retryCost/timeoutCost/successRefund (AWS) or maxTokens/tokenRatio (gRPC)',
  );
}

/**
 * AWS SDK standard mode (smithy retry behaviour): the bucket starts full at `quota`; a retry takes
 * `retryCost` (`timeoutCost` after a timeout) or is refused when the bucket holds less; a success gives
 * back what its request's latest retry cost, or `successRefund` when it succeeded first time; the bucket
 * never exceeds `quota`.
 */
function tokenBucketBudget(o: TokenBucketBudgetOptions, where: string): RetryBudget {
  positive(where, 'quota', o.quota);
  nonNegative(where, 'retryCost', o.retryCost);
  nonNegative(where, 'timeoutCost', o.timeoutCost);
  nonNegative(where, 'successRefund', o.successRefund);
  let tokens = o.quota;
  return {
    name: 'retry-budget',
    get tokens() {
      return tokens;
    },
    tryAcquire(kind) {
      const cost = kind === 'timeout' ? o.timeoutCost : o.retryCost;
      if (tokens < cost) return undefined;
      tokens -= cost;
      return cost;
    },
    onSuccess(lastRetryCost) {
      tokens = Math.min(o.quota, tokens + (lastRetryCost ?? o.successRefund));
    },
    onFailure() {},
  };
}

/**
 * gRPC retry throttling (A6): the count starts at `maxTokens`; every retryable failure takes 1, every
 * success adds `tokenRatio`; retries are allowed only while the count is above `maxTokens / 2`. Kept to
 * three decimals, as gRPC does, so 0.1 steps do not drift.
 */
function ratioBudget(o: RatioBudgetOptions, where: string): RetryBudget {
  positive(where, 'maxTokens', o.maxTokens);
  positive(where, 'tokenRatio', o.tokenRatio);
  let milli = Math.round(o.maxTokens * 1000);
  const maxMilli = milli;
  const stepMilli = Math.round(o.tokenRatio * 1000);
  return {
    name: 'retry-budget',
    get tokens() {
      return milli / 1000;
    },
    tryAcquire() {
      return milli > maxMilli / 2 ? 0 : undefined;
    },
    onSuccess() {
      milli = Math.min(maxMilli, milli + stepMilli);
    },
    onFailure() {
      milli = Math.max(0, milli - 1000);
    },
  };
}
