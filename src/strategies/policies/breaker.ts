import { integerAtLeast, nonNegative } from '../check.ts';
import { type ClassifyOptions, classify } from '../classify.ts';
import type { Execution, Next, Policy, PolicyResult, Rejection } from '../policy.ts';
import { isRejection } from '../policy.ts';

/**
 * Circuit breaker state machine, shared by the consecutive-failures and failure-rate breakers; they differ
 * only in what trips it while closed (a {@link TripRule}).
 *
 * closed ──trip──▶ open ──openMs elapsed, next call──▶ half_open ──probes pass──▶ closed
 *                    ▲                                     │
 *                    └─────────────probes fail─────────────┘
 *
 * Open means fail fast: the call returns a `breaker_open` rejection without touching the upstream. In
 * half-open only `halfOpenProbes` calls are let through; everyone else is still rejected. Like
 * pybreaker and cockatiel, the open → half-open move happens lazily, on the first call after `openMs`.
 * `halfOpenProbes` counts calls per half-open period, not at a time (resilience4j
 * permittedNumberOfCallsInHalfOpenState): their results decide, and a probe whose result is ignored frees
 * its place.
 *
 * The breaker is one object per strategy, shared by all its logical requests. Results of calls admitted
 * under an earlier state (e.g. slow failures landing after the breaker already opened) are ignored, so
 * one outage is not counted twice.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** What one call's result means to the breaker. Rejections made by inner policies say nothing about the
 *  upstream and are ignored. */
export type Verdict = 'failure' | 'success' | 'ignore';

export interface TripRule {
  /** Records a closed-state verdict; returns true when the breaker should open. */
  record(failed: boolean, nowMs: number): boolean;
  /** After the probes reported `ok` successes and `failed` failures out of `probes`: decide or wait. */
  halfOpen(ok: number, failed: number, probes: number): 'open' | 'close' | 'wait';
  reset(): void;
}

export interface BreakerCommonOptions {
  /** How long the breaker stays open before letting a probe through. */
  openMs: number;
  /** Calls let through in half-open. Default 1 (the seed article: "one test request"). */
  halfOpenProbes?: number;
  /** What counts as a failure. Default: a transient or network outcome (so 400s and 401s do not trip it). */
  countAsFailure?: (r: PolicyResult) => boolean;
  /** Classification used by the default `countAsFailure`. */
  classify?: ClassifyOptions;
}

/** A breaker policy; `state` is exposed for inspection (tests, `squall explain`). */
export interface BreakerPolicy extends Policy {
  readonly state: BreakerState;
}

export function defaultCountAsFailure(options: ClassifyOptions | undefined): (r: PolicyResult) => boolean {
  return (r) => {
    if (isRejection(r)) return false;
    const c = classify(r, options);
    return c === 'transient' || c === 'network';
  };
}

export function checkCommon(o: BreakerCommonOptions, where: string): void {
  nonNegative(where, 'openMs', o.openMs);
  if (o.halfOpenProbes !== undefined) integerAtLeast(where, 'halfOpenProbes', o.halfOpenProbes, 1);
}

export class CircuitBreaker implements BreakerPolicy {
  readonly name = 'breaker';
  private current: BreakerState = 'closed';
  private openedAtMs = 0;
  /** Bumped on every transition; a result only counts under the generation it was admitted in. */
  private generation = 0;
  /** Probes admitted in this half-open period, less those whose result had to be ignored. */
  private probesAdmitted = 0;
  private probeOk = 0;
  private probeFailed = 0;
  private readonly openMs: number;
  private readonly probes: number;
  private readonly countAsFailure: (r: PolicyResult) => boolean;
  private readonly rule: TripRule;

  constructor(rule: TripRule, o: BreakerCommonOptions) {
    this.rule = rule;
    this.openMs = o.openMs;
    this.probes = o.halfOpenProbes ?? 1;
    this.countAsFailure = o.countAsFailure ?? defaultCountAsFailure(o.classify);
  }

  get state(): BreakerState {
    return this.current;
  }

  async execute(exec: Execution, next: Next): Promise<PolicyResult> {
    const { clock } = exec.ctx;
    if (this.current === 'open' && clock.now() - this.openedAtMs >= this.openMs) {
      this.moveTo('half_open', exec);
    }
    if (this.current === 'open' || (this.current === 'half_open' && this.probesAdmitted >= this.probes)) {
      return this.reject(exec);
    }
    const isProbe = this.current === 'half_open';
    if (isProbe) this.probesAdmitted++;
    const generation = this.generation;
    let result: PolicyResult;
    try {
      result = await next(exec);
    } catch (e) {
      if (isProbe && generation === this.generation) this.probesAdmitted--;
      throw e;
    }
    if (generation !== this.generation) return result;
    const verdict = this.verdict(result);
    if (isProbe) {
      if (verdict === 'ignore') {
        this.probesAdmitted--;
        return result;
      }
      if (verdict === 'failure') this.probeFailed++;
      else this.probeOk++;
      const decision = this.rule.halfOpen(this.probeOk, this.probeFailed, this.probes);
      if (decision === 'open') this.moveTo('open', exec);
      else if (decision === 'close') this.moveTo('closed', exec);
    } else if (verdict !== 'ignore' && this.rule.record(verdict === 'failure', clock.now())) {
      this.moveTo('open', exec);
    }
    return result;
  }

  private verdict(r: PolicyResult): Verdict {
    if (this.countAsFailure(r)) return 'failure';
    return isRejection(r) ? 'ignore' : 'success';
  }

  private moveTo(state: BreakerState, exec: Execution): void {
    const now = exec.ctx.clock.now();
    this.current = state;
    this.generation++;
    this.probesAdmitted = 0;
    this.probeOk = 0;
    this.probeFailed = 0;
    if (state === 'open') this.openedAtMs = now;
    this.rule.reset();
    exec.ctx.emit({ type: 'breaker', state, atMs: now });
  }

  private reject(exec: Execution): Rejection {
    const now = exec.ctx.clock.now();
    exec.ctx.emit({ type: 'rejected', requestId: exec.req.id, by: this.name, atMs: now });
    const reopenInMs = Math.max(0, this.openedAtMs + this.openMs - now);
    return {
      kind: 'rejected',
      by: this.name,
      reason: 'breaker_open',
      message:
        this.current === 'open'
          ? `circuit open; next probe allowed in ${reopenInMs}ms`
          : 'circuit half-open; its probes are already taken',
    };
  }
}

export interface ConsecutiveBreakerOptions extends BreakerCommonOptions {
  /** Consecutive failures that open the breaker (seed article: 5). */
  threshold: number;
}

/**
 * Opens after `threshold` consecutive failures; a success resets the count. In half-open any probe failure
 * reopens it and `halfOpenProbes` successes close it (pybreaker, cockatiel ConsecutiveBreaker).
 */
export function consecutiveBreaker(o: ConsecutiveBreakerOptions, where = 'breaker'): BreakerPolicy {
  integerAtLeast(where, 'threshold', o.threshold, 1);
  checkCommon(o, where);
  let failures = 0;
  const rule: TripRule = {
    record(failed) {
      failures = failed ? failures + 1 : 0;
      return failures >= o.threshold;
    },
    halfOpen(ok, failed, probes) {
      if (failed > 0) return 'open';
      return ok >= probes ? 'close' : 'wait';
    },
    reset() {
      failures = 0;
    },
  };
  return new CircuitBreaker(rule, o);
}
