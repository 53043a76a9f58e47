import { type ClassifyOptions, classify } from './classify.ts';
import type { PolicyResult } from './policy.ts';
import { isRejection } from './policy.ts';
import type { AttemptOutcome, LogicalOutcome } from './types.ts';

const FAILED = {
  transient: 'failed_transient',
  client: 'failed_client',
  network: 'failed_network',
} as const;

/**
 * Turns what a pipeline (or an adapter) ended with into the logical request's outcome: a rejection keeps
 * its reason; an attempt outcome is classified (`success`, or `failed_transient` / `failed_client` /
 * `failed_network`). `attempts` is what the strategy counted, not what anyone claims.
 */
export function toLogicalOutcome(
  result: PolicyResult,
  attempts: number,
  options: ClassifyOptions = {},
): LogicalOutcome {
  if (isRejection(result)) {
    return { ok: false, result: result.reason, attempts, ...(result.last ? { last: result.last } : {}) };
  }
  return fromAttempt(result, attempts, options);
}

export function fromAttempt(
  last: AttemptOutcome,
  attempts: number,
  options: ClassifyOptions = {},
): LogicalOutcome {
  const cls = classify(last, options);
  if (cls === 'success') return { ok: true, result: 'success', last, attempts, model: last.model };
  return { ok: false, result: FAILED[cls], last, attempts };
}

/** The outcome of a strategy that threw instead of answering (a bug in it, or in a user module). */
export function strategyErrorOutcome(attempts: number, last?: AttemptOutcome): LogicalOutcome {
  return { ok: false, result: 'strategy_error', attempts, ...(last ? { last } : {}) };
}
