import { hashUniform } from '../../src/sim/rng.ts';
import {
  type Decision,
  type Endpoint,
  FAULT_KINDS,
  type FaultKind,
  type LatencySpec,
  type ParsedAttempt,
  type RateLimitSnapshot,
  type UpstreamConfig,
} from '../types.ts';
import { answeredAtOnce } from './answered-at-once.ts';
import type { RateLimits } from './buckets.ts';
import type { Capacity } from './capacity.ts';
import { capacityRejection } from './causes/capacity-reject.ts';
import { type CauseInput, UPSTREAM_CAUSES } from './causes/index.ts';
import { type AttemptDraws, DRAW_STREAM } from './draws.ts';
import { FAULT_KIND_TABLE, outcomeRow } from './fault-kinds.ts';
import { sampleLatencyMs, sampleLognormal, streamGapsMs } from './latency.ts';
import type { Effects } from './schedule.ts';

/**
 * One attempt, one decision. The order of evaluation is what users read when they wonder why an attempt
 * failed, so it is fixed and documented here:
 *
 *  (a) `x-squall-fault` header: the forced fault, reason "header x-squall-fault". A stream fault forced on
 *      a non-streaming request does nothing and evaluation continues.
 *  (0) unknown API key → 401 (when `apiKeys` is non-empty); unknown model → 404 (when `models` is
 *      non-empty). A 401 charges nothing (the caller is not known); a 404 charges one request.
 *  (k) states that answer every attempt of a kind for a whole phase, not a draw: an expired API key
 *      (causes/key-state.ts) → 401.
 *  (b) faults from control-API overrides and active schedule phases (none for `x-squall-fault: none`,
 *      which skips injected faults only: (k), (c), (d) still apply): one uniform draw per attempt, walked
 *      over the kinds in FAULT_KINDS order with cumulative probabilities (so their sum is capped at 1);
 *      the kind it lands in fires. Stream kinds are skipped for non-streaming requests.
 *  (c) rate limits: the RPM/TPM buckets, charged prompt + max_tokens up front → 429 (requests or tokens)
 *      or request_too_large.
 *  (d) capacity: the attempt's service time is admitted, queued, or refused → 503 overloaded (or the
 *      status and Retry-After of `capacity.reject`, causes/capacity-reject.ts).
 *  (e) ok: latency (+ queueing), completion length, stream gaps.
 *  (f) every decision, in the order of causes/index.ts: latency per fault kind, a phase's server-chosen
 *      Retry-After, then the network round trip, which every answer takes (rejections and refusals too).
 *
 * Faults come before limits because the faults we inject (edge 502s, resets, refused connections) happen
 * in front of the limiter as well, and a schedule should say the same thing whatever the load. But every
 * faulted attempt that reached the server (all but `refuse`) still charges one request to the RPM bucket,
 * because failed requests count against RPM on the real API; it charges no tokens, as no work was billed.
 * A 503 from capacity comes after the buckets were charged: the limiter had already let it through.
 */

/** Per kind, indexed like FAULT_KINDS (the fault draw's hot loop reads this rather than the row). */
const STREAM_KIND: readonly boolean[] = FAULT_KINDS.map((k) => FAULT_KIND_TABLE[k].streamOnly);

export function isStreamFault(kind: FaultKind): boolean {
  return FAULT_KIND_TABLE[kind].streamOnly;
}

/** Endpoints that generate text (and so have a completion length and, when streaming, token gaps). */
export function generatesText(endpoint: Endpoint): boolean {
  return endpoint === 'chat.completions' || endpoint === 'responses';
}

/** HTTP status a front sends for an outcome; undefined when no response is sent at all. */
export function statusOf(outcome: Decision['outcome']): number | undefined {
  return outcomeRow(outcome).status;
}

/** Everything a decision reads or charges; the model owns it. */
export interface DecideContext {
  readonly config: UpstreamConfig;
  readonly rateLimits: RateLimits;
  readonly capacity: Capacity;
  /** Reseeded per attempt; counter-based, so draws depend on (seed, key) only. */
  readonly draws: AttemptDraws;
  /** `seed + '/faults'`, for hashUniform. */
  readonly faultSeed: string;
  /** Undefined: any model / key is accepted. */
  readonly knownModels: ReadonlySet<string> | undefined;
  readonly knownKeys: ReadonlySet<string> | undefined;
}

