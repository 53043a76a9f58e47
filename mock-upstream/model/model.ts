import { Rng } from '../../src/sim/rng.ts';
import type { SharedBuckets } from '../shared/ops.ts';
import { BucketProbe, PrepaidLimits, ProbeLimits } from '../shared/prepaid.ts';
import type {
  Decision,
  FaultKind,
  LatencySpec,
  ParsedAttempt,
  RateLimitSnapshot,
  Scope,
  UpstreamConfig,
} from '../types.ts';
import { RateLimits } from './buckets.ts';
import { Capacity } from './capacity.ts';
import { networkMsOf } from './causes/network-rtt.ts';
import { AttemptCounters } from './counters.ts';
import { type DecideContext, decideAttempt, statusOf } from './decide.ts';
import { AttemptDraws } from './draws.ts';
import { Journal, maskApiKey } from './journal.ts';
import {
  type ActivePhase,
  type CompiledScope,
  compileScope,
  Effects,
  faultVector,
  matchesScope,
  type PhaseSummary,
  Schedule,
} from './schedule.ts';
import {
  checkFaultLatency,
  checkFaults,
  checkLatency,
  checkNonNegative,
  checkPositive,
  checkRateLimits,
  checkScope,
  invalid,
} from './validate.ts';

/** Temporary overrides alive at once (control API); a limit on everything. */
export const MAX_OVERRIDES = 1000;
/** Masked keys remembered, so the journal does not re-mask the same key on every attempt. */
const MASK_CACHE_SIZE = 10_000;
/** Keys whose last shared-bucket snapshot is kept for /__squall/state (shared mode). */
const SEEN_KEYS_SIZE = 10_000;

export interface OverrideInput {
  faults: Partial<Record<FaultKind, number>>;
  ttlMs: number;
  scope?: Scope;
  latency?: LatencySpec;
}

interface ActiveOverride {
  id: string;
  name: string;
  faults: Partial<Record<FaultKind, number>>;
  probs: Float64Array;
  scope?: Scope;
  scopeSets: CompiledScope | undefined;
  latency?: LatencySpec;
  createdAtMs: number;
  expiresAtMs: number;
}

export interface OverrideState {
  id: string;
  faults: Partial<Record<FaultKind, number>>;
  scope?: Scope;
  latency?: LatencySpec;
  expiresAtMs: number;
  remainingMs: number;
}

export interface UpstreamState {
  seed: string;
  /** Absolute time the schedule counts from; undefined until the first call when not given. */
  startMs: number | undefined;
  /** Time on the schedule (ms since startMs). */
  elapsedMs: number;
  config: {
    models: string[];
    apiKeys: number;
    rateLimits: UpstreamConfig['rateLimits'];
    rateLimitsByKey: number;
    capacity: UpstreamConfig['capacity'];
    latency: LatencySpec;
    stream: UpstreamConfig['stream'];
    maxHangMs: number;
    phases: number;
    incidents: number;
    journalSize: number;
  };
  activePhases: ActivePhase[];
  overrides: OverrideState[];
  rateLimits: Array<{
    apiKey: string;
    requests: number;
    tokens: number;
    limitRequests: number;
    limitTokens: number;
  }>;
  inFlight: number;
  attempts: number;
  journalTotal: number;
}

/**
 * The mock upstream's brain: given a parsed attempt and the time, it decides what the upstream does and
 * why (see decide.ts for the order of evaluation). Pure logic: no I/O, no clock of its own; the fronts
 * (HTTP, msw, in-process) pass `nowMs`.
 *
 * Time: schedule times are relative to the model's start. Pass `startMs` to fix it (a server should pass
 * its start time); otherwise the first `nowMs` seen by decide/override/state becomes the start.
 *
 * Randomness: every draw for an attempt is counter-based on (seed, key), key = `attempt.attemptKey` or
 * `'#' + n` where n counts decide() calls since construction or reset(). So the same seed and the same
 * attempt sequence give the same decisions whatever front asked, and an attempt key makes a decision
 * independent of what came before it. Faults use `hashUniform(seed + '/faults', key)`; latency,
 * completion length and stream gaps use separate sub-streams of `AttemptDraws(seed + '/latency')`.
 */
