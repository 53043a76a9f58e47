import type { Clock, TimerHandle } from '../../sim/clock.ts';
import { parseDurationMs } from '../../util/duration.ts';
import { between, nonNegative, oneOf, positive, strategyError } from '../check.ts';
import { headerValue, isUnrecoverable429 } from '../classify.ts';
import type { Execution, Policy, PolicyResult, Rejection } from '../policy.ts';
import { estimateTokens, type TokenEstimate } from '../prompt.ts';

/**
 * Client-side rate limiter: admits attempts at a pace the upstream will accept instead of finding the limit
 * by hitting it. Three brakes, all in clock time:
 *
 * - token buckets on requests/minute and tokens/minute (OpenAI's two dimensions; tokens = prompt estimate
 *   plus `max_tokens`, which OpenAI reserves up front), refilled continuously as in OpenAI's cookbook
 *   parallel processor;
 * - proactive slowdown: when a response says `x-ratelimit-remaining-*` is below `lowRemainingFraction` of
 *   the limit, the remaining budget is spread evenly over the time to `x-ratelimit-reset-*` (the seed
 *   article's "if you're approaching limits, proactively slow down");
 * - a global pause after a rate-limit 429 (the cookbook pauses 15 s); quota 429s do not pause, since
 *   waiting never fixes them.
 *
 * Waiters are admitted first come, first served. One that cannot be admitted within `maxWaitMs` (or before
 * the logical request's deadline) is shed instead of queueing forever.
 */
export interface RateLimiterOptions {
  requestsPerMin?: number;
  tokensPerMin?: number;
  /** How to count a request's tokens; default 'chars4'. */
  tokenEstimate?: TokenEstimate;
  /** Bucket capacity as seconds' worth of the rate; default 60 (a full minute, as the cookbook does). */
  burstSeconds?: number;
  /** Slow down when remaining/limit in a response falls below this (0..1); default: never. */
  lowRemainingFraction?: number;
  /** Pause all admissions this long after a rate-limit 429; default: no pause. */
  pauseAfter429Ms?: number;
  /** Longest an attempt may wait for admission before it is shed. */
  maxWaitMs: number;
}

export const TOKEN_ESTIMATES: readonly TokenEstimate[] = ['chars4', 'tokenizer'];

/** Below this many milliseconds "later" counts as now: float refill must never spin at one instant. */
const TIME_EPSILON_MS = 1e-6;

export function rateLimiter(o: RateLimiterOptions, where = 'limiter'): Policy {
  const options = checkOptions(o, where);
  const states = new WeakMap<Clock, LimiterState>();
  return {
    name: 'limiter',
    async execute(exec, next) {
      const clock = exec.ctx.clock;
      let state = states.get(clock);
      if (!state) {
        state = new LimiterState(clock, options);
        states.set(clock, state);
      }
      const tokens = state.needsTokens ? estimateTokens(exec.req, options.tokenEstimate ?? 'chars4') : 0;
      const rejection = await state.admit(exec, tokens);
      if (rejection) return rejection;
      const result = await next(exec);
      state.observe(result, tokens);
      return result;
    },
  };
}

function checkOptions(o: RateLimiterOptions, where: string): RateLimiterOptions {
  if (o === null || typeof o !== 'object')
    throw strategyError(where, 'maxWaitMs', 'limiter options are required');
  if (o.requestsPerMin !== undefined) positive(where, 'requestsPerMin', o.requestsPerMin);
  if (o.tokensPerMin !== undefined) positive(where, 'tokensPerMin', o.tokensPerMin);
  if (o.tokenEstimate !== undefined) oneOf(where, 'tokenEstimate', o.tokenEstimate, TOKEN_ESTIMATES);
  if (o.burstSeconds !== undefined) positive(where, 'burstSeconds', o.burstSeconds);
  if (o.lowRemainingFraction !== undefined)
    between(where, 'lowRemainingFraction', o.lowRemainingFraction, 0, 1);
  if (o.pauseAfter429Ms !== undefined) nonNegative(where, 'pauseAfter429Ms', o.pauseAfter429Ms);
  nonNegative(where, 'maxWaitMs', o.maxWaitMs);
  return o;
}

/** A continuously refilled bucket. Reads never mutate, so "when could n fit?" is a pure question. */
class TokenBucket {
  private level: number;
  private updatedAtMs: number;
  readonly ratePerMs: number;
  readonly capacity: number;

  constructor(perMinute: number, burstSeconds: number, nowMs: number) {
    this.ratePerMs = perMinute / 60_000;
    // At least one whole unit, or a slow rate with a short burst could never admit anything.
    this.capacity = Math.max(1, this.ratePerMs * burstSeconds * 1000);
    this.level = this.capacity;
    this.updatedAtMs = nowMs;
  }

  levelAt(atMs: number): number {
    return Math.min(this.capacity, this.level + Math.max(0, atMs - this.updatedAtMs) * this.ratePerMs);
  }