interface Work {
  latencyMs: number;
  completionTokens: number;
  tokenGapsMs?: number[];
  serviceMs: number;
}

/**
 * Decides one attempt. `fx` holds what the schedule and overrides put in effect for it; `key` names the
 * attempt for the counter-based draws; `nowMs` is the absolute time used by buckets and capacity.
 */
export function decideAttempt(
  ctx: DecideContext,
  fx: Effects,
  attempt: ParsedAttempt,
  key: string,
  nowMs: number,
): Decision {
  const input: CauseInput = { ctx, fx, attempt, key, nowMs, phases: fx.namesList() };
  const d = decideCore(input);
  // (f)
  for (const shape of SHAPES) shape(d, input);
  return d;
}

const GATES = UPSTREAM_CAUSES.flatMap((c) => (c.gate ? [c.gate] : []));
const SHAPES = UPSTREAM_CAUSES.flatMap((c) => (c.shape ? [c.shape] : []));

function decideCore(input: CauseInput): Decision {
  const { ctx, fx, attempt, key, nowMs, phases } = input;

  // (a)
  const forced = attempt.forcedFault;
  if (forced !== undefined && (attempt.stream || !isStreamFault(forced))) {
    return faultDecision(ctx, fx, attempt, key, nowMs, forced, 'header x-squall-fault', phases);
  }

  // (0)
  if (ctx.knownKeys && !ctx.knownKeys.has(attempt.apiKey)) {
    return answeredAtOnce('401', ctx.rateLimits.snapshot(attempt.apiKey, nowMs), 'unknown api key', phases);
  }
  if (ctx.knownModels && attempt.endpoint !== 'models.list' && !ctx.knownModels.has(attempt.model)) {
    const rateLimit = ctx.rateLimits.charge(attempt.apiKey, nowMs, fx.rateLimits);
    return answeredAtOnce('404', rateLimit, `unknown model "${attempt.model}"`, phases);
  }

  // (k)
  for (const gate of GATES) {
    const d = gate(input);
    if (d !== undefined) return d;
  }

  // (b), skipped for `x-squall-fault: none`
  if (fx.anyFault && !attempt.noFaults) {
    const u = hashUniform(ctx.faultSeed, key);
    let cumulative = 0;
    for (let i = 0; i < FAULT_KINDS.length; i++) {
      if (STREAM_KIND[i] && !attempt.stream) continue;
      const p = fx.probability(i);
      if (p <= 0) continue;
      cumulative += p;
      if (u < cumulative) {
        const kind = FAULT_KINDS[i]!;
        return faultDecision(ctx, fx, attempt, key, nowMs, kind, faultReason(fx, i, kind), phases);
      }
    }
  }

  // (c)
  const requestedTokens = attempt.promptTokens + (generatesText(attempt.endpoint) ? attempt.maxTokens : 0);
  const limited = ctx.rateLimits.check(attempt.apiKey, requestedTokens, nowMs, fx.rateLimits);
  if (limited.outcome !== 'ok') {
    const d: Decision = {
      outcome: limited.outcome === 'too_large' ? 'request_too_large' : '429',
      limitedBy: limited.outcome === 'requests' ? 'requests' : 'tokens',
      latencyMs: 0,
      queueMs: 0,
      completionTokens: 0,
      rateLimit: limited.snapshot,
      reason: limitReason(limited.outcome, limited.limit),
      phases,
    };
    if (limited.retryAfterMs !== undefined) d.retryAfterMs = limited.retryAfterMs;
    if (limited.limit) d.limit = limited.limit;
    return d;
  }

  // (d)
  const work = sampleWork(ctx, fx, attempt, key);
  const admission = ctx.capacity.admit(nowMs, work.serviceMs, fx.maxConcurrent);
  if (!admission.admitted) return capacityRejection(input, limited.snapshot, admission.inFlight);

  // (e)
  const d: Decision = {
    outcome: 'ok',
    latencyMs: work.latencyMs + admission.queueMs,
    queueMs: admission.queueMs,
    completionTokens: work.completionTokens,
    rateLimit: limited.snapshot,
    reason: admission.queueMs > 0 ? `ok (queued ${Math.round(admission.queueMs)}ms)` : 'ok',
    phases,
  };
  if (work.tokenGapsMs) d.tokenGapsMs = work.tokenGapsMs;
  return d;
}