export class UpstreamModel {
  readonly config: UpstreamConfig;
  readonly schedule: Schedule;
  readonly journal: Journal;
  /** Attempts by endpoint and outcome since construction (monotonic, like Prometheus counters; reset() keeps them). */
  readonly counters = new AttemptCounters();
  private readonly rateLimits: RateLimits;
  private readonly capacity: Capacity;
  private readonly ctx: DecideContext;
  private readonly fx = new Effects();
  private overrides: ActiveOverride[] = [];
  private nextOverrideId = 1;
  private sequence = 0;
  private start: number | undefined;
  private readonly masks = new Map<string, string>();
  private lastMasked = { apiKey: '', mask: '***' };
  /** Shared mode: the decision logic runs over these (see shared/prepaid.ts). */
  private readonly probeCtx: DecideContext;
  private readonly prepaid = new PrepaidLimits();
  private readonly prepaidCtx: DecideContext;
  /** Shared mode: the last snapshot this process saw per key, since the buckets live elsewhere. */
  private readonly seen = new Map<string, RateLimitSnapshot>();

  constructor(config: UpstreamConfig, options: { startMs?: number } = {}) {
    validateConfig(config);
    this.config = config;
    this.start = options.startMs;
    this.schedule = new Schedule(config.phases, config.incidents, new Rng(config.seed).fork('schedule'));
    this.journal = new Journal(config.journalSize);
    this.rateLimits = new RateLimits(config.rateLimits, config.rateLimitsByKey ?? {});
    this.capacity = new Capacity(config.capacity);
    this.ctx = {
      config,
      rateLimits: this.rateLimits,
      capacity: this.capacity,
      draws: new AttemptDraws(`${config.seed}/latency`),
      faultSeed: `${config.seed}/faults`,
      knownModels: config.models.length > 0 ? new Set(config.models) : undefined,
      knownKeys: config.apiKeys.length > 0 ? new Set(config.apiKeys) : undefined,
    };
    this.probeCtx = { ...this.ctx, rateLimits: new ProbeLimits() };
    this.prepaidCtx = { ...this.ctx, rateLimits: this.prepaid };
  }

  /** Absolute time the schedule counts from (undefined until fixed by options or the first call). */
  get startMs(): number | undefined {
    return this.start;
  }

  /**
   * Decides one attempt at `nowMs` and records it in the journal and counters. `requestId` (the
   * `x-request-id` the front will send) is only used for the journal; without it the entry gets the
   * attempt key.
   */
  decide(attempt: ParsedAttempt, nowMs: number, requestId?: string): Decision {
    const tMs = nowMs - this.startAt(nowMs);
    const key = attempt.attemptKey ?? `#${this.sequence}`;
    this.sequence++;
    const fx = this.fx;
    fx.clear();
    this.schedule.collect(tMs, attempt, fx);
    if (this.overrides.length > 0) this.applyOverrides(nowMs, attempt);
    const d = decideAttempt(this.ctx, fx, attempt, key, nowMs);
    this.counters.add(attempt.endpoint, d.outcome);
    if (this.journal.capacity > 0) this.record(attempt, nowMs, requestId ?? key, d);
    return d;
  }

