import {
  type IPolicy,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isIsolatedCircuitError,
  isTaskCancelledError,
} from 'cockatiel';
import { type ClassifyOptions, classify } from '../classify.ts';
import { fromAttempt, strategyErrorOutcome } from '../outcome.ts';
import type { AttemptOutcome, LogicalOutcome, Strategy, StrategyContext } from '../types.ts';
import { AttemptFailure, AttemptTracker, isAttemptFailure, trackedSend } from './common.ts';

/**
 * A cockatiel policy (retry, circuit breaker, timeout, bulkhead, or any `wrap()` of them), unmodified, as
 * a strategy: each attempt runs through `policy.execute(...)`. A failed attempt (anything but a success,
 * per `classify`) is thrown as an {@link AttemptFailure}, so cockatiel sees failures exactly as it would
 * with a client that throws on error statuses (`handleAll` retries them; `handleWhen(isAttemptFailure)`
 * narrows it).
 *
 * In simulated time install virtual globals: cockatiel waits with global `setTimeout` and jitters with
 * `Math.random`. Breaker transitions of any circuit breaker in the policy (also inside `wrap()`) are
 * reported as `breaker` events.
 *
 * Give `policy` as a function returning a fresh policy to get one per strategy build (breaker state does
 * not then leak between runs).
 */
export interface CockatielStrategyOptions {
  name?: string;
  policy: IPolicy | (() => IPolicy);
  classify?: ClassifyOptions;
}

interface BreakerEvents {
  onBreak: (listener: () => void) => unknown;
  onHalfOpen: (listener: () => void) => unknown;
  onReset: (listener: () => void) => unknown;
}

export function cockatielStrategy(o: CockatielStrategyOptions): Strategy {
  let policy: IPolicy | undefined;
  let current: StrategyContext | undefined;
  const name = o.name ?? 'cockatiel';
  const resolvePolicy = (): IPolicy => {
    if (policy) return policy;
    policy = typeof o.policy === 'function' ? o.policy() : o.policy;
    for (const b of breakersIn(policy)) {
      const emit = (state: 'open' | 'half_open' | 'closed') => () =>
        current?.emit({ type: 'breaker', state, atMs: current.clock.now() });
      b.onBreak(emit('open'));
      b.onHalfOpen(emit('half_open'));
      b.onReset(emit('closed'));
    }
    return policy;
  };

  return {
    name,
    async call(req, ctx, signal) {
      current = ctx;
      const tracker = new AttemptTracker(ctx, req);
      const send = trackedSend(ctx, tracker);
      try {
        const last = await resolvePolicy().execute(async (context) => {
          const outcome = await send(req, {
            model: req.model,
            attemptNumber: tracker.attempts,
            signal: context.signal,
          });
          if (classify(outcome, o.classify) !== 'success') throw new AttemptFailure(outcome);
          return outcome;
        }, signal);
        return isOutcome(last)
          ? fromAttempt(last, tracker.attempts, o.classify)
          : { ok: true, result: 'success', attempts: tracker.attempts };
      } catch (e) {
        return fromCockatielError(e, tracker, ctx, name, signal, o.classify);
      }
    },
  };
}

function fromCockatielError(
  e: unknown,
  tracker: AttemptTracker,
  ctx: StrategyContext,
  name: string,
  signal: AbortSignal | undefined,
  options: ClassifyOptions | undefined,
): LogicalOutcome {
  const last = tracker.last ? { last: tracker.last } : {};
  if (isAttemptFailure(e)) return fromAttempt(e.outcome, tracker.attempts, options);
  if (isBrokenCircuitError(e) || isIsolatedCircuitError(e)) {
    return { ok: false, result: 'breaker_open', attempts: tracker.attempts, ...last };
  }
  if (isBulkheadRejectedError(e)) return { ok: false, result: 'shed', attempts: tracker.attempts, ...last };
  if (isTaskCancelledError(e)) {
    if (signal?.aborted)
      return { ok: false, result: 'deadline_exceeded', attempts: tracker.attempts, ...last };
    // cockatiel's own timeout policy gave up on the attempt.
    return fromAttempt(
      { kind: 'network', error: 'timeout', message: e.message, model: tracker.last?.model ?? '' },
      tracker.attempts,
      options,
    );
  }
  ctx.log(
    `strategy "${name}": cockatiel policy threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
  );
  return strategyErrorOutcome(tracker.attempts, tracker.last);
}

/** The circuit breakers in a policy: itself, or those a `wrap()` holds. */
function breakersIn(policy: IPolicy): BreakerEvents[] {
  const found: BreakerEvents[] = [];
  const visit = (p: unknown) => {
    if (!p || typeof p !== 'object') return;
    const candidate = p as Partial<BreakerEvents> & { wrapped?: unknown[] };
    if (
      typeof candidate.onBreak === 'function' &&
      typeof candidate.onHalfOpen === 'function' &&
      typeof candidate.onReset === 'function'
    ) {
      found.push(candidate as BreakerEvents);
    }
    if (Array.isArray(candidate.wrapped)) candidate.wrapped.forEach(visit);
  };
  visit(policy);
  return found;
}

function isOutcome(v: unknown): v is AttemptOutcome {
  return (
    !!v &&
    typeof v === 'object' &&
    ((v as AttemptOutcome).kind === 'response' || (v as AttemptOutcome).kind === 'network')
  );
}