function faultDecision(
  ctx: DecideContext,
  fx: Effects,
  attempt: ParsedAttempt,
  key: string,
  nowMs: number,
  kind: FaultKind,
  reason: string,
  phases: string[],
): Decision {
  const rateLimit: RateLimitSnapshot =
    kind === 'refuse'
      ? ctx.rateLimits.snapshot(attempt.apiKey, nowMs)
      : ctx.rateLimits.charge(attempt.apiKey, nowMs, fx.rateLimits);
  const d: Decision = {
    outcome: kind,
    latencyMs: 0,
    queueMs: 0,
    completionTokens: 0,
    rateLimit,
    reason,
    phases,
  };
  const row = FAULT_KIND_TABLE[kind];
  if (row.answer === 'processed' || row.answer === 'body') {
    if (row.answer === 'body') {
      const work = sampleWork(ctx, fx, attempt, key);
      d.latencyMs = work.latencyMs;
      d.completionTokens = work.completionTokens;
      if (work.tokenGapsMs) d.tokenGapsMs = work.tokenGapsMs;
    } else {
      d.latencyMs = sampleLatencyMs(
        latencySpec(ctx, fx, attempt),
        ctx.draws.reseed(key, DRAW_STREAM.latency),
      );
    }
  }
  if (row.hangs) d.hangMs = ctx.config.maxHangMs;
  return d;
}

function latencySpec(ctx: DecideContext, fx: Effects, attempt: ParsedAttempt): LatencySpec {
  return fx.latency ?? (attempt.stream ? ctx.config.stream.ttft : ctx.config.latency);
}

/** Latency, completion length and stream gaps, each from its own sub-stream of the attempt's draws. */
function sampleWork(ctx: DecideContext, fx: Effects, attempt: ParsedAttempt, key: string): Work {
  const latencyMs = sampleLatencyMs(
    latencySpec(ctx, fx, attempt),
    ctx.draws.reseed(key, DRAW_STREAM.latency),
  );
  if (!generatesText(attempt.endpoint)) return { latencyMs, completionTokens: 0, serviceMs: latencyMs };
  const { medianTokens, p99Tokens } = ctx.config.completionTokens;
  const drawn = Math.round(
    sampleLognormal(medianTokens, p99Tokens, ctx.draws.reseed(key, DRAW_STREAM.tokens)),
  );
  const completionTokens = Math.min(Math.max(1, drawn), Math.max(1, attempt.maxTokens));
  if (!attempt.stream) return { latencyMs, completionTokens, serviceMs: latencyMs };
  const tokenGapsMs = streamGapsMs(
    ctx.config.stream,
    completionTokens,
    ctx.draws.reseed(key, DRAW_STREAM.gaps),
  );
  let serviceMs = latencyMs;
  for (const g of tokenGapsMs) serviceMs += g;
  return { latencyMs, completionTokens, tokenGapsMs, serviceMs };
}

/** Names the sources that gave this fault kind, e.g. `fault 500 (p=0.3) from phase "outage"`. */
function faultReason(fx: Effects, i: number, kind: FaultKind): string {
  const from: string[] = [];
  for (let s = 0; s < fx.faultCount; s++) {
    const p = fx.faultProbs[s]![i]! * fx.faultFactors[s]!;
    if (p > 0) from.push(`"${fx.faultNames[s]}"`);
  }
  return `fault ${kind} (p=${round3(fx.probability(i))}) from ${from.join(', ')}`;
}

function limitReason(
  outcome: 'requests' | 'tokens' | 'too_large',
  limit: { limit: number; used: number; requested: number } | undefined,
): string {
  const l = limit ?? { limit: 0, used: 0, requested: 0 };
  switch (outcome) {
    case 'requests':
      return `rate limit: requests per min (RPM): limit ${l.limit}, used ${l.used}`;
    case 'tokens':
      return `rate limit: tokens per min (TPM): limit ${l.limit}, used ${l.used}, requested ${l.requested}`;
    case 'too_large':
      return `request too large: ${l.requested} tokens > TPM limit ${l.limit}`;
  }
}

function round3(p: number): number {
  return Number(p.toPrecision(3));
}
