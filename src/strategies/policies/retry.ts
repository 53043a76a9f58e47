import { Rng } from '../../sim/rng.ts';
import type { Backoff, BackoffState } from '../backoff/types.ts';
import { INITIAL_BACKOFF_STATE } from '../backoff/types.ts';
import { between, integerAtLeast, nonNegative, strategyError } from '../check.ts';
import { type ClassifyOptions, classify } from '../classify.ts';
import type { Execution, Next, Policy, PolicyResult, Rejection } from '../policy.ts';
import { isRejection } from '../policy.ts';
import { type RetryAfterOptions, serverDelayMs } from '../retry-after.ts';
import type { ErrorClass } from '../types.ts';
import type { RetryBudget } from './budget.ts';

/** Which failures to retry: a list of classes, or a predicate over the result (`cls` is undefined for a
 *  rejection made by an inner policy). */
export type RetryOn =
  | ReadonlyArray<'transient' | 'network' | 'client'>
  | ((result: PolicyResult, cls: ErrorClass | undefined) => boolean);

export interface RetryOptions {
  /** Attempts in total, the first included (openai SDK: 2 retries = 3 attempts). */
  maxAttempts: number;
  backoff: Backoff;
  classify?: ClassifyOptions;
  /** Default ['transient', 'network']; naive-fixed retries ['transient', 'network', 'client']. Rejections
   *  from inner policies (shed, deadline) are never retried unless the predicate form says so. */
  retryOn?: RetryOn;
  /** Use the server's `retry-after-ms` / `retry-after` instead of the backoff, up to `maxMs`. Off by default. */
  retryAfter?: RetryAfterOptions;
  /** Retry with a shorter timeout (seed article: "Timeout → retry with shorter timeout"): retry k gets
   *  `max(minMs, T·factor^k)`, T being the first attempt's timeout (`initialMs`, else whatever
   *  `exec.attemptTimeoutMs` held on entry or after the first attempt, e.g. from an inner timeout policy). */
  shorterTimeout?: { factor: number; minMs: number; initialMs?: number };
  /** Retries allowed only while this budget has tokens; it is told about every attempt's success or
   *  retryable failure. One budget may be shared by several retry policies of a strategy. */
  budget?: RetryBudget;
  /** Label of the rng stream (`<label>:<request id>`); give distinct labels to two retries in one pipeline. */
  label?: string;
}

/**
 * Retries failed attempts with a backoff. Each logical request draws its jitter from its own child stream
 * (`Rng.keyed(ctx.rng.seed, 'retry:<request id>')`: hashed, cheap to make per request), so its delays do
 * not depend on how requests interleave, and the same seed gives the same delays. Every wait goes through the clock and is cut short by `exec.signal`.
 *
 * Before each retry, in order: is the failure retryable; are attempts left; does the wait end before the
 * request's deadline (else a `deadline_exceeded` rejection now rather than a doomed sleep); does the
 * budget allow it (else the last failure is returned). The server's retry-after, when honoured, replaces
 * the backoff's delay but the backoff still advances, as in the openai SDK.
 */
