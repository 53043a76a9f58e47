import { SquallError } from '../errors.ts';
import { classify } from '../strategies/classify.ts';
import {
  type AttemptOutcome,
  LOGICAL_RESULTS,
  type LogicalOutcome,
  type LogicalRequest,
  type StrategyEvent,
} from '../strategies/types.ts';
import { Breakdown, type BreakdownRow, DEFAULT_MAX_BREAKDOWN_KEYS, OTHER_KEY } from './breakdown.ts';
import type { ClientSummary, OtherTrafficSummary } from './client-metrics.ts';
import { attemptKindOf, FAILURE_CLASSES, type FailureClass, failureClassOf } from './failure-class.ts';
import { Histogram, type HistogramJSON } from './histogram.ts';
import {
  DEFAULT_RECOVERY_RULE,
  type FaultWindow,
  type RecoveryResult,
  type RecoveryRule,
  recoveryTimes,
} from './recovery.ts';
import { completedPerSecond, SecondSeries, type SeriesJSON } from './series.ts';

/**
 * Everything one strategy's run did, recorded as it happens and summarised as plain data.
 *
 * The runner calls the `on*` hooks with clock ms; the recorder never reads a clock. Two levels are
 * kept apart: logical requests (what the user's code asked for) and attempts (what hit the upstream).
 * Latency is measured from each request's *intended* arrival, so a strategy that queues or falls
 * behind pays for it (no coordinated omission); service time per attempt is kept beside it.
 *
 * Every offered request is accounted for: it succeeded, failed (by class) or was still open when the
 * run ended (`unfinished`). Rates are over offered requests, and success and failure latency are kept
 * apart, so neither leaving requests in a queue nor failing fast can make a strategy look better.
 * The runner calls {@link StrategyRecorder.end} when the run stops (after its drain); anything reported
 * after that (requests aborted by the end of the run) is ignored, so those requests stay unfinished.
 *
 * Memory does not grow with the number of requests: per-request state lives only while the request
 * is in flight, histograms and the series are fixed-size, and every keyed count is capped.
 *
 * @example
 * const rec = new StrategyRecorder({ startMs: 0, durationMs: 60_000, pricePer1kTokens: 0.002 });
 * rec.onArrival(req, 0); rec.onAttemptStart(req.id, 0);
 * rec.onAttemptEnd(req.id, outcome, 0, 850, 120, false); rec.onLogicalEnd(req, logical, 850);
 * rec.end(850); rec.summary([{ name: 'outage', startMs: 10_000, endMs: 20_000 }]);
 */
export interface StrategyRecorderOptions {
  /** Run length: arrivals happen before it. */
  durationMs: number;
  /** How long after the duration open requests may still finish (sizes the series with the duration). Default 0. */
  drainMs?: number;
  /** Clock ms at which the run starts (second 0 of the series). */
  startMs: number;
  /** Price per 1000 billed tokens; without it the summary's cost is null. */
  pricePer1kTokens?: number;
  /** When a fault window counts as recovered from; default {@link DEFAULT_RECOVERY_RULE} (5 points, 10 s). */
  recovery?: RecoveryRule;
  /** Named rows per breakdown before the rest fold into "(other)". Default 200. */
  maxBreakdownKeys?: number;
}

