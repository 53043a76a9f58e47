import { VirtualClock } from '../../../src/sim/clock.ts';
import { Rng } from '../../../src/sim/rng.ts';
import type { Execution, Next, PolicyResult } from '../../../src/strategies/policy.ts';
import type {
  AttemptOutcome,
  LogicalRequest,
  StrategyContext,
  StrategyEvent,
} from '../../../src/strategies/types.ts';

/**
 * Test bench for policies: a virtual clock, a pinned rng, an event log, and an inline inner step that
 * plays a script of attempt outcomes (with optional latency on the clock) and records each call. The
 * transport stubs throw: a policy that reaches for them is a bug.
 */
export const SEED = 'squall-a-pinned-1';

export interface Bench {
  clock: VirtualClock;
  ctx: StrategyContext;
  events: StrategyEvent[];
}

export function bench(options: { seed?: string; epochMs?: number } = {}): Bench {
  const clock = new VirtualClock(options.epochMs ?? 0);
  const events: StrategyEvent[] = [];
  const ctx: StrategyContext = {
    clock,
    rng: new Rng(options.seed ?? SEED).fork('jitter:test'),
    emit: (e) => events.push(e),
    send: () => {
      throw new Error('send must not be called in policy unit tests');
    },
    fetch: (() => {
      throw new Error('fetch must not be called in policy unit tests');
    }) as typeof fetch,
    baseURL: 'http://unused.invalid/v1',
    log: () => {},
  };
  return { clock, ctx, events };
}

export function request(id = 'r1', overrides: Partial<LogicalRequest> = {}): LogicalRequest {
  return {
    id,
    arrivalMs: 0,
    endpoint: 'chat.completions',
    model: 'gpt-4o-mini',
    promptTokens: 100,
    maxTokens: 50,
    stream: false,
    apiKey: 'sk-test',
    ...overrides,
  };
}

export function execution(b: Bench, req: LogicalRequest = request()): Execution {
  return { req, ctx: b.ctx, model: req.model, attempts: 0 };
}

export function response(
  status: number,
  extra: Partial<Extract<AttemptOutcome, { kind: 'response' }>> = {},
): AttemptOutcome {
  return { kind: 'response', status, headers: {}, model: 'gpt-4o-mini', ...extra };
}

export function network(error: Extract<AttemptOutcome, { kind: 'network' }>['error']): AttemptOutcome {
  return { kind: 'network', error, message: error, model: 'gpt-4o-mini' };
}

/** One scripted step: an outcome, an outcome after some latency, or a hang until aborted. */
export type Step = AttemptOutcome | { latencyMs: number; outcome: AttemptOutcome } | 'hang';

export interface Call {
  atMs: number;
  attemptNumber: number;
  timeoutMs: number | undefined;
  model: string;
  /** When the attempt's signal aborted, if it did. */
  abortedAtMs?: number;
}

/** An inner step that plays `steps` in order (the last one repeats) and records every call. */
export function scripted(b: Bench, steps: Step[]): { inner: Next; calls: Call[] } {
  const calls: Call[] = [];
  const inner: Next = async (exec) => {
    const n = exec.attempts++;
    const call: Call = {
      atMs: b.clock.now(),
      attemptNumber: n,
      timeoutMs: exec.attemptTimeoutMs,
      model: exec.model,
    };
    calls.push(call);
    const signal = exec.signal;
    signal?.addEventListener('abort', () => (call.abortedAtMs = b.clock.now()), { once: true });
    const step = steps[Math.min(n, steps.length - 1)]!;
    if (step === 'hang') {
      await b.clock.sleep(24 * 3_600_000, signal);
      throw new Error('a hanging attempt was never aborted');
    }
    if ('latencyMs' in step) {
      await b.clock.sleep(step.latencyMs, signal);
      return step.outcome;
    }
    return step;
  };
  return { inner, calls };
}

/** Starts `work`, runs the clock until nothing is pending, and returns what `work` resolved to. */
export async function settle<T>(b: Bench, work: Promise<T>): Promise<T> {
  let done = false;
  const tracked = work.finally(() => {
    done = true;
  });
  tracked.catch(() => {}); // reported by the caller's await, not as an unhandled rejection
  await b.clock.run();
  if (!done) throw new Error('work did not finish once the clock ran out of timers');
  return tracked;
}

export function gaps(calls: Call[]): number[] {
  return calls.slice(1).map((c, i) => c.atMs - calls[i]!.atMs);
}

export function statusOf(r: PolicyResult): string {
  if (r.kind === 'rejected') return `rejected:${r.reason}`;
  if (r.kind === 'network') return `network:${r.error}`;
  return String(r.status);
}
