import { createInProcessFetch } from '../../mock-upstream/fronts/in-process.ts';
import type { Decision, ParsedAttempt, UpstreamConfig } from '../../mock-upstream/types.ts';
import { Upstream } from '../../mock-upstream/upstream.ts';
import { StrategyRecorder, type StrategySummary } from '../metrics/recorder.ts';
import type { FaultWindow } from '../metrics/recovery.ts';
import { VirtualClock } from '../sim/clock.ts';
import { installVirtualGlobals } from '../sim/globals.ts';
import { Rng } from '../sim/rng.ts';
import type {
  AttemptOutcome,
  LogicalOutcome,
  LogicalRequest,
  SendAttempt,
  Strategy,
  StrategyContext,
  StrategyEvent,
} from '../strategies/types.ts';
import type { TrafficSource } from '../traffic/index.ts';
import { createDirectSend } from './direct.ts';
import { networkOutcome } from './transport.ts';

/**
 * One strategy against its own upstream, in simulated time: a virtual clock, the upstream model in
 * process, the traffic trace replayed at its intended times (open model: arrivals never wait for answers).
 * Everything that happens is reported to a StrategyRecorder; the result is its summary.
 */
export interface StrategyRunInput {
  strategy: Strategy;
  /** Strategies that run real libraries (openai SDK, cockatiel, opossum) need the globals virtualised. */
  usesGlobals: boolean;
  traffic: TrafficSource;
  upstream: UpstreamConfig;
  seed: string;
  durationMs: number;
  /** After the last arrival, how long in-flight requests may still finish. */
  drainMs: number;
  /** The driver's own limit per logical request: a strategy that hangs cannot stall the run. */
  requestDeadlineMs: number;
  faultWindows: FaultWindow[];
  pricePer1kTokens?: number;
  /** Stops the run early (Ctrl-C); the summary is then marked partial. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Bound on simulator work, so a runaway strategy fails loudly. */
  maxTimers?: number;
}

export interface Progress {
  strategy: string;
  simulatedMs: number;
  durationMs: number;
  offered: number;
  completed: number;
  succeeded: number;
}

export interface StrategyRunResult {
  name: string;
  summary: StrategySummary;
  partial: boolean;
  wallMs: number;
  strategyErrors: string[];
}

const SIM_BASE_URL = 'http://squall.sim/v1';
const BILLED_OUTCOMES = new Set([
  'ok',
  'malformed',
  'reset_mid_body',
  'stream_cut',
  'stream_stall',
  'stream_stall_keepalive',
  'stream_malformed',
  'stream_error',
]);