/** Latency statistics in ms; null when nothing was recorded. */
export interface LatencyStats {
  count: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

export type LogicalResult = LogicalOutcome['result'];

export interface StrategySummary {
  startMs: number;
  durationMs: number;
  /**
   * How long the run really took: from the start until the last request finished, at least the
   * duration; the whole drain when requests were still open at its end (or the run was interrupted).
   */
  elapsedMs: number;
  requests: {
    /** Logical requests that arrived. */
    offered: number;
    /** Finished, successfully or not. */
    completed: number;
    /** Still open when the run ended (after the drain): neither a success nor a failure, never dropped. */
    unfinished: number;
    /** The same as `unfinished` (its name before result schema 2). */
    inFlightAtEnd: number;
    /** Handed to the strategy after their intended arrival time (the driver fell behind). */
    lateArrivals: number;
    maxArrivalLagMs: number;
  };
  /** Completed logical requests by the strategy's verdict. */
  results: Record<LogicalResult, number>;
  /** Failed logical requests by cause. */
  failuresByClass: Record<FailureClass, number>;
  /** Successes / offered logical requests (unfinished ones count against it); null when none arrived. */
  successRate: number | null;
  /** Successful logical requests per second of elapsed time (`elapsedMs`, drain included). */
  goodputPerSec: number;
  /** Attempts / offered logical requests; null when nothing arrived. */
  amplification: number | null;
  attempts: {
    total: number;
    /** By HTTP status ('200', '429') or fault kind ('timeout', 'reset'). */
    byKind: Record<string, number>;
    /** Attempts the client gave up on (its own timeout, a hedge that lost…). */
    abandoned: number;
    /** Attempts on the same model after that request already got a non-retryable ('client') failure. */
    wastedRetries: number;
    /** Index i: logical requests that used i attempts; the last index counts that many or more. */
    perRequest: number[];
  };
  /** End-to-end, from intended arrival to completion, all completed logical requests (successes and failures mixed). */
  latencyMs: LatencyStats;
  /** The same, successful logical requests only: what the tables show as latency. */
  successLatencyMs: LatencyStats;
  /** The same, failed logical requests only (a fast failure is not a fast answer). */
  failureLatencyMs: LatencyStats;
  /** From the first attempt's start to completion: what a closed-loop tool would have reported. */
  uncorrectedLatencyMs: LatencyStats;
  /** Per attempt, start to end. */
  serviceTimeMs: LatencyStats;
  /** Waits reported by limiters. */
  limiterWaitMs: LatencyStats;
  /** Percentile spectrum of `successLatencyMs` for a log-axis chart (successes only, like every percentile shown). */
  latencySpectrum: Array<{ percentile: number; ms: number }>;
  tokens: {
    /** Everything the upstream billed, including attempts the client abandoned. */
    billed: number;
    /** Billed for attempts the client abandoned: paid for, never used. */
    abandonedBilled: number;
    /** Abandoned attempts the upstream still completed and billed (duplicate completions). */
    duplicateBilledAttempts: number;
  };
  cost: { pricePer1kTokens: number; total: number; abandoned: number } | null;
  /** One entry per fault window, in schedule order. */
  recovery: RecoveryResult[];
  /** The rule `recovery` was measured with. */
  recoveryRule: RecoveryRule;
  events: {
    retries: number;
    fallbacks: number;
    breakerTransitions: number;
    breakerOpened: number;
    rejectedBy: Record<string, number>;
    shedBy: Record<string, number>;
  };
  perSecond: {
    /** Success rate of logical requests completing in the second; null when none did. */
    successRate: Array<number | null>;
    /** Attempts started / logical requests offered in the second; null when none arrived. */
    amplification: Array<number | null>;
  };
  /** `successLatency` since result schema 2 (thresholds read any percentile of it). */
  histograms: { latency: HistogramJSON; successLatency?: HistogramJSON; serviceTime: HistogramJSON };
  series: SeriesJSON;
  breakdowns: {
    byUser: Record<string, BreakdownRow>;
    byFeature: Record<string, BreakdownRow>;
    byModel: Record<string, BreakdownRow>;
  };
  /** The calling application's own resources (run-strategy fills it when the scenario has `client:`). */
  client?: ClientSummary;
  /** Its requests that never call the LLM: the blast radius (when `client.other_traffic` is set). */
  otherTraffic?: OtherTrafficSummary;
}

/** What the recorder holds per in-flight logical request (and nothing after it ends). */
interface InFlight {
  attempts: number;
  firstAttemptMs: number;
  /** Model of the last non-retryable failure, so a retry on it counts as wasted but a fallback does not. */
  clientFailureModel: string | null;
}

/** Attempts-per-request distribution buckets; 16+ attempts share the last one. */
const ATTEMPT_DISTRIBUTION_CAP = 16;
/** Policy names in rejected/shed events come from config, but cap them anyway. */
const MAX_EVENT_KEYS = 50;

export class StrategyRecorder {
  private readonly startMs: number;
  private readonly durationMs: number;
  private readonly pricePer1kTokens: number | undefined;
  private readonly recoveryRule: RecoveryRule;
  private readonly series: SecondSeries;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly latency = new Histogram();
  private readonly successLatency = new Histogram();
  private readonly failureLatency = new Histogram();
  private readonly uncorrectedLatency = new Histogram();
  private readonly serviceTime = new Histogram();
  private readonly limiterWait = new Histogram();
  private readonly byUser: Breakdown;
  private readonly byFeature: Breakdown;
  private readonly byModel: Breakdown;
  private readonly results = zeroRecord(LOGICAL_RESULTS);
  private readonly failuresByClass = zeroRecord(FAILURE_CLASSES);
  private readonly attemptKinds = new Map<string, number>();
  private readonly attemptsPerRequest = new Array<number>(ATTEMPT_DISTRIBUTION_CAP + 1).fill(0);
  private readonly rejectedBy = new Map<string, number>();
  private readonly shedBy = new Map<string, number>();
  private offered = 0;
  private completed = 0;
  private successes = 0;
  private lateArrivals = 0;
  private maxArrivalLagMs = 0;
  private attempts = 0;
  private attemptsOutstanding = 0;
  private abandoned = 0;
  private wastedRetries = 0;
  private billedTokens = 0;
  private abandonedBilledTokens = 0;
  private duplicateBilledAttempts = 0;
  private retries = 0;
  private fallbacks = 0;
  private breakerTransitions = 0;
  private breakerOpened = 0;
  private lastEndMs = Number.NEGATIVE_INFINITY;
  /** Clock ms at which the run stopped; NaN while it runs. */
  private endedMs = Number.NaN;