  /**
   * `decide` with the rate-limit buckets in a shared store (Redis, or the primary of `--workers N`), so
   * several processes enforce one limit. The decision is the one `decide` makes when its own buckets are
   * in the store's state: same order of evaluation, same draws (the attempt's key is fixed before the
   * wait). Only the bucket operation is async; the schedule and faults are evaluated at `nowMs`.
   */
  async decideShared(
    attempt: ParsedAttempt,
    nowMs: number,
    buckets: SharedBuckets,
    requestId?: string,
  ): Promise<Decision> {
    const tMs = nowMs - this.startAt(nowMs);
    const key = attempt.attemptKey ?? `#${this.sequence}`;
    this.sequence++;
    this.collect(tMs, nowMs, attempt);
    let op: BucketProbe['op'];
    try {
      decideAttempt(this.probeCtx, this.fx, attempt, key, nowMs);
      throw new Error('UpstreamModel: a decision made no bucket call (decide.ts changed?)');
    } catch (e) {
      if (!(e instanceof BucketProbe)) throw e;
      op = e.op;
    }
    const result = await buckets.apply(op);
    // Other attempts used the shared Effects while this one waited: collect again (same inputs, same result).
    this.collect(tMs, nowMs, attempt);
    this.prepaid.result = result;
    const d = decideAttempt(this.prepaidCtx, this.fx, attempt, key, nowMs);
    this.remember(attempt.apiKey, d.rateLimit);
    this.counters.add(attempt.endpoint, d.outcome);
    if (this.journal.capacity > 0) this.record(attempt, nowMs, requestId ?? key, d);
    return d;
  }

  /**
   * The network round trip of an answer the model did not decide (routing, auth and body errors, which a
   * front answers itself), drawn like a decision's (causes/network-rtt.ts) under `key` (its request id).
   */
  networkMs(key: string): number {
    return networkMsOf(this.ctx, key);
  }

  /** A temporary fault mix (control API) that applies on top of the schedule and reverts by itself after ttlMs. */
  override(o: OverrideInput, nowMs: number): { id: string; expiresAtMs: number } {
    this.startAt(nowMs);
    const id = `o${this.nextOverrideId}`;
    const where = `override ${id}`;
    checkFaults(where, o.faults);
    checkPositive(where, 'ttlMs', o.ttlMs, 'how long the override lasts, e.g. 30000');
    checkScope(where, o.scope);
    checkLatency(where, o.latency);
    this.pruneOverrides(nowMs);
    if (this.overrides.length >= MAX_OVERRIDES) {
      throw invalid(
        where,
        'ttlMs',
        `would exceed ${MAX_OVERRIDES} overrides alive at once`,
        'clear overrides first',
      );
    }
    this.nextOverrideId++;
    const expiresAtMs = nowMs + o.ttlMs;
    const active: ActiveOverride = {
      id,
      name: `override ${id}`,
      faults: { ...o.faults },
      probs: faultVector(o.faults),
      scopeSets: compileScope(o.scope),
      createdAtMs: nowMs,
      expiresAtMs,
    };
    if (o.scope) active.scope = o.scope;
    if (o.latency) active.latency = o.latency;
    this.overrides.push(active);
    return { id, expiresAtMs };
  }

  clearOverrides(): void {
    this.overrides = [];
  }

  /** Back to a fresh upstream at `nowMs`: buckets, capacity, overrides, journal and sequence; the schedule restarts. */
  reset(nowMs: number): void {
    this.rateLimits.reset();
    this.capacity.reset();
    this.clearOverrides();
    this.journal.clear();
    this.seen.clear();
    this.sequence = 0;
    this.start = nowMs;
  }

