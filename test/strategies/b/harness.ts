import { VirtualClock } from '../../../src/sim/clock.ts';
import { Rng } from '../../../src/sim/rng.ts';
import type { Execution } from '../../../src/strategies/policy.ts';
import type {
  AttemptOptions,
  AttemptOutcome,
  LogicalRequest,
  StrategyContext,
  StrategyEvent,
} from '../../../src/strategies/types.ts';

/**
 * Test bench for strategies in virtual time. `respond` is a scripted stand-in for the upstream (the real
 * mock upstream is tested on its own); everything else is the code under test.
 */
export interface SentAttempt {
  requestId: string;
  model: string;
  attemptNumber: number;
  atMs: number;
  timeoutMs: number | undefined;
}

export type Respond = (req: LogicalRequest, options: AttemptOptions, index: number) => AttemptOutcome;

export interface Bench {
  clock: VirtualClock;
  ctx: StrategyContext;
  events: StrategyEvent[];
  sent: SentAttempt[];
  exec(req: LogicalRequest, extra?: Partial<Execution>): Execution;
}

export function bench(
  o: { respond?: Respond; latencyMs?: number; seed?: string; epochMs?: number } = {},
): Bench {
  const clock = new VirtualClock(o.epochMs ?? 0);
  const events: StrategyEvent[] = [];
  const sent: SentAttempt[] = [];
  const respond = o.respond ?? ((_req, options) => ok(options.model));
  const ctx: StrategyContext = {
    clock,
    rng: new Rng(o.seed ?? 'bench-seed'),
    emit: (e) => events.push(e),
    send: async (req, options) => {
      const index = sent.length;
      sent.push({
        requestId: req.id,
        model: options.model,
        attemptNumber: options.attemptNumber,
        atMs: clock.now(),
        timeoutMs: options.timeoutMs,
      });
      if (o.latencyMs) await clock.sleep(o.latencyMs);
      return respond(req, options, index);
    },
    fetch: (() => {
      throw new Error('bench: fetch is not wired in this test');
    }) as unknown as typeof fetch,
    baseURL: 'http://squall.test/v1',
    log: () => {},
  };
  return {
    clock,
    ctx,
    events,
    sent,
    exec: (req, extra = {}) => ({ req, ctx, model: req.model, attempts: 0, ...extra }),
  };
}

let counter = 0;
export function request(overrides: Partial<LogicalRequest> = {}): LogicalRequest {
  counter++;
  return {
    id: `r${counter}`,
    arrivalMs: 0,
    endpoint: 'chat.completions',
    model: 'gpt-4o',
    promptTokens: 100,
    maxTokens: 50,
    stream: false,
    apiKey: 'sk-test',
    ...overrides,
  };
}

export function ok(model: string, headers: Record<string, string> = {}): AttemptOutcome {
  return { kind: 'response', status: 200, headers, model, usageTokens: 150 };
}

export function fail(
  status: number,
  model: string,
  extra: { code?: string; type?: string; message?: string; headers?: Record<string, string> } = {},
): AttemptOutcome {
  return {
    kind: 'response',
    status,
    headers: extra.headers ?? {},
    errorType: extra.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
    errorCode: extra.code ?? null,
    errorMessage: extra.message ?? `status ${status}`,
    model,
  };
}

export function network(
  error: 'reset' | 'refused' | 'timeout' | 'stream' | 'dns',
  model: string,
): AttemptOutcome {
  return { kind: 'network', error, message: error, model };
}

/** Starts `fn` at each virtual time in `atMs`, runs the clock dry, and returns the results in order. */
export async function runAt<T>(
  clock: VirtualClock,
  atMs: readonly number[],
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const pending: Promise<T>[] = new Array(atMs.length);
  atMs.forEach((t, i) => {
    clock.setTimeout(() => {
      pending[i] = fn(i);
    }, t - clock.now());
  });
  await clock.run();
  return Promise.all(pending);
}
