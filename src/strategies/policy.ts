import type { AttemptOptions, AttemptOutcome, LogicalRequest, StrategyContext } from './types.ts';

/**
 * A policy is one verb: `execute(exec, next)`. Policies compose outermost first with `wrap()`
 * (fallback ∘ breaker ∘ retry ∘ limiter ∘ timeout), cockatiel style. What flows between them is plain
 * data: the last attempt's outcome, or a rejection made without touching the upstream.
 */

/** A decision not to call the upstream (or to stop calling it). */
export interface Rejection {
  kind: 'rejected';
  /** Policy name, e.g. 'breaker', 'queue', 'limiter', 'budget', 'throttle', 'deadline', 'fallback'. */
  by: string;
  reason: 'breaker_open' | 'shed' | 'deadline_exceeded' | 'fallback_exhausted' | 'strategy_error';
  message: string;
  /** The outcome that led to it, when there was one (e.g. the last failure before the chain ran out). */
  last?: AttemptOutcome;
}

export type PolicyResult = AttemptOutcome | Rejection;

/** Mutable state of one logical request as it passes through the pipeline. */
export interface Execution {
  readonly req: LogicalRequest;
  readonly ctx: StrategyContext;
  /** Model for the next attempt (a fallback chain changes it). */
  model: string;
  /** Attempts made so far for this logical request (all models). */
  attempts: number;
  /** Aborts everything for this logical request (overall deadline, run stop). */
  signal?: AbortSignal;
  /** Absolute clock time after which no new attempt may start. */
  deadlineAtMs?: number;
  /** Per-attempt timeout the innermost transport call enforces. */
  attemptTimeoutMs?: number;
}

export type Next = (exec: Execution) => Promise<PolicyResult>;

export interface Policy {
  readonly name: string;
  execute(exec: Execution, next: Next): Promise<PolicyResult>;
}

export function isRejection(r: PolicyResult): r is Rejection {
  return r.kind === 'rejected';
}

/** The innermost step: one attempt through the transport. */
export const sendStep: Next = (exec) => {
  const n = exec.attempts++;
  exec.ctx.emit({
    type: 'attempt',
    requestId: exec.req.id,
    attemptNumber: n,
    model: exec.model,
    atMs: exec.ctx.clock.now(),
  });
  // Assigned, not spread: spreading optional fields builds throwaway objects, on every attempt.
  const options: AttemptOptions = { model: exec.model, attemptNumber: n };
  if (exec.signal) options.signal = exec.signal;
  if (exec.attemptTimeoutMs !== undefined) options.timeoutMs = exec.attemptTimeoutMs;
  return exec.ctx.send(exec.req, options);
};

/** Composes policies, outermost first, around `inner` (default: one attempt through the transport). */
export function wrap(...policies: Policy[]): (exec: Execution, inner?: Next) => Promise<PolicyResult> {
  return (exec, inner = sendStep) => {
    const run = (i: number, e: Execution): Promise<PolicyResult> => {
      const p = policies[i];
      return p ? p.execute(e, (e2) => run(i + 1, e2)) : inner(e);
    };
    return run(0, exec);
  };
}
