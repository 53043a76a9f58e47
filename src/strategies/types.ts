import type { Clock } from '../sim/clock.ts';
import type { Rng } from '../sim/rng.ts';

/**
 * The boundary between strategies and everything else.
 *
 * A *logical request* is what the user's code asked for; an *attempt* is one HTTP exchange with the
 * upstream. Strategies turn one logical request into zero or more attempts. They never touch metrics:
 * they emit typed events, and the runner records them.
 */

/** What the user's code asked for (one element of the traffic trace). */
export interface LogicalRequest {
  id: string;
  /** Intended arrival time (clock ms). */
  arrivalMs: number;
  endpoint: 'chat.completions' | 'embeddings' | 'responses';
  model: string;
  /** Approximate prompt size in tokens; the request body is built to match it. */
  promptTokens: number;
  maxTokens: number;
  stream: boolean;
  apiKey: string;
  user?: string;
  feature?: string;
}

/** What one attempt produced, classified by transport but not yet by policy. */
export type AttemptOutcome =
  | {
      kind: 'response';
      status: number;
      headers: Record<string, string>;
      /** From the OpenAI error envelope, when the body had one. */
      errorType?: string | null;
      errorCode?: string | null;
      errorMessage?: string;
      /** For successes: tokens billed (prompt + completion). */
      usageTokens?: number;
      /** Which model answered (fallback chains change it). */
      model: string;
    }
  | {
      kind: 'network';
      /** reset: connection dropped; refused: nothing listening; timeout: our own attempt timeout fired;
       *  stream: the SSE stream broke (cut, malformed, mid-stream error); dns: name resolution failed. */
      error: 'reset' | 'refused' | 'timeout' | 'stream' | 'dns';
      message: string;
      model: string;
    };

export type ErrorClass = 'success' | 'transient' | 'client' | 'network';

/** Every way a logical request can end, in report order (the one list: reports and checks read it). */
export const LOGICAL_RESULTS = [
  'success',
  'failed_transient',
  'failed_client',
  'failed_network',
  'breaker_open',
  'shed',
  'deadline_exceeded',
  'fallback_exhausted',
  'strategy_error',
  // The calling application decided these, not the strategy (src/client/): no worker, its own deadline.
  'client_saturated',
  'client_timeout',
] as const;
export type LogicalResultKind = (typeof LOGICAL_RESULTS)[number];

/** Final outcome of a logical request. */
export interface LogicalOutcome {
  ok: boolean;
  /** Outcome class for reports. */
  result: LogicalResultKind;
  /** Last attempt's outcome, if any attempt was made. */
  last?: AttemptOutcome;
  /** Attempts this logical request caused. */
  attempts: number;
  /** The model that finally answered. */
  model?: string;
}

/** Options for one attempt. */
export interface AttemptOptions {
  model: string;
  /** The attempt is abandoned (network/timeout) when this fires. */
  signal?: AbortSignal;
  /** Per-attempt timeout, enforced by the transport via the clock. */
  timeoutMs?: number;
  /** 0 for the first attempt of a logical request. */
  attemptNumber: number;
}

/** Performs one attempt against the upstream. Supplied by the runner (in-process in sim, HTTP in live). */
export type SendAttempt = (req: LogicalRequest, options: AttemptOptions) => Promise<AttemptOutcome>;

/** Typed events policies emit. */
export type StrategyEvent =
  | { type: 'attempt'; requestId: string; attemptNumber: number; model: string; atMs: number }
  | { type: 'retry'; requestId: string; attemptNumber: number; delayMs: number; reason: string; atMs: number }
  | { type: 'breaker'; state: 'open' | 'half_open' | 'closed'; atMs: number }
  | { type: 'rejected'; requestId: string; by: string; atMs: number }
  | { type: 'fallback'; requestId: string; from: string; to: string; reason: string; atMs: number }
  | { type: 'shed'; requestId: string; by: string; atMs: number }
  | { type: 'queue'; depth: number; atMs: number }
  | { type: 'limiter'; waitMs: number; atMs: number };

export type EventSink = (event: StrategyEvent) => void;

/** What every strategy gets: time, randomness, an event sink, and the transport. */
export interface StrategyContext {
  clock: Clock;
  rng: Rng;
  emit: EventSink;
  send: SendAttempt;
  /** The same transport as a WHATWG fetch, for real client libraries (the openai SDK). */
  fetch: typeof fetch;
  /** Base URL the fetch transport answers on, e.g. http://127.0.0.1:8787/v1. */
  baseURL: string;
  log: (message: string) => void;
}

/** A candidate resilience strategy, built once per run from its config. */
export interface Strategy {
  readonly name: string;
  call(req: LogicalRequest, ctx: StrategyContext, signal?: AbortSignal): Promise<LogicalOutcome>;
}