  constructor(options: StrategyRecorderOptions) {
    const rule = options.recovery ?? DEFAULT_RECOVERY_RULE;
    if (!(rule.marginFraction >= 0 && rule.marginFraction < 1)) {
      throw new SquallError(
        'ERR_SQUALL_INVALID_METRICS',
        `the recovery margin must be in [0, 1), got ${rule.marginFraction}`,
      );
    }
    if (!(rule.holdMs > 0 && Number.isFinite(rule.holdMs))) {
      throw new SquallError(
        'ERR_SQUALL_INVALID_METRICS',
        `the recovery hold must be a time > 0 ms, got ${rule.holdMs}`,
      );
    }
    const drainMs = options.drainMs ?? 0;
    if (!(drainMs >= 0 && Number.isFinite(drainMs))) {
      throw new SquallError('ERR_SQUALL_INVALID_METRICS', `drainMs must be ≥ 0, got ${drainMs}`);
    }
    const price = options.pricePer1kTokens;
    if (price !== undefined && !(price >= 0 && Number.isFinite(price))) {
      throw new SquallError(
        'ERR_SQUALL_INVALID_METRICS',
        `pricePer1kTokens must be a number ≥ 0, got ${price}`,
      );
    }
    this.startMs = options.startMs;
    this.durationMs = options.durationMs;
    this.pricePer1kTokens = price;
    this.recoveryRule = { marginFraction: rule.marginFraction, holdMs: rule.holdMs };
    this.series = new SecondSeries({ startMs: options.startMs, durationMs: options.durationMs + drainMs });
    const maxKeys = options.maxBreakdownKeys ?? DEFAULT_MAX_BREAKDOWN_KEYS;
    this.byUser = new Breakdown(maxKeys);
    this.byFeature = new Breakdown(maxKeys);
    this.byModel = new Breakdown(maxKeys);
  }

  /** The runner handed `req` to the strategy at `atMs` (normally its intended arrival). */
  onArrival(req: LogicalRequest, atMs: number): void {
    if (this.ended) return;
    this.offered++;
    this.series.countOffered(req.arrivalMs);
    const lagMs = atMs - req.arrivalMs;
    if (lagMs > 0) {
      this.lateArrivals++;
      if (lagMs > this.maxArrivalLagMs) this.maxArrivalLagMs = lagMs;
    }
    this.byUser.offer(req.user);
    this.byFeature.offer(req.feature);
    this.byModel.offer(req.model);
    this.inFlight.set(req.id, { attempts: 0, firstAttemptMs: Number.NaN, clientFailureModel: null });
    this.series.setInFlight(atMs, this.inFlight.size);
  }

  onAttemptStart(reqId: string, atMs: number): void {
    if (this.ended) return;
    this.attempts++;
    this.attemptsOutstanding++;
    this.series.countAttempted(atMs);
    this.series.setAttemptsInFlight(atMs, this.attemptsOutstanding);
    const state = this.inFlight.get(reqId);
    if (state !== undefined) {
      if (state.attempts === 0) state.firstAttemptMs = atMs;
      state.attempts++;
    }
  }

  /**
   * One attempt finished. `billedTokens` is what the upstream charged for it, even when the client had
   * already abandoned it (a timeout followed by a retry pays for the same completion twice).
   */
  onAttemptEnd(
    reqId: string,
    outcome: AttemptOutcome,
    startedMs: number,
    endedMs: number,
    billedTokens: number,
    abandoned: boolean,
  ): void {
    if (this.ended) return;
    this.attemptsOutstanding = Math.max(0, this.attemptsOutstanding - 1);
    this.series.setAttemptsInFlight(endedMs, this.attemptsOutstanding);
    this.serviceTime.record(Math.max(0, endedMs - startedMs) * 1000);
    const kind = attemptKindOf(outcome);
    this.attemptKinds.set(kind, (this.attemptKinds.get(kind) ?? 0) + 1);
    const errorClass = classify(outcome);
    if (errorClass === 'success' && !abandoned) this.series.countAttemptSucceeded(endedMs);
    this.billedTokens += billedTokens;
    if (abandoned) {
      this.abandoned++;
      this.abandonedBilledTokens += billedTokens;
      if (billedTokens > 0) this.duplicateBilledAttempts++;
    }
    const state = this.inFlight.get(reqId);
    if (state !== undefined) {
      if (state.clientFailureModel !== null && state.clientFailureModel === outcome.model)
        this.wastedRetries++;
      if (errorClass === 'client') state.clientFailureModel = outcome.model;
    }
  }

