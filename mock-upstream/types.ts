/**
 * The contracts between the parts of the mock upstream: config (what a scenario says), the parsed attempt
 * (what a front hands the model), the decision (what the model chose and why) and the reply (what a front
 * must do on the wire). All plain data.
 */

/** Which API surface an attempt hit. */
export type Endpoint = 'chat.completions' | 'embeddings' | 'responses' | 'models.list' | 'models.retrieve';

import type { FaultKind } from './model/fault-kinds.ts';

/**
 * Fault kinds, spelled as users write them in schedules and in the `x-squall-fault` header: one row each
 * in model/fault-kinds.ts. A stream fault drawn for a non-streaming request does nothing.
 */
export { FAULT_KINDS, type FaultKind } from './model/fault-kinds.ts';

/** Latency of a whole (non-streaming) answer, or of the time to first token for streams. */
export type LatencySpec =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'lognormal'; medianMs: number; p99Ms: number; maxMs?: number };

export interface StreamTiming {
  /** Time to first token. */
  ttft: LatencySpec;
  tokensPerSec: number;
  /** Relative jitter on each inter-token gap, 0..1 (0.2 = ±20%). */
  jitter: number;
}

/** Which attempts a phase applies to; an absent field matches everything. */
export interface Scope {
  models?: string[];
  endpoints?: Endpoint[];
  apiKeys?: string[];
}

export interface RateLimitConfig {
  requestsPerMin: number;
  tokensPerMin: number;
  /**
   * Enforcement period (model/causes/quantum.ts): a bucket holds at most limit × quantumMs / 1 min, so a
   * burst that fits the minute but not the quantum is refused. Absent: the whole minute (no quantum).
   */
  quantumMs?: number;
}

/** Latency per fault kind (model/causes/fault-latency.ts): how long the upstream takes to fail that way. */
export type FaultLatency = Partial<Record<FaultKind, LatencySpec>>;

/** A window of the timeline with its own fault mix. Times are ms from the upstream's start. */
export interface PhaseConfig {
  name?: string;
  startMs: number;
  endMs: number;
  /** Probability per attempt of each fault kind, 0..1. Their sum is capped at 1. */
  faults?: Partial<Record<FaultKind, number>>;
  latency?: LatencySpec;
  /** Overrides the default limits while the phase is active. */
  rateLimits?: Partial<RateLimitConfig>;
  /** Capacity override while active (e.g. a partial capacity loss). */
  maxConcurrent?: number;
  scope?: Scope;
  /** Linear ramp of the fault probabilities from 0 at start to full over rampUpMs, and back to 0 over rampDownMs before end. */
  rampUpMs?: number;
  rampDownMs?: number;
  /** Flapping: the phase alternates on for onMs, off for offMs, starting on. */
  flap?: { onMs: number; offMs: number };
  /** Latency per fault kind while active, over the upstream's `faultLatency`. */
  faultLatency?: FaultLatency;
  /** Server-chosen Retry-After on this phase's retryable error answers (model/causes/retry-after.ts). */
  retryAfter?: LatencySpec;
  /** API keys that are expired for the whole phase: every attempt with one is a 401 (model/causes/key-state.ts). */
  expiredKeys?: string[];
}

/** Random incidents from a seeded process: exponential gaps (mean mtbfMs) and durations (mean mttrMs). */
export interface IncidentProcessConfig {
  name?: string;
  mtbfMs: number;
  mttrMs: number;
  /** Incidents are generated in [0, horizonMs). */
  horizonMs: number;
  faults: Partial<Record<FaultKind, number>>;
  latency?: LatencySpec;
  scope?: Scope;
}

export interface CapacityConfig {
  /** Attempts served at once without queueing. */
  maxConcurrent: number;
  /** Attempts waiting beyond that; more than this and the upstream rejects (503 overloaded by default). */
  maxQueue: number;
  /** What an attempt refused for capacity gets (model/causes/capacity-reject.ts). Absent: a 503, no Retry-After. */
  reject?: CapacityReject;
}

export interface CapacityReject {
  status: 503 | 429 | 409;
  /** Server-chosen Retry-After on the rejection. */
  retryAfter?: LatencySpec;
}

export interface UpstreamConfig {
  seed: string;
  /** Known models; anything else is a 404 model_not_found. */
  models: string[];
  /** API keys accepted; empty means any `Bearer` token is accepted. */
  apiKeys: string[];
  rateLimits: RateLimitConfig;
  /** Limits per API key that differ from the default. */
  rateLimitsByKey?: Record<string, Partial<RateLimitConfig>>;
  /** Charged on TPM when a request sets no max_tokens. */
  defaultMaxTokens: number;
  tokenCounter: 'estimate' | 'tokenizer';
  latency: LatencySpec;
  stream: StreamTiming;
  /** Length of synthetic completions, in tokens (clipped to max_tokens). */
  completionTokens: { medianTokens: number; p99Tokens: number };
  capacity: CapacityConfig;
  /**
   * Network round trip added to every answer, rejections and refusals included (model/causes/network-rtt.ts).
   * Absent: none (scenario files get a default, see DEFAULT_UPSTREAM).
   */
  networkRtt?: LatencySpec;
  /** Latency per fault kind (model/causes/fault-latency.ts); absent kinds keep their row's default. */
  faultLatency?: FaultLatency;
  phases: PhaseConfig[];
  incidents: IncidentProcessConfig[];
  /** Upper bound on any hang (timeout fault, stream stall), so nothing leaks. */
  maxHangMs: number;
  /** Stream fault parameters. */
  streamFaults: { cutAfterChunks: number; stallAfterChunks: number; keepAliveEveryMs: number };
  /** Largest request body accepted (413 beyond). */
  maxBodyBytes: number;
  /** Journal entries kept (a ring buffer). */
  journalSize: number;
  /** Whether responses carry x-ratelimit-* headers at all (some orgs see none). */
  rateLimitHeaders: boolean;
}

