import CircuitBreaker from 'opossum';
import { type ClassifyOptions, classify } from '../classify.ts';
import { fromAttempt, strategyErrorOutcome } from '../outcome.ts';
import type {
  AttemptOptions,
  AttemptOutcome,
  LogicalOutcome,
  LogicalRequest,
  Strategy,
  StrategyContext,
} from '../types.ts';
import { AttemptFailure, AttemptTracker, isAttemptFailure, trackedSend } from './common.ts';

/**
 * An opossum circuit breaker, unmodified, as a strategy: every logical request is one `breaker.fire()`,
 * whose action makes one attempt and throws an {@link AttemptFailure} when it failed (per `classify`), so
 * opossum counts it. opossum has no retry; combine it with one inside your own action if you need it.
 *
 * Give either `options` (the adapter builds `new CircuitBreaker(action, options)`) or `create`, a
 * factory that receives the action and returns your breaker (for `errorFilter`, `fallback`, listeners).
 * The breaker is built on the first call, so in simulated time its timers are the virtual ones: install
 * virtual globals for the run. Its statistics rotate on an unref'd interval, which the virtual globals do
 * not let keep a simulation alive. Breaker transitions are reported as `breaker` events.
 *
 * Outcomes: an open breaker's rejection is `breaker_open`; opossum's own timeout (option `timeout`,
 * default 10 s) a network timeout; a full semaphore (`capacity`) `shed`. A fallback value returned by
 * the breaker counts as a success that needed no upstream answer.
 */
export type OpossumAction = (req: LogicalRequest, run: AttemptRunner) => Promise<AttemptOutcome>;
export type AttemptRunner = (options: Omit<AttemptOptions, 'attemptNumber'>) => Promise<AttemptOutcome>;
export type OpossumBreaker = CircuitBreaker<[LogicalRequest, AttemptRunner], AttemptOutcome>;

export type OpossumStrategyOptions = {
  name?: string;
  classify?: ClassifyOptions;
} & (
  | { options: CircuitBreaker.Options<[LogicalRequest, AttemptRunner]> }
  | { create: (action: OpossumAction) => OpossumBreaker }
);

export function opossumStrategy(o: OpossumStrategyOptions): Strategy {
  const name = o.name ?? 'opossum';
  let breaker: OpossumBreaker | undefined;
  let current: StrategyContext | undefined;
  const action: OpossumAction = async (req, run) => {
    const outcome = await run({ model: req.model });
    if (classify(outcome, o.classify) !== 'success') throw new AttemptFailure(outcome);
    return outcome;
  };
  const ensureBreaker = (): OpossumBreaker => {
    if (breaker) return breaker;
    breaker = 'create' in o ? o.create(action) : new CircuitBreaker(action, o.options);
    const emit = (state: 'open' | 'half_open' | 'closed') => () =>
      current?.emit({ type: 'breaker', state, atMs: current.clock.now() });
    breaker.on('open', emit('open'));
    breaker.on('halfOpen', emit('half_open'));
    breaker.on('close', emit('closed'));
    return breaker;
  };

  return {
    name,
    async call(req, ctx, signal) {
      current = ctx;
      const tracker = new AttemptTracker(ctx, req);
      const send = trackedSend(ctx, tracker);
      const run: AttemptRunner = (options) =>
        send(req, {
          ...options,
          attemptNumber: tracker.attempts,
          ...(signal && !options.signal ? { signal } : {}),
        });
      try {
        const value: unknown = await ensureBreaker().fire(req, run);
        if (isOutcome(value)) return fromAttempt(value, tracker.attempts, o.classify);
        return { ok: true, result: 'success', attempts: tracker.attempts };
      } catch (e) {
        return fromOpossumError(e, req, tracker, ctx, name, o.classify);
      }
    },
  };
}

function fromOpossumError(
  e: unknown,
  req: LogicalRequest,
  tracker: AttemptTracker,
  ctx: StrategyContext,
  name: string,
  options: ClassifyOptions | undefined,
): LogicalOutcome {
  const last = tracker.last ? { last: tracker.last } : {};
  if (isAttemptFailure(e)) return fromAttempt(e.outcome, tracker.attempts, options);
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'EOPENBREAKER')
    return { ok: false, result: 'breaker_open', attempts: tracker.attempts, ...last };
  if (code === 'ESEMLOCKED') return { ok: false, result: 'shed', attempts: tracker.attempts, ...last };
  if (code === 'ETIMEDOUT') {
    const message = e instanceof Error ? e.message : 'opossum timeout';
    return fromAttempt(
      { kind: 'network', error: 'timeout', message, model: req.model },
      tracker.attempts,
      options,
    );
  }
  ctx.log(
    `strategy "${name}": opossum breaker threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
  );
  return strategyErrorOutcome(tracker.attempts, tracker.last);
}

function isOutcome(v: unknown): v is AttemptOutcome {
  return (
    !!v &&
    typeof v === 'object' &&
    ((v as AttemptOutcome).kind === 'response' || (v as AttemptOutcome).kind === 'network')
  );
}