  onLogicalEnd(req: LogicalRequest, outcome: LogicalOutcome, endedMs: number): void {
    if (this.ended) return;
    const state = this.inFlight.get(req.id);
    this.inFlight.delete(req.id);
    this.series.setInFlight(endedMs, this.inFlight.size);
    this.completed++;
    this.results[outcome.result]++;
    if (endedMs > this.lastEndMs) this.lastEndMs = endedMs;

    const latencyUs = Math.max(0, endedMs - req.arrivalMs) * 1000;
    this.latency.record(latencyUs);
    if (state !== undefined && state.attempts > 0) {
      this.uncorrectedLatency.record(Math.max(0, endedMs - state.firstAttemptMs) * 1000);
    }
    const attemptsUsed = state?.attempts ?? outcome.attempts;
    this.attemptsPerRequest[Math.min(attemptsUsed, ATTEMPT_DISTRIBUTION_CAP)]!++;

    const failureClass = failureClassOf(outcome);
    if (failureClass === null) {
      this.successes++;
      this.successLatency.record(latencyUs);
      this.series.countSucceeded(endedMs);
    } else {
      this.failuresByClass[failureClass]++;
      this.failureLatency.record(latencyUs);
      this.series.countFailed(endedMs, failureClass);
    }
    this.byUser.record(req.user, outcome.ok, latencyUs);
    this.byFeature.record(req.feature, outcome.ok, latencyUs);
    this.byModel.record(req.model, outcome.ok, latencyUs);
  }

  onEvent(e: StrategyEvent): void {
    if (this.ended) return;
    switch (e.type) {
      case 'retry':
        this.retries++;
        return;
      case 'breaker':
        this.breakerTransitions++;
        if (e.state === 'open') this.breakerOpened++;
        this.series.setBreakerState(e.atMs, e.state);
        return;
      case 'rejected':
        bump(this.rejectedBy, e.by);
        return;
      case 'shed':
        bump(this.shedBy, e.by);
        return;
      case 'fallback':
        this.fallbacks++;
        return;
      case 'queue':
        this.series.setQueueDepth(e.atMs, e.depth);
        return;
      case 'limiter':
        this.limiterWait.record(Math.max(0, e.waitMs) * 1000);
        return;
      case 'attempt':
        // Attempts are counted from onAttemptStart, which the runner calls for every attempt.
        return;
    }
  }

  /** The upstream's request bucket for this strategy had `bucketRemainingRequests` left at `atMs`. */
  onUpstreamSample(atMs: number, bucketRemainingRequests: number): void {
    if (this.ended) return;
    this.series.sampleBucketRemaining(atMs, bucketRemainingRequests);
  }

  /**
   * The run stopped at `atMs` (its drain ran out, every request finished, or it was interrupted).
   * Requests still open stay unfinished: what the runner reports after this is ignored.
   */
  end(atMs: number): void {
    if (!this.ended) this.endedMs = atMs;
  }

  private get ended(): boolean {
    return !Number.isNaN(this.endedMs);
  }

  /**
   * Where the run's time ends: at the cut-off when requests were left open (they were waited for until
   * then), otherwise when the last request finished, and never before the duration.
   */
  private elapsedEndMs(): number {
    const durationEnd = this.startMs + this.durationMs;
    // Interrupted before the duration: only the time that ran.
    if (this.ended && this.endedMs < durationEnd) return Math.max(this.startMs, this.endedMs);
    if (this.inFlight.size > 0 && this.ended) return Math.max(durationEnd, this.endedMs);
    return Math.max(durationEnd, this.lastEndMs);
  }

  /** Sizes of everything that could grow; all bounded whatever the request count (for tests and debugging). */
  footprint(): {
    inFlightRequests: number;
    histogramBuckets: number;
    breakdownRows: number;
    attemptKinds: number;
  } {
    const histograms = [
      this.latency,
      this.successLatency,
      this.failureLatency,
      this.uncorrectedLatency,
      this.serviceTime,
      this.limiterWait,
    ];
    return {
      inFlightRequests: this.inFlight.size,
      histogramBuckets: histograms.reduce((n, h) => n + h.allocatedBuckets, 0),
      breakdownRows: this.byUser.size + this.byFeature.size + this.byModel.size,
      attemptKinds: this.attemptKinds.size,
    };
  }