  /** Earliest time ≥ fromMs at which `n` fits. */
  readyAt(n: number, fromMs: number): number {
    const level = this.levelAt(fromMs);
    return level >= n ? fromMs : fromMs + (n - level) / this.ratePerMs;
  }

  take(n: number, nowMs: number): void {
    this.level = this.levelAt(nowMs) - n;
    this.updatedAtMs = nowMs;
  }
}

interface Waiter {
  exec: Execution;
  tokens: number;
  arrivedAtMs: number;
  deadlineAtMs: number;
  /** True when the logical request's own deadline, not maxWaitMs, is the binding limit. */
  requestDeadline: boolean;
  settle: (rejection: Rejection | undefined) => void;
  deadlineTimer?: TimerHandle;
  detach?: () => void;
}

interface Readiness {
  atMs: number;
  /** The brake that binds, for the shed message. */
  why: string;
}

class LimiterState {
  private readonly clock: Clock;
  private readonly options: RateLimiterOptions;
  private readonly requests: TokenBucket | undefined;
  private readonly tokens: TokenBucket | undefined;
  private pausedUntilMs = Number.NEGATIVE_INFINITY;
  private slowUntilMs = Number.NEGATIVE_INFINITY;
  private slowGapMs = 0;
  private lastAdmitMs = Number.NEGATIVE_INFINITY;
  private readonly waiters: Waiter[] = [];
  private wake: TimerHandle | undefined;
  readonly needsTokens: boolean;

  constructor(clock: Clock, options: RateLimiterOptions) {
    this.clock = clock;
    this.options = options;
    const burst = options.burstSeconds ?? 60;
    const now = clock.now();
    this.requests = options.requestsPerMin ? new TokenBucket(options.requestsPerMin, burst, now) : undefined;
    this.tokens = options.tokensPerMin ? new TokenBucket(options.tokensPerMin, burst, now) : undefined;
    this.needsTokens = this.tokens !== undefined || options.lowRemainingFraction !== undefined;
  }