export async function runStrategySim(input: StrategyRunInput): Promise<StrategyRunResult> {
  const wallStart = performance.now();
  const clock = new VirtualClock(0);
  const upstream = new Upstream(input.upstream, { startMs: 0 });
  const recorder = new StrategyRecorder({
    durationMs: input.durationMs,
    startMs: 0,
    ...(input.pricePer1kTokens !== undefined ? { pricePer1kTokens: input.pricePer1kTokens } : {}),
  });
  const rng = new Rng(input.seed).fork(`strategy:${input.strategy.name}`);
  const strategyErrors: string[] = [];

  // Work the upstream billed, by attempt key, until the attempt that caused it ends.
  const billed = new Map<string, number>();
  upstream.onDecision = (a: ParsedAttempt, d: Decision) => {
    if (a.attemptKey && BILLED_OUTCOMES.has(d.outcome))
      billed.set(a.attemptKey, a.promptTokens + d.completionTokens);
  };
  const takeBilled = (key: string) => {
    const t = billed.get(key) ?? 0;
    billed.delete(key);
    return t;
  };

  const directSend = createDirectSend(upstream, clock);
  const rawFetch = createInProcessFetch(upstream, clock);
  const emit = (e: StrategyEvent) => recorder.onEvent(e);
  const log = (message: string) => {
    if (strategyErrors.length < 20) strategyErrors.push(message);
  };

  /** A context per logical request, so attempts are attributed without any lookup. */
  const contextFor = (req: LogicalRequest): StrategyContext => {
    const send: SendAttempt = async (r, options) => {
      const key = `${r.id}#${options.attemptNumber}`;
      const startedMs = clock.now();
      recorder.onAttemptStart(r.id, startedMs);
      const outcome = await directSend(r, options);
      recorder.onAttemptEnd(r.id, outcome, startedMs, clock.now(), takeBilled(key), isAbandoned(outcome));
      return outcome;
    };
    let n = 0;
    const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
      const key = `${req.id}#${n++}`;
      const headers = new Headers(init?.headers);
      headers.set('x-squall-attempt-key', key);
      const startedMs = clock.now();
      recorder.onAttemptStart(req.id, startedMs);
      try {
        const res = await rawFetch(url, { ...init, headers });
        const h: Record<string, string> = {};
        res.headers.forEach((v, k) => {
          h[k] = v;
        });
        const outcome: AttemptOutcome = {
          kind: 'response',
          status: res.status,
          headers: h,
          model: req.model,
        };
        recorder.onAttemptEnd(req.id, outcome, startedMs, clock.now(), takeBilled(key), false);
        return res;
      } catch (e) {
        const aborted = init?.signal?.aborted === true;
        const outcome: AttemptOutcome = aborted
          ? { kind: 'network', error: 'timeout', message: 'client timeout', model: req.model }
          : networkOutcome(e, req.model);
        recorder.onAttemptEnd(req.id, outcome, startedMs, clock.now(), takeBilled(key), aborted);
        throw e;
      }
    }) as typeof fetch;
    return { clock, rng, emit, send, fetch: fetchFn, baseURL: SIM_BASE_URL, log };
  };

  let offered = 0;
  let completed = 0;
  let succeeded = 0;
  let stopped = false;
  const inFlight = new Set<AbortController>();

  /** Starts one logical request now; resolves when its outcome is recorded. */
  const runOne = (req: LogicalRequest): Promise<void> => {
    offered++;
    recorder.onArrival(req, clock.now());
    const ac = new AbortController();
    inFlight.add(ac);
    let settled = false;
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const finish = (outcome: LogicalOutcome) => {
      if (settled) return;
      settled = true;
      resolveDone();
      inFlight.delete(ac);
      clock.clearTimeout(deadline);
      completed++;
      if (outcome.ok) succeeded++;
      recorder.onLogicalEnd(req, outcome, clock.now());
    };
    // The driver's deadline: abort the strategy, and record the request as failed even if it ignores us.
    const deadline = clock.setTimeout(() => {
      ac.abort(new Error('driver deadline'));
      finish({ ok: false, result: 'deadline_exceeded', attempts: 0 });
    }, input.requestDeadlineMs);
    let call: Promise<LogicalOutcome>;
    try {
      call = input.strategy.call(req, contextFor(req), ac.signal);
    } catch (e) {
      call = Promise.reject(e);
    }
    call.then(finish, (e: unknown) => {
      log(
        `strategy "${input.strategy.name}" threw on ${req.id}: ${e instanceof Error ? e.message : String(e)}`,
      );
      finish({ ok: false, result: 'strategy_error', attempts: 0 });
    });
    return done;
  };

  const scheduleArrivals = () => {
    const closed = input.traffic.closed;
    if (input.traffic.kind === 'closed' && closed) {
      // Closed model: each virtual user sends, waits for the outcome, thinks, and sends again.
      for (let vu = 0; vu < closed.virtualUsers; vu++) {
        void (async () => {
          for (let k = 0; !stopped && clock.now() < input.durationMs; k++) {
            await runOne(closed.request(vu, k, clock.now()));
            await clock.sleep(closed.nextThinkMs(vu, k));
          }
        })();
      }
      return;
    }
    const it = input.traffic.arrivals()[Symbol.iterator]();
    const next = () => {
      if (stopped) return;
      const r = it.next();
      if (r.done || r.value.arrivalMs >= input.durationMs) return;
      const req = r.value;
      clock.setTimeout(() => {
        runOne(req);
        next();
      }, req.arrivalMs - clock.now());
    };
    next();
  };

  // Once a simulated second: the upstream's bucket level and progress.
  const sampleEveryMs = 1000;
  const sample = () => {
    const levels = upstream.model.rateLimitLevels(clock.now());
    let min = Number.POSITIVE_INFINITY;
    for (const l of levels) min = Math.min(min, l.requests);
    if (levels.length > 0) recorder.onUpstreamSample(clock.now(), Math.floor(min));
    input.onProgress?.({
      strategy: input.strategy.name,
      simulatedMs: clock.now(),
      durationMs: input.durationMs,
      offered,
      completed,
      succeeded,
    });
    if (clock.now() + sampleEveryMs < input.durationMs + input.drainMs)
      clock.setTimeout(sample, sampleEveryMs);
  };

  const globals = input.usesGlobals ? installVirtualGlobals(clock, { rng: rng.fork('globals') }) : undefined;
  let partial = false;
  const onAbort = () => {
    stopped = true;
    partial = true;
  };
  input.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    scheduleArrivals();
    clock.setTimeout(sample, 0);
    const untilMs = input.durationMs + input.drainMs;
    // Run in slices so an interrupt is noticed and progress flows.
    const sliceMs = 60_000;
    for (let t = 0; t < untilMs && !stopped; t = Math.min(untilMs, t + sliceMs)) {
      await clock.run({ untilMs: Math.min(untilMs, t + sliceMs), maxTimers: input.maxTimers ?? 200_000_000 });
    }
  } finally {
    stopped = true;
    for (const ac of inFlight) ac.abort(new Error('run ended'));
    globals?.restore();
    input.signal?.removeEventListener('abort', onAbort);
  }
  const windows = input.faultWindows;
  return {
    name: input.strategy.name,
    summary: recorder.summary(windows),
    partial,
    wallMs: performance.now() - wallStart,
    strategyErrors,
  };
}

function isAbandoned(o: AttemptOutcome): boolean {
  return o.kind === 'network' && o.error === 'timeout';
}