  /** Plain data for /__squall/state. */
  state(nowMs: number): UpstreamState {
    const startMs = this.startAt(nowMs);
    const tMs = nowMs - startMs;
    this.pruneOverrides(nowMs);
    const c = this.config;
    return {
      seed: c.seed,
      startMs,
      elapsedMs: tMs,
      config: {
        models: [...c.models],
        apiKeys: c.apiKeys.length,
        rateLimits: c.rateLimits,
        rateLimitsByKey: Object.keys(c.rateLimitsByKey ?? {}).length,
        capacity: c.capacity,
        latency: c.latency,
        stream: c.stream,
        maxHangMs: c.maxHangMs,
        phases: c.phases.length,
        incidents: c.incidents.length,
        journalSize: c.journalSize,
      },
      activePhases: this.schedule.activeAt(tMs),
      overrides: this.overrides.map((o) => {
        const s: OverrideState = {
          id: o.id,
          faults: o.faults,
          expiresAtMs: o.expiresAtMs,
          remainingMs: o.expiresAtMs - nowMs,
        };
        if (o.scope) s.scope = o.scope;
        if (o.latency) s.latency = o.latency;
        return s;
      }),
      rateLimits: this.rateLimitLevels(nowMs),
      inFlight: this.capacity.inFlight(nowMs),
      attempts: this.counters.total,
      journalTotal: this.journal.total,
    };
  }

  /** Every phase, incidents expanded (for reports). */
  phasesList(): PhaseSummary[] {
    return this.schedule.phasesList();
  }

  /** Attempts served or queued at `nowMs`. */
  inFlight(nowMs: number): number {
    return this.capacity.inFlight(nowMs);
  }

  /** Remaining requests/tokens per key (keys masked), for metrics. */
  rateLimitLevels(nowMs: number): UpstreamState['rateLimits'] {
    const local = this.rateLimits.levels(nowMs).map((l) => ({ ...l, apiKey: this.mask(l.apiKey) }));
    if (this.seen.size === 0) return local;
    // Shared mode: as last seen by this process (other processes may have charged since).
    const shared = [...this.seen].map(([apiKey, s]) => ({
      apiKey: this.mask(apiKey),
      requests: s.remainingRequests,
      tokens: s.remainingTokens,
      limitRequests: s.limitRequests,
      limitTokens: s.limitTokens,
    }));
    return [...local, ...shared];
  }

  /** Phases active at `nowMs` (scopes not applied) plus live overrides. */
  activeCount(nowMs: number): { phases: number; overrides: number } {
    const tMs = nowMs - this.startAt(nowMs);
    this.pruneOverrides(nowMs);
    return { phases: this.schedule.activeAt(tMs).length, overrides: this.overrides.length };
  }

  /** Fixes the schedule start at nowMs unless already fixed (a server calls this when it starts listening). */
  startAt(nowMs: number): number {
    if (this.start === undefined) this.start = nowMs;
    return this.start;
  }

  private collect(tMs: number, nowMs: number, attempt: ParsedAttempt): void {
    this.fx.clear();
    this.schedule.collect(tMs, attempt, this.fx);
    if (this.overrides.length > 0) this.applyOverrides(nowMs, attempt);
  }

  private remember(apiKey: string, snapshot: RateLimitSnapshot): void {
    if (this.seen.size >= SEEN_KEYS_SIZE && !this.seen.has(apiKey)) this.seen.clear();
    this.seen.set(apiKey, snapshot);
  }

  private applyOverrides(nowMs: number, attempt: ParsedAttempt): void {
    this.pruneOverrides(nowMs);
    for (const o of this.overrides) {
      if (!matchesScope(o.scopeSets, attempt)) continue;
      // +Infinity start: an override's latency beats any phase's; among overrides the latest wins.
      this.fx.add(o.name, Number.POSITIVE_INFINITY, o.probs, 1, o.latency ? { latency: o.latency } : {});
    }
  }

  private pruneOverrides(nowMs: number): void {
    if (this.overrides.some((o) => o.expiresAtMs <= nowMs)) {
      this.overrides = this.overrides.filter((o) => o.expiresAtMs > nowMs);
    }
  }

  private record(attempt: ParsedAttempt, nowMs: number, requestId: string, d: Decision): void {
    this.journal.record(
      nowMs,
      requestId,
      this.mask(attempt.apiKey),
      attempt.model,
      attempt.endpoint,
      attempt.promptTokens,
      attempt.maxTokens,
      attempt.stream,
      attempt.retryCount,
      d.outcome,
      statusOf(d.outcome),
      d.reason,
      d.phases,
      d.latencyMs,
      attempt.squallRequestId,
    );
  }

