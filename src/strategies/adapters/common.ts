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