  /** Plain data for result.json; does not change the recorder, so it can be taken more than once. */
  summary(faultWindows: readonly FaultWindow[] = []): StrategySummary {
    const endMs = this.elapsedEndMs();
    const elapsedMs = endMs - this.startMs;
    const series = this.series.toJSON(endMs);
    const completedBySecond = completedPerSecond(series);
    const price = this.pricePer1kTokens;
    return {
      startMs: this.startMs,
      durationMs: this.durationMs,
      elapsedMs,
      requests: {
        offered: this.offered,
        completed: this.completed,
        unfinished: this.inFlight.size,
        inFlightAtEnd: this.inFlight.size,
        lateArrivals: this.lateArrivals,
        maxArrivalLagMs: this.maxArrivalLagMs,
      },
      results: { ...this.results },
      failuresByClass: { ...this.failuresByClass },
      successRate: this.offered === 0 ? null : this.successes / this.offered,
      goodputPerSec: elapsedMs > 0 ? this.successes / (elapsedMs / 1000) : 0,
      amplification: this.offered === 0 ? null : this.attempts / this.offered,
      attempts: {
        total: this.attempts,
        byKind: Object.fromEntries([...this.attemptKinds].sort(([a], [b]) => a.localeCompare(b))),
        abandoned: this.abandoned,
        wastedRetries: this.wastedRetries,
        perRequest: [...this.attemptsPerRequest],
      },
      latencyMs: latencyStats(this.latency),
      successLatencyMs: latencyStats(this.successLatency),
      failureLatencyMs: latencyStats(this.failureLatency),
      uncorrectedLatencyMs: latencyStats(this.uncorrectedLatency),
      serviceTimeMs: latencyStats(this.serviceTime),
      limiterWaitMs: latencyStats(this.limiterWait),
      latencySpectrum: this.successLatency
        .spectrum()
        .map((p) => ({ percentile: p.percentile, ms: usToMs(p.valueUs) })),
      tokens: {
        billed: this.billedTokens,
        abandonedBilled: this.abandonedBilledTokens,
        duplicateBilledAttempts: this.duplicateBilledAttempts,
      },
      cost:
        price === undefined
          ? null
          : {
              pricePer1kTokens: price,
              total: (this.billedTokens / 1000) * price,
              abandoned: (this.abandonedBilledTokens / 1000) * price,
            },
      recovery: recoveryTimes(series, faultWindows, this.recoveryRule),
      recoveryRule: { ...this.recoveryRule },
      events: {
        retries: this.retries,
        fallbacks: this.fallbacks,
        breakerTransitions: this.breakerTransitions,
        breakerOpened: this.breakerOpened,
        rejectedBy: Object.fromEntries(this.rejectedBy),
        shedBy: Object.fromEntries(this.shedBy),
      },
      perSecond: {
        successRate: completedBySecond.map((total, s) => (total === 0 ? null : series.succeeded[s]! / total)),
        amplification: series.offered.map((n, s) => (n === 0 ? null : series.attempted[s]! / n)),
      },
      histograms: {
        latency: this.latency.toJSON(),
        successLatency: this.successLatency.toJSON(),
        serviceTime: this.serviceTime.toJSON(),
      },
      series,
      breakdowns: {
        byUser: this.byUser.toJSON(),
        byFeature: this.byFeature.toJSON(),
        byModel: this.byModel.toJSON(),
      },
    };
  }
}

export function latencyStats(h: Histogram): LatencyStats {
  const ms = (us: number): number | null => (Number.isNaN(us) ? null : usToMs(us));
  return {
    count: h.count,
    min: ms(h.min),
    mean: ms(h.mean),
    p50: ms(h.percentile(50)),
    p90: ms(h.percentile(90)),
    p95: ms(h.percentile(95)),
    p99: ms(h.percentile(99)),
    p999: ms(h.percentile(99.9)),
    max: ms(h.max),
  };
}

/** Whole µs is the histogram's resolution; rounding drops float dust such as 1099.000000000001 ms. */
function usToMs(us: number): number {
  return Math.round(us) / 1000;
}

function zeroRecord<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function bump(counts: Map<string, number>, key: string): void {
  const slot = counts.has(key) || counts.size < MAX_EVENT_KEYS ? key : OTHER_KEY;
  counts.set(slot, (counts.get(slot) ?? 0) + 1);
}