  private mask(apiKey: string): string {
    // Clients send one key over and over: the last one is answered without a map lookup.
    if (apiKey === this.lastMasked.apiKey) return this.lastMasked.mask;
    let m = this.masks.get(apiKey);
    if (m === undefined) {
      m = maskApiKey(apiKey);
      if (this.masks.size >= MASK_CACHE_SIZE) this.masks.clear();
      this.masks.set(apiKey, m);
    }
    this.lastMasked = { apiKey, mask: m };
    return m;
  }
}

function validateConfig(c: UpstreamConfig): void {
  const where = 'upstream';
  if (typeof c.seed !== 'string' || c.seed.length === 0) {
    throw invalid(
      where,
      'seed',
      'must be a non-empty string',
      'any string, e.g. "42"; it is printed in every report',
    );
  }
  checkPositive(where, 'rateLimits.requestsPerMin', c.rateLimits.requestsPerMin, 'e.g. 500');
  checkPositive(where, 'rateLimits.tokensPerMin', c.rateLimits.tokensPerMin, 'e.g. 200000');
  for (const [key, limits] of Object.entries(c.rateLimitsByKey ?? {})) {
    checkRateLimits(`${where} rateLimitsByKey["${maskApiKey(key)}"]`, limits);
  }
  if (c.rateLimits.quantumMs !== undefined) {
    checkPositive(where, 'rateLimits.quantumMs', c.rateLimits.quantumMs, 'e.g. 1000 (per second)');
  }
  checkLatency(where, c.latency);
  checkLatency(where, c.stream.ttft, 'stream.ttft');
  checkLatency(where, c.networkRtt, 'networkRtt');
  checkFaultLatency(where, c.faultLatency);
  const reject = c.capacity.reject;
  if (reject !== undefined) {
    if (![503, 429, 409].includes(reject.status)) {
      throw invalid(
        where,
        'capacity.reject.status',
        `must be 503, 429 or 409, got ${String(reject.status)}`,
        'e.g. 503',
      );
    }
    checkLatency(where, reject.retryAfter, 'capacity.reject.retryAfter');
  }
  checkPositive(where, 'stream.tokensPerSec', c.stream.tokensPerSec, 'e.g. 50');
  if (!(c.stream.jitter >= 0 && c.stream.jitter <= 1)) {
    throw invalid(
      where,
      'stream.jitter',
      `must be in [0, 1], got ${c.stream.jitter}`,
      '0.2 means ±20% per gap',
    );
  }
  checkPositive(where, 'completionTokens.medianTokens', c.completionTokens.medianTokens, 'e.g. 200');
  if (!(c.completionTokens.p99Tokens >= c.completionTokens.medianTokens)) {
    throw invalid(
      where,
      'completionTokens.p99Tokens',
      'must be ≥ medianTokens',
      'p99 is the long tail, e.g. 1200',
    );
  }
  if (!(Number.isInteger(c.capacity.maxConcurrent) && c.capacity.maxConcurrent > 0)) {
    throw invalid(
      where,
      'capacity.maxConcurrent',
      `must be a whole number > 0, got ${c.capacity.maxConcurrent}`,
      'e.g. 64',
    );
  }
  if (!(Number.isInteger(c.capacity.maxQueue) && c.capacity.maxQueue >= 0)) {
    throw invalid(
      where,
      'capacity.maxQueue',
      `must be a whole number ≥ 0, got ${c.capacity.maxQueue}`,
      'e.g. 256',
    );
  }
  checkNonNegative(where, 'maxHangMs', c.maxHangMs, 'upper bound on any hang, e.g. 600000');
  checkNonNegative(where, 'journalSize', c.journalSize, 'e.g. 1000');
}
