import { SquallError } from '../../errors.ts';
import { nonNegative, positive, strategyError } from '../check.ts';
import type { Execution, Next, Policy, PolicyResult, Rejection } from '../policy.ts';
import type { AttemptOutcome } from '../types.ts';

export interface TimeoutOptions {
  /** Longest one attempt may take (the seed article's `timeout=30`). */
  attemptTimeoutMs?: number;
  /** Longest a whole logical request may take, counted from its intended arrival (so queueing counts). */
  deadlineMs?: number;
}

/**
 * Bounds time: per attempt, and overall per logical request.
 *
 * Placement matters, as in Polly and cockatiel. Inside retry (the canonical order, timeout innermost) it
 * times each attempt; outside retry its `attemptTimeoutMs` would bound the whole retry sequence, so put
 * only `deadlineMs` there.
 *
 * The policy enforces its limit itself on the clock, and also hands it to the transport via
 * `exec.attemptTimeoutMs` and an abort signal, so an abandoned attempt stops using upstream capacity.
 * A timed-out attempt comes back as a network `timeout` outcome (retryable); when the overall deadline is
 * what cut it, or the deadline has already passed, the result is a `deadline_exceeded` rejection.
 *
 * A tighter `exec.attemptTimeoutMs` set by an outer policy wins (retry-with-shorter-timeout). After the
 * attempt, `exec.attemptTimeoutMs` is left at this policy's per-attempt value (not clipped by the
 * deadline) so an outer retry can learn it and shrink it for the next attempt.
 */
export function timeoutPolicy(o: TimeoutOptions, where = 'timeout'): Policy {
  if (o.attemptTimeoutMs === undefined && o.deadlineMs === undefined) {
    throw strategyError(where, 'attemptTimeoutMs', 'set attemptTimeoutMs, deadlineMs or both');
  }
  if (o.attemptTimeoutMs !== undefined) positive(where, 'attemptTimeoutMs', o.attemptTimeoutMs);
  if (o.deadlineMs !== undefined) nonNegative(where, 'deadlineMs', o.deadlineMs);
  const name = 'timeout';

  return {
    name,
    async execute(exec: Execution, next: Next): Promise<PolicyResult> {
      const { clock } = exec.ctx;
      const now = clock.now();
      if (o.deadlineMs !== undefined) {
        exec.deadlineAtMs = Math.min(
          exec.deadlineAtMs ?? Number.POSITIVE_INFINITY,
          exec.req.arrivalMs + o.deadlineMs,
        );
      }
      const deadlineLeftMs = (exec.deadlineAtMs ?? Number.POSITIVE_INFINITY) - now;
      if (deadlineLeftMs <= 0) return deadlineRejection(exec, undefined);

      const perAttemptMs = Math.min(
        o.attemptTimeoutMs ?? Number.POSITIVE_INFINITY,
        exec.attemptTimeoutMs ?? Number.POSITIVE_INFINITY,
      );
      const limitMs = Math.min(perAttemptMs, deadlineLeftMs);
      if (!Number.isFinite(limitMs)) return next(exec);
      const byDeadline = deadlineLeftMs < perAttemptMs;

      const outerSignal = exec.signal;
      const previousTimeoutMs = exec.attemptTimeoutMs;
      const controller = new AbortController();
      // Forward the outer abort by hand: AbortSignal.any() per attempt is costly (composite-signal
      // bookkeeping the garbage collector has to follow), and this is on every attempt's path.
      const onOuterAbort = () => controller.abort(outerSignal?.reason);
      if (outerSignal?.aborted) controller.abort(outerSignal.reason);
      else outerSignal?.addEventListener('abort', onOuterAbort, { once: true });
      exec.signal = controller.signal;
      exec.attemptTimeoutMs = limitMs;

      // Cleared only while pending: clearing a timer that already fired is not a no-op on every clock.
      let handle: ReturnType<typeof clock.setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        handle = clock.setTimeout(() => {
          handle = undefined;
          resolve('timeout');
        }, limitMs);
      });
      const attempt = next(exec);
      try {
        const first = await Promise.race([attempt, timedOut]);
        if (first !== 'timeout') return first;
        // The abandoned attempt may still settle (or reject on the abort); nobody is listening.
        attempt.catch(() => {});
        controller.abort(
          new SquallError('ERR_SQUALL_TIMEOUT', `attempt timed out after ${limitMs}ms`, {
            hint: byDeadline
              ? 'the overall deadline ran out'
              : 'raise attemptTimeoutMs or expect slow upstreams',
          }),
        );
        const outcome: AttemptOutcome = {
          kind: 'network',
          error: 'timeout',
          message: `no response within ${limitMs}ms`,
          model: exec.model,
        };
        return byDeadline ? deadlineRejection(exec, outcome) : outcome;
      } finally {
        clock.clearTimeout(handle);
        outerSignal?.removeEventListener('abort', onOuterAbort);
        exec.signal = outerSignal;
        exec.attemptTimeoutMs = Number.isFinite(perAttemptMs) ? perAttemptMs : previousTimeoutMs;
      }
    },
  };
}

function deadlineRejection(exec: Execution, last: AttemptOutcome | undefined): Rejection {
  const atMs = exec.ctx.clock.now();
  exec.ctx.emit({ type: 'rejected', requestId: exec.req.id, by: 'deadline', atMs });
  return {
    kind: 'rejected',
    by: 'deadline',
    reason: 'deadline_exceeded',
    message: `deadline of the logical request passed at ${exec.deadlineAtMs}ms`,
    ...(last ? { last } : {}),
  };
}