  admit(exec: Execution, tokens: number): Promise<Rejection | undefined> {
    const now = this.clock.now();
    if (exec.signal?.aborted) {
      return Promise.resolve(
        rejection('deadline_exceeded', 'limiter: the logical request was aborted before admission'),
      );
    }
    if (this.tokens && tokens > this.tokens.capacity) {
      return Promise.resolve(
        this.shed(
          exec,
          `limiter: request needs ${tokens} tokens but the tokens-per-minute bucket holds at most ${Math.floor(this.tokens.capacity)}`,
          false,
        ),
      );
    }
    const maxWaitDeadline = now + this.options.maxWaitMs;
    const requestDeadline = exec.deadlineAtMs !== undefined && exec.deadlineAtMs < maxWaitDeadline;
    const deadlineAtMs = requestDeadline ? exec.deadlineAtMs! : maxWaitDeadline;
    if (this.waiters.length === 0) {
      const ready = this.readiness(tokens, now);
      if (ready.atMs <= now + TIME_EPSILON_MS) {
        this.take(tokens, now);
        return Promise.resolve(undefined);
      }
      // Nobody is ahead, so the wait is known now: shed at once rather than after waiting in vain.
      if (ready.atMs > deadlineAtMs) {
        const waitMs = Math.ceil(ready.atMs - now);
        return Promise.resolve(
          this.shed(exec, this.shedMessage(waitMs, ready.why, requestDeadline), requestDeadline),
        );
      }
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        exec,
        tokens,
        arrivedAtMs: now,
        deadlineAtMs,
        requestDeadline,
        settle: resolve,
      };
      waiter.deadlineTimer = this.clock.setTimeout(() => {
        waiter.deadlineTimer = undefined;
        this.drop(waiter);
        const ready = this.readiness(tokens, this.clock.now());
        resolve(
          this.shed(
            exec,
            this.shedMessage(this.clock.now() - now, ready.why, requestDeadline),
            requestDeadline,
          ),
        );
      }, deadlineAtMs - now);
      const signal = exec.signal;
      if (signal) {
        const onAbort = () => {
          this.drop(waiter);
          resolve(
            rejection(
              'deadline_exceeded',
              'limiter: the logical request was aborted while waiting for admission',
            ),
          );
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** Learns from a response: the 429 pause and the `x-ratelimit-*` slowdown. */
  observe(result: PolicyResult, tokens: number): void {
    if (result.kind !== 'response') return;
    const now = this.clock.now();
    const pauseMs = this.options.pauseAfter429Ms ?? 0;
    if (result.status === 429 && pauseMs > 0 && !isUnrecoverable429(result)) {
      this.pausedUntilMs = Math.max(this.pausedUntilMs, now + pauseMs);
    }
    const low = this.options.lowRemainingFraction;
    if (low !== undefined) {
      const dims = [
        readBudget(result.headers, 'requests', 1),
        readBudget(result.headers, 'tokens', Math.max(1, tokens)),
      ];
      let seen = false;
      let gapMs = 0;
      let untilMs = Number.NEGATIVE_INFINITY;
      for (const d of dims) {
        if (!d) continue;
        seen = true;
        if (d.remaining / d.limit >= low) continue;
        // Spread what is left evenly over the time until the window resets.
        gapMs = Math.max(gapMs, d.resetMs * Math.min(1, d.unit / Math.max(d.remaining, 1)));
        untilMs = Math.max(untilMs, now + d.resetMs);
      }
      if (seen) {
        this.slowGapMs = gapMs;
        this.slowUntilMs = untilMs;
      }
    }
    if (this.waiters.length > 0) this.pump();
  }

  /** Earliest time an attempt of `tokens` could be admitted, ignoring anyone ahead of it. */
  private readiness(tokens: number, now: number): Readiness {
    let ready: Readiness = { atMs: now, why: '' };
    const consider = (atMs: number, why: string) => {
      if (atMs > ready.atMs) ready = { atMs, why };
    };
    consider(this.pausedUntilMs, `the ${this.options.pauseAfter429Ms} ms pause after a 429`);
    if (this.slowGapMs > 0) {
      consider(
        Math.min(this.lastAdmitMs + this.slowGapMs, this.slowUntilMs),
        'the slowdown while x-ratelimit-remaining is low',
      );
    }
    if (this.requests)
      consider(this.requests.readyAt(1, ready.atMs), `requestsPerMin ${this.options.requestsPerMin}`);
    // Buckets only fill with time, so asking from the latest time so far finds when everything holds.
    if (this.tokens)
      consider(this.tokens.readyAt(tokens, ready.atMs), `tokensPerMin ${this.options.tokensPerMin}`);
    return ready;
  }

  private take(tokens: number, now: number): void {
    this.requests?.take(1, now);
    this.tokens?.take(tokens, now);
    this.lastAdmitMs = now;
  }

  /** Admits waiters from the head while they fit, then sleeps until the head could fit. */
  private pump(): void {
    if (this.wake) this.clock.clearTimeout(this.wake);
    this.wake = undefined;
    const now = this.clock.now();
    while (this.waiters.length > 0) {
      const head = this.waiters[0]!;
      const ready = this.readiness(head.tokens, now);
      if (ready.atMs > now + TIME_EPSILON_MS) {
        this.wake = this.clock.setTimeout(() => {
          this.wake = undefined;
          this.pump();
        }, ready.atMs - now);
        return;
      }
      this.waiters.shift();
      this.release(head);
      this.take(head.tokens, now);
      head.exec.ctx.emit({ type: 'limiter', waitMs: now - head.arrivedAtMs, atMs: now });
      head.settle(undefined);
    }
  }

  private drop(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
    this.release(waiter);
    // The head may have left: whoever is next deserves a fresh look.
    if (i === 0) this.pump();
  }

  private release(waiter: Waiter): void {
    if (waiter.deadlineTimer) this.clock.clearTimeout(waiter.deadlineTimer);
    waiter.deadlineTimer = undefined;
    waiter.detach?.();
  }

  private shedMessage(waitMs: number, why: string, requestDeadline: boolean): string {
    const limit = requestDeadline ? "the logical request's deadline" : `maxWaitMs ${this.options.maxWaitMs}`;
    return `limiter: admission would take ${Math.round(waitMs)} ms (${why || 'queue ahead'}), past ${limit}`;
  }

  private shed(exec: Execution, message: string, requestDeadline: boolean): Rejection {
    const now = this.clock.now();
    if (requestDeadline) return rejection('deadline_exceeded', message);
    exec.ctx.emit({ type: 'shed', requestId: exec.req.id, by: 'limiter', atMs: now });
    return rejection('shed', message);
  }
}

function rejection(reason: Rejection['reason'], message: string): Rejection {
  return { kind: 'rejected', by: 'limiter', reason, message };
}

interface Budget {
  limit: number;
  remaining: number;
  resetMs: number;
  /** What one admission spends of this budget. */
  unit: number;
}

/** Reads one `x-ratelimit-{limit,remaining,reset}-<dim>` triple; undefined when absent or placeholder. */
function readBudget(
  headers: Readonly<Record<string, string>>,
  dim: 'requests' | 'tokens',
  unit: number,
): Budget | undefined {
  const limit = Number(headerValue(headers, `x-ratelimit-limit-${dim}`));
  const remaining = Number(headerValue(headers, `x-ratelimit-remaining-${dim}`));
  const reset = headerValue(headers, `x-ratelimit-reset-${dim}`);
  // Azure sends -1 / 0 placeholders on some endpoints; those carry no information.
  if (!(limit > 0) || !(remaining >= 0) || reset === undefined) return undefined;
  let resetMs: number;
  try {
    resetMs = parseDurationMs(reset, `x-ratelimit-reset-${dim}`);
  } catch {
    return undefined;
  }
  return { limit, remaining, resetMs, unit };
}