export function retryPolicy(o: RetryOptions, where = 'retry'): Policy {
  integerAtLeast(where, 'maxAttempts', o.maxAttempts, 1);
  if (!o.backoff || typeof o.backoff.next !== 'function') {
    throw strategyError(where, 'backoff', 'a backoff is required (build one with createBackoff)');
  }
  if (o.retryAfter) nonNegative(where, 'retryAfter.maxMs', o.retryAfter.maxMs);
  if (o.shorterTimeout) {
    between(where, 'shorterTimeout.factor', o.shorterTimeout.factor, 0, 1);
    nonNegative(where, 'shorterTimeout.minMs', o.shorterTimeout.minMs);
    if (o.shorterTimeout.initialMs !== undefined) {
      nonNegative(where, 'shorterTimeout.initialMs', o.shorterTimeout.initialMs);
    }
  }
  const retryOn = o.retryOn ?? (['transient', 'network'] as const);
  if (Array.isArray(retryOn)) {
    for (const [i, c] of retryOn.entries()) {
      if (c !== 'transient' && c !== 'network' && c !== 'client') {
        throw strategyError(
          where,
          `retryOn[${i}]`,
          `unknown class "${String(c)}"`,
          'expected transient, network or client',
        );
      }
    }
  }
  const wants = (result: PolicyResult, cls: ErrorClass | undefined): boolean => {
    if (typeof retryOn === 'function') return retryOn(result, cls);
    return cls !== undefined && cls !== 'success' && (retryOn as readonly string[]).includes(cls);
  };
  const label = o.label ?? 'retry';

  return {
    name: 'retry',
    async execute(exec: Execution, next: Next): Promise<PolicyResult> {
      const { clock } = exec.ctx;
      const signal = exec.signal;
      const entryTimeoutMs = exec.attemptTimeoutMs;
      let firstTimeoutMs = o.shorterTimeout?.initialMs ?? entryTimeoutMs;
      let state: BackoffState = INITIAL_BACKOFF_STATE;
      let rng: Rng | undefined;
      let lastRetryCost: number | undefined;
      try {
        for (let attempt = 1; ; attempt++) {
          const result = await next(exec);
          firstTimeoutMs ??= exec.attemptTimeoutMs;
          const cls = isRejection(result) ? undefined : classify(result, o.classify);
          if (cls === 'success') {
            o.budget?.onSuccess(lastRetryCost);
            return result;
          }
          if (!wants(result, cls)) return result;
          if (cls !== undefined) o.budget?.onFailure();
          if (attempt >= o.maxAttempts) return result;

          rng ??= Rng.keyed(exec.ctx.rng.seed, `${label}:${exec.req.id}`);
          const step = o.backoff.next(state, rng);
          state = step.state;
          const now = clock.now();
          const fromServer =
            isRejection(result) || result.kind !== 'response'
              ? undefined
              : serverDelayMs(result.headers, now, o.retryAfter);
          const delayMs = fromServer ?? step.delayMs;

          if (exec.deadlineAtMs !== undefined && now + delayMs >= exec.deadlineAtMs) {
            return deadlineStop(exec, result);
          }
          if (o.budget) {
            const cost = o.budget.tryAcquire(isAwsTransient(result) ? 'timeout' : 'retry');
            if (cost === undefined) {
              exec.ctx.emit({ type: 'rejected', requestId: exec.req.id, by: 'retry-budget', atMs: now });
              return result;
            }
            lastRetryCost = cost;
          }
          exec.ctx.emit({
            type: 'retry',
            requestId: exec.req.id,
            attemptNumber: exec.attempts,
            delayMs,
            reason: describe(result) + (fromServer !== undefined ? ' (retry-after)' : ''),
            atMs: now,
          });
          try {
            await clock.sleep(delayMs, signal);
          } catch {
            // Aborted (run stop, or an outer deadline that has already answered): stop quietly.
            return result;
          }
          if (o.shorterTimeout && firstTimeoutMs !== undefined) {
            const { factor, minMs } = o.shorterTimeout;
            exec.attemptTimeoutMs = Math.max(minMs, firstTimeoutMs * factor ** attempt);
          }
        }
      } finally {
        exec.attemptTimeoutMs = entryTimeoutMs;
      }
    },
  };
}

/** Short reason for the retry event: `500`, `429 rate_limit_exceeded`, `network:reset`, `rejected:limiter`. */
export function describe(result: PolicyResult): string {
  if (isRejection(result)) return `rejected:${result.by}`;
  if (result.kind === 'network') return `network:${result.error}`;
  return result.errorCode ? `${result.status} ${result.errorCode}` : String(result.status);
}

function deadlineStop(exec: Execution, last: PolicyResult): Rejection {
  const atMs = exec.ctx.clock.now();
  exec.ctx.emit({ type: 'rejected', requestId: exec.req.id, by: 'deadline', atMs });
  return {
    kind: 'rejected',
    by: 'deadline',
    reason: 'deadline_exceeded',
    message: 'the next retry would start after the deadline of the logical request',
    ...(isRejection(last) ? (last.last ? { last: last.last } : {}) : { last }),
  };
}

/**
 * What a token-bucket budget charges `timeoutCost` for: AWS's TRANSIENT errors, which its standard mode
 * charges TIMEOUT_RETRY_COST (10) where throttling and the rest cost RETRY_COST (5). @smithy/util-retry
 * StandardRetryStrategy.getCapacityCost: `errorType === "TRANSIENT" ? TIMEOUT_RETRY_COST : RETRY_COST`;
 * @smithy/service-error-classification isTransientError: TRANSIENT_ERROR_STATUS_CODES [500, 502, 503, 504],
 * timeouts and connection errors (ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT, ENOTFOUND). A 429 is
 * THROTTLING (isThrottlingError), checked first.
 */
const AWS_TRANSIENT_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);
function isAwsTransient(result: PolicyResult): boolean {
  if (isRejection(result)) return false;
  if (result.kind === 'network') return true;
  return AWS_TRANSIENT_STATUSES.has(result.status);
}
