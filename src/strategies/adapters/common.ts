import type { AttemptOptions, AttemptOutcome, LogicalRequest, StrategyContext } from '../types.ts';

/**
 * Shared by the adapters that run real client libraries: squall does not decide anything there, it only
 * counts. Every attempt the library makes is one `attempt` event; the wait before it (time since the
 * previous attempt ended) is reported as a `retry` event, since the library will not tell us its delays.
 */
export class AttemptTracker {
  attempts = 0;
  last: AttemptOutcome | undefined;
  private lastEndMs = 0;
  private lastReason = '';
  private readonly ctx: StrategyContext;
  private readonly req: LogicalRequest;

  constructor(ctx: StrategyContext, req: LogicalRequest) {
    this.ctx = ctx;
    this.req = req;
  }

  /** Records the start of an attempt; returns its number (0 for the first). */
  begin(model: string): number {
    const n = this.attempts++;
    const atMs = this.ctx.clock.now();
    if (n > 0) {
      this.ctx.emit({
        type: 'retry',
        requestId: this.req.id,
        attemptNumber: n,
        delayMs: Math.max(0, atMs - this.lastEndMs),
        reason: this.lastReason,
        atMs,
      });
    }
    this.ctx.emit({ type: 'attempt', requestId: this.req.id, attemptNumber: n, model, atMs });
    return n;
  }

  end(reason: string, outcome?: AttemptOutcome): void {
    this.lastEndMs = this.ctx.clock.now();
    this.lastReason = reason;
    if (outcome) this.last = outcome;
  }
}

/** `ctx.send` that counts: each call is one attempt, recorded on `tracker`. */
export function trackedSend(
  ctx: StrategyContext,
  tracker: AttemptTracker,
): (req: LogicalRequest, options: AttemptOptions) => Promise<AttemptOutcome> {
  return async (r, options) => {
    const attemptNumber = tracker.begin(options.model);
    const outcome = await ctx.send(r, { ...options, attemptNumber });
    tracker.end(reasonOf(outcome), outcome);
    return outcome;
  };
}

/** `ctx.fetch` that counts: each call is one attempt, recorded on `tracker`. */
export function trackedFetch(ctx: StrategyContext, tracker: AttemptTracker, model: string): typeof fetch {
  const counted = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    tracker.begin(model);
    try {
      const response = await ctx.fetch(input, init);
      tracker.end(String(response.status));
      return response;
    } catch (e) {
      tracker.end('network');
      throw e;
    }
  };
  return counted as typeof fetch;
}

/**
 * The request header a long-lived client carries on each call (set through the client's per-request
 * options), so the one `fetch` it was built with can find that call's counted fetch. Removed before the
 * request goes on, so the upstream never sees it.
 */
export const CALL_HEADER = 'x-squall-call';

/**
 * One `fetch` for a long-lived client, routing each exchange to the counted fetch of the call it belongs
 * to (by {@link CALL_HEADER}). Lets an adapter build its client once instead of once per logical request,
 * which is most of a real client's cost in simulated time.
 */
export class FetchRouter {
  /** Give this to the client. */
  readonly fetch: typeof fetch;
  private readonly routes = new Map<string, typeof fetch>();
  private seq = 0;

  constructor() {
    this.fetch = ((input: string | URL | Request, init?: RequestInit) =>
      this.route(input, init)) as typeof fetch;
  }

  /** Registers a call's fetch; returns the value to send in {@link CALL_HEADER}. */
  open(callFetch: typeof fetch): string {
    const id = String(++this.seq);
    this.routes.set(id, callFetch);
    return id;
  }

  close(id: string): void {
    this.routes.delete(id);
  }

  /** Calls still open (a leak check for tests). */
  get openCalls(): number {
    return this.routes.size;
  }

  private route(input: string | URL | Request, init: RequestInit | undefined): Promise<Response> {
    // The openai SDK hands fetch a fresh Headers per attempt, which is ours to edit; anything else is copied.
    const given = init?.headers;
    const headers = given instanceof Headers ? given : new Headers(given);
    const id = headers.get(CALL_HEADER);
    const callFetch = id === null ? undefined : this.routes.get(id);
    if (!callFetch) {
      return Promise.reject(
        new Error(`fetch without a live ${CALL_HEADER} header (${id ?? 'none'}): the call is not routed`),
      );
    }
    headers.delete(CALL_HEADER);
    return callFetch(input, headers === given ? init : { ...init, headers });
  }
}

/** Short reason for retry events: `500`, `429 rate_limit_exceeded`, `network:reset`. */
export function reasonOf(outcome: AttemptOutcome): string {
  if (outcome.kind === 'network') return `network:${outcome.error}`;
  return outcome.errorCode ? `${outcome.status} ${outcome.errorCode}` : String(outcome.status);
}

/**
 * Thrown into a real library when an attempt failed, so the library sees a failure (and retries, or
 * counts it against its breaker) exactly as it would with a client that throws on error statuses.
 */
export class AttemptFailure extends Error {
  readonly outcome: AttemptOutcome;
  constructor(outcome: AttemptOutcome) {
    super(`attempt failed: ${reasonOf(outcome)}`);
    this.name = 'AttemptFailure';
    this.outcome = outcome;
  }
}

export function isAttemptFailure(e: unknown): e is AttemptFailure {
  return e instanceof AttemptFailure;
}

export function headersToRecord(headers: Headers | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  headers?.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}