/**
 * The request headers the upstream reads. A front may pass just these: the HTTP front does, since
 * building node's whole `req.headers` object costs a measurable share of a request.
 */
export const UPSTREAM_REQUEST_HEADERS = [
  'authorization',
  'x-squall-fault',
  'x-squall-attempt-key',
  'x-squall-request-id',
  'x-stainless-retry-count',
] as const;

/** A request as a front received it, before any parsing. Header names are lower-case. */
export interface RawAttempt {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  bodyText: string;
}

/** What the wire layer extracted from a valid request. */
export interface ParsedAttempt {
  endpoint: Endpoint;
  apiKey: string;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  promptTokens: number;
  /** max_tokens / max_completion_tokens / max_output_tokens, or the configured default. */
  maxTokens: number;
  /** Embedding inputs count (1 for other endpoints). */
  inputCount: number;
  /** The SDK's `x-stainless-retry-count`, when present. */
  retryCount?: number;
  /** Optional key for counter-based draws (`x-squall-attempt-key`), so decisions do not depend on order. */
  attemptKey?: string;
  /**
   * `x-squall-request-id`: the logical request a service under test was serving when it made this attempt
   * (it forwards the header squall sent it), so attempts join to logical requests (src/target/).
   */
  squallRequestId?: string;
  /** `x-squall-fault` override. */
  forcedFault?: FaultKind;
  /**
   * `x-squall-fault: none`: no injected fault for this attempt (no schedule phase, incident or control-API
   * override fires). What is not injected still applies: rate limits, capacity, key state, latency.
   */
  noFaults?: boolean;
}

export interface RateLimitSnapshot {
  limitRequests: number;
  remainingRequests: number;
  resetRequestsMs: number;
  limitTokens: number;
  remainingTokens: number;
  resetTokensMs: number;
}

/** What the model decided for one attempt, and why. */
export interface Decision {
  /** 'ok' or the fault that fires. Rate limiting and overload show up as '429' / '503' with a reason. */
  outcome: 'ok' | FaultKind;
  /** For rate-limit 429s: which bucket ran dry. */
  limitedBy?: 'requests' | 'tokens';
  /** For 429s from the limiter: the wait after which the request would fit. */
  retryAfterMs?: number;
  /** Tokens used/limit/requested for the 429 message. */
  limit?: { limit: number; used: number; requested: number };
  /** Time before the answer starts (processing + queueing), ms. */
  latencyMs: number;
  /** Extra queueing delay from the capacity model, included in latencyMs. */
  queueMs: number;
  /** For streams: inter-token gaps, ms. */
  tokenGapsMs?: number[];
  /** Completion length in tokens. */
  completionTokens: number;
  /** How long a hang lasts before the server gives up (bounded by maxHangMs). */
  hangMs?: number;
  rateLimit: RateLimitSnapshot;
  /** Network round trip added before the answer reaches the client (model/causes/network-rtt.ts), ms. */
  networkMs?: number;
  /** Human-readable: which phase, rule or limit decided this. */
  reason: string;
  /** Phase names active for this attempt. */
  phases: string[];
}

/** One piece of a body, written `delayMs` after the previous one. */
export interface BodyPart {
  delayMs: number;
  data: string;
  /** `data`'s UTF-8 length when the builder knows it (an all-ASCII body): spares a front a pass over it. */
  bytes?: number;
}

/** What a front must do on the wire. */
export type Reply =
  | {
      kind: 'response';
      status: number;
      headers: Record<string, string>;
      /** Wait before status and headers go out. */
      headerDelayMs: number;
      parts: BodyPart[];
      /** After the last part: finish, destroy the connection, or hold it open then destroy. */
      end: { kind: 'end' } | { kind: 'destroy' } | { kind: 'hang'; ms: number };
      /**
       * Skeleton replies only (the simulator's direct transport): the API error the body carries, so the
       * client side need not parse it back. Fronts ignore it.
       */
      error?: { type: string; code: string | null; message: string };
      /** Skeleton replies only: the tokens a whole, non-streamed success bills (its body says the same). */
      usageTokens?: number;
    }
  /** Destroy the connection without a response, after a delay. */
  | { kind: 'reset'; delayMs: number }
  /**
   * Refuse the connection after `delayMs` (the round trip of the refused handshake). Live mode: the HTTP
   * front destroys the accepted socket after the delay; a listener closed for a refuse window refuses at
   * once (the kernel answers, so no delay can be added there).
   */
  | { kind: 'refuse'; delayMs: number }
  /** Accept and never answer; the server destroys the connection after `ms`. */
  | { kind: 'hang'; ms: number };
