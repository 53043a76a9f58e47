import { startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { createInProcessFetch } from '../../mock-upstream/fronts/in-process.ts';
import { BILLED_OUTCOMES } from '../../mock-upstream/model/fault-kinds.ts';
import type { Decision, ParsedAttempt, UpstreamConfig } from '../../mock-upstream/types.ts';
import { Upstream } from '../../mock-upstream/upstream.ts';
import { releaseAfterBody } from '../client/connections.ts';
import { Client, refusedAttempt, refusedFetch } from '../client/index.ts';
import type { ClientConfig } from '../client/types.ts';
import { Histogram } from '../metrics/histogram.ts';
import { StrategyRecorder, type StrategySummary } from '../metrics/recorder.ts';
import type { FaultWindow } from '../metrics/recovery.ts';
import { type Clock, RealClock, VirtualClock } from '../sim/clock.ts';
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
import { abortOwned, ownedAbortController } from '../util/abort.ts';
import { createDirectSend } from './direct.ts';
import { createHttpSend } from './http-send.ts';
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
  /** The calling application (src/client/), a fresh copy for this strategy; absent: none, as before. */
  client?: ClientConfig;
  /** Live only: an upstream already running (`--upstream`) instead of a mock of this run's own. */
  upstreamURL?: string;
  /** Stops the run early (Ctrl-C); the summary is then marked partial. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Bound on simulator work, so a runaway strategy fails loudly. */
  maxTimers?: number;
}

/** What every strategy of a run shares: the run's settings, as plain data (they cross to worker threads). */
export type RunSettings = Pick<
  StrategyRunInput,
  | 'upstream'
  | 'seed'
  | 'durationMs'
  | 'drainMs'
  | 'requestDeadlineMs'
  | 'faultWindows'
  | 'pricePer1kTokens'
  | 'upstreamURL'
  | 'client'
>;

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
  /** How late arrivals were handed to the strategy (0 in simulated time). */
  arrivalLagMs: { p50: number; p99: number; max: number };
}

const SIM_BASE_URL = 'http://squall.sim/v1';

/** Simulated time (the default): virtual clock, the upstream in process, no sockets. */
export function runStrategySim(input: StrategyRunInput): Promise<StrategyRunResult> {
  return runStrategy(input, 'sim');
}

/**
 * Wall time: the upstream behind its HTTP front on loopback, the real fetch (and the real openai SDK for
 * its adapter) over real sockets, arrivals at their intended wall-clock times.
 */
export function runStrategyLive(input: StrategyRunInput): Promise<StrategyRunResult> {
  return runStrategy(input, 'live');
}

/** What differs between the two modes; everything else is shared. */
interface Environment {
  clock: Clock;
  /** Clock time of t = 0 of the run. */
  originMs: number;
  upstream: Upstream;
  send: SendAttempt;
  fetch: typeof fetch;
  baseURL: string;
  /** Advances (sim) or waits (live) until `untilMs` or until `isDone()`. */
  runUntil(untilMs: number, isDone: () => boolean): Promise<void>;
  close(): Promise<void>;
}

async function simEnvironment(input: StrategyRunInput): Promise<Environment> {
  const clock = new VirtualClock(0);
  // Nobody reads a simulated upstream's journal, and keeping its last 10k entries alive costs the
  // simulator garbage-collection time.
  const upstream = new Upstream({ ...input.upstream, journalSize: 0 }, { startMs: 0 });
  return {
    clock,
    originMs: 0,
    upstream,
    send: createDirectSend(upstream, clock),
    fetch: createInProcessFetch(upstream, clock),
    baseURL: SIM_BASE_URL,
    async runUntil(untilMs, isDone) {
      // In slices, so an interrupt is noticed and progress flows.
      const sliceMs = 60_000;
      for (let t = clock.now(); t < untilMs && !isDone(); t = Math.min(untilMs, t + sliceMs)) {
        await clock.run({
          untilMs: Math.min(untilMs, t + sliceMs),
          maxTimers: input.maxTimers ?? 200_000_000,
        });
      }
    },
    close: async () => {},
  };
}

async function liveEnvironment(input: StrategyRunInput): Promise<Environment> {
  const clock = new RealClock();
  // A short lead so the first arrivals are not late while the front starts.
  const originMs = clock.now() + 50;
  const upstream = new Upstream(input.upstream, { startMs: originMs });
  // With an external upstream, the local model is never asked: nothing it would say is reported.
  const front =
    input.upstreamURL === undefined ? await startHttpFront(upstream, { port: 0, clock }) : undefined;
  const baseURL = front?.baseURL ?? input.upstreamURL!;
  // squall's own attempts over kept-alive node:http connections (the real fetch stays for the SDK).
  const http = createHttpSend({ baseURL, clock });
  return {
    clock,
    originMs,
    upstream,
    send: http.send,
    fetch: globalThis.fetch,
    baseURL,
    runUntil(untilMs, isDone) {
      return new Promise((resolve) => {
        const check = () => {
          if (isDone() || clock.now() >= untilMs) resolve();
          else globalThis.setTimeout(check, Math.min(50, Math.max(1, untilMs - clock.now())));
        };
        check();
      });
    },
    close: async () => {
      http.close();
      await front?.close();
    },
  };
}

async function runStrategy(input: StrategyRunInput, mode: 'sim' | 'live'): Promise<StrategyRunResult> {
  const wallStart = performance.now();
  const env = mode === 'sim' ? await simEnvironment(input) : await liveEnvironment(input);
  const { clock, upstream, originMs } = env;
  const recorder = new StrategyRecorder({
    durationMs: input.durationMs,
    drainMs: input.drainMs,
    startMs: originMs,
    ...(input.pricePer1kTokens !== undefined ? { pricePer1kTokens: input.pricePer1kTokens } : {}),
  });
  const rng = new Rng(input.seed).fork(`strategy:${input.strategy.name}`);
  const client = input.client
    ? new Client(input.client, { clock, seed: input.seed, originMs, durationMs: input.durationMs })
    : undefined;
  const strategyErrors: string[] = [];
  // How late each arrival was handed to the strategy (live mode: the driver's own scheduling lag).
  const lag = new Histogram();

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

  const directSend = env.send;
  const rawFetch = env.fetch;
  const emit = (e: StrategyEvent) => recorder.onEvent(e);
  const log = (message: string) => {
    if (strategyErrors.length < 20) strategyErrors.push(message);
  };

  /** squall's own transport, counted: one for the run (the request and attempt come with each call). */
  const send: SendAttempt = async (r, options) => {
    // The app's worker (async sleeps) and connection for the attempt; no await at all without them.
    const gate = client?.gatesAttempts ? await client.attempt(r.id, options.signal) : undefined;
    if (gate && 'refused' in gate) return refusedAttempt(gate, r.model);
    const key = `${r.id}#${options.attemptNumber}`;
    const startedMs = clock.now();
    recorder.onAttemptStart(r.id, startedMs);
    const outcome = await directSend(r, options);
    gate?.release();
    const abandoned = isAbandoned(outcome) || (client?.attemptAbandoned(r.id) ?? false);
    recorder.onAttemptEnd(r.id, outcome, startedMs, clock.now(), takeBilled(key), abandoned);
    return outcome;
  };

  /** A context per logical request, so the fetch's attempts are attributed without any lookup. */
  const contextFor = (req: LogicalRequest): StrategyContext => {
    let n = 0;
    const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
      const gate = client?.gatesAttempts
        ? await client.attempt(req.id, init?.signal ?? undefined)
        : undefined;
      if (gate && 'refused' in gate) throw refusedFetch(gate, init?.signal);
      const key = `${req.id}#${n++}`;
      const headers = withAttemptKey(init?.headers, key);
      const startedMs = clock.now();
      recorder.onAttemptStart(req.id, startedMs);
      try {
        const res = await rawFetch(url, { ...init, headers });
        let h: Record<string, string> | undefined;
        const outcome: AttemptOutcome = {
          kind: 'response',
          status: res.status,
          // Copied only when read: the recorder looks at the headers of failed answers only (x-should-retry).
          get headers() {
            if (!h) {
              const record: Record<string, string> = {};
              res.headers.forEach((v, k) => {
                record[k] = v;
              });
              h = record;
            }
            return h;
          },
          model: req.model,
        };
        const abandoned = client?.attemptAbandoned(req.id) ?? false;
        recorder.onAttemptEnd(req.id, outcome, startedMs, clock.now(), takeBilled(key), abandoned);
        // A pooled connection stays held until the body is read, cancelled or broken.
        return gate ? releaseAfterBody(res, () => gate.release(), init?.signal) : res;
      } catch (e) {
        gate?.release();
        const aborted = init?.signal?.aborted === true;
        const outcome: AttemptOutcome = aborted
          ? { kind: 'network', error: 'timeout', message: 'client timeout', model: req.model }
          : networkOutcome(e, req.model);
        const abandoned = aborted || (client?.attemptAbandoned(req.id) ?? false);
        recorder.onAttemptEnd(req.id, outcome, startedMs, clock.now(), takeBilled(key), abandoned);
        throw e;
      }
    }) as typeof fetch;
    return { clock, rng, emit, send, fetch: fetchFn, baseURL: env.baseURL, log };
  };

  let offered = 0;
  let completed = 0;
  let succeeded = 0;
  let stopped = false;
  let arrivalsDone = false;
  const inFlight = new Set<AbortController>();

  /**
   * Starts one logical request now; `onDone` is called once its outcome is recorded (the closed model
   * waits for it; open arrivals do not, and make no promise for it: this runs for every request).
   */
  const runOne = (req: LogicalRequest, onDone?: () => void): void => {
    offered++;
    const now = clock.now();
    lag.record(Math.max(0, now - req.arrivalMs) * 1000);
    recorder.onArrival(req, now);
    const ac = ownedAbortController();
    inFlight.add(ac);
    let settled = false;
    /** The user's outcome (from the strategy, or from the app: its timeout, no worker). */
    const finish = (outcome: LogicalOutcome) => {
      if (settled) return;
      settled = true;
      onDone?.();
      completed++;
      if (outcome.ok) succeeded++;
      recorder.onLogicalEnd(req, outcome, clock.now());
    };
    /** The request's work is over: the same instant as `finish`, unless the app's timeout came first. */
    const end = () => {
      if (!inFlight.delete(ac)) return;
      clock.clearTimeout(deadline);
      client?.done(req.id);
    };
    // The driver's deadline: abort the strategy, and record the request as failed even if it ignores us.
    const deadline = clock.setTimeout(() => {
      abortOwned(ac, new Error('driver deadline'));
      finish({ ok: false, result: 'deadline_exceeded', attempts: 0 });
      end();
    }, input.requestDeadlineMs);
    const start = () => {
      let call: Promise<LogicalOutcome>;
      try {
        call = input.strategy.call(req, contextFor(req), ac.signal);
      } catch (e) {
        call = Promise.reject(e);
      }
      call.then(
        (outcome) => {
          finish(outcome);
          end();
        },
        (e: unknown) => {
          log(
            `strategy "${input.strategy.name}" threw on ${req.id}: ${e instanceof Error ? e.message : String(e)}`,
          );
          finish({ ok: false, result: 'strategy_error', attempts: 0 });
          end();
        },
      );
    };
    if (!client) start();
    else
      client.request(req, {
        run: start,
        fail: finish,
        abort: () => abortOwned(ac, new Error('client saturated')),
        dropped: end,
      });
  };

  const scheduleArrivals = () => {
    const closed = input.traffic.closed;
    if (input.traffic.kind === 'closed' && closed) {
      // Closed model: each virtual user sends, waits for the outcome, thinks, and sends again.
      for (let vu = 0; vu < closed.virtualUsers; vu++) {
        void (async () => {
          for (let k = 0; !stopped && clock.now() < originMs + input.durationMs; k++) {
            const req = closed.request(vu, k, clock.now());
            await new Promise<void>((resolve) => runOne(req, resolve));
            await clock.sleep(closed.nextThinkMs(vu, k));
          }
        })();
      }
      return;
    }
    const it = input.traffic.arrivals()[Symbol.iterator]();
    // One arrival is pending at a time, so one callback serves them all (not a closure per request).
    let pending: LogicalRequest | undefined;
    const arrive = () => {
      const req = pending!;
      pending = undefined;
      runOne(req);
      next();
    };
    const next = () => {
      // Live: arrivals already due are sent in this turn, up to a bound so sockets are still served. One
      // timer each waited at least Node's 1 ms floor, which capped the driver near 500 arrivals a second
      // and left it ever later above that. Simulated time keeps one timer per arrival (same event order).
      for (let dueNow = 0; ; dueNow++) {
        if (stopped) return;
        const r = it.next();
        if (r.done || r.value.arrivalMs >= input.durationMs) {
          arrivalsDone = true;
          return;
        }
        // Intended arrival on this run's clock (the same number in sim, where t = 0 is clock 0).
        pending = originMs === 0 ? r.value : { ...r.value, arrivalMs: originMs + r.value.arrivalMs };
        const delayMs = pending.arrivalMs - clock.now();
        if (mode === 'sim' || delayMs > 0 || dueNow >= MAX_DUE_ARRIVALS_PER_TURN) {
          clock.setTimeout(arrive, delayMs);
          return;
        }
        const req = pending;
        pending = undefined;
        runOne(req);
      }
    };
    next();
  };

  // Once a simulated second: the upstream's bucket level and progress.
  const sampleEveryMs = 1000;
  const sample = () => {
    const levels = input.upstreamURL === undefined ? upstream.model.rateLimitLevels(clock.now()) : [];
    let min = Number.POSITIVE_INFINITY;
    for (const l of levels) min = Math.min(min, l.requests);
    if (levels.length > 0) recorder.onUpstreamSample(clock.now(), Math.floor(min));
    input.onProgress?.({
      strategy: input.strategy.name,
      simulatedMs: clock.now() - originMs,
      durationMs: input.durationMs,
      offered,
      completed,
      succeeded,
    });
    if (!finished && clock.now() + sampleEveryMs < originMs + input.durationMs + input.drainMs)
      clock.setTimeout(sample, sampleEveryMs);
  };

  let finished = false;
  const globals =
    mode === 'sim' && input.usesGlobals
      ? installVirtualGlobals(clock as VirtualClock, { rng: rng.fork('globals') })
      : undefined;
  let partial = false;
  const onAbort = () => {
    stopped = true;
    partial = true;
  };
  input.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    scheduleArrivals();
    client?.start();
    clock.setTimeout(sample, Math.max(0, originMs - clock.now()));
    const closedModel = input.traffic.kind === 'closed';
    await env.runUntil(
      originMs + input.durationMs + input.drainMs,
      () => stopped || (!closedModel && arrivalsDone && inFlight.size === 0 && (client?.idle ?? true)),
    );
  } finally {
    stopped = true;
    finished = true;
    client?.stop();
    // Requests still open now are unfinished; their aborts below must not be recorded as failures.
    recorder.end(clock.now());
    for (const ac of inFlight) abortOwned(ac, new Error('run ended'));
    globals?.restore();
    await env.close();
    input.signal?.removeEventListener('abort', onAbort);
  }
  const windows = input.faultWindows.map((w) => ({
    ...w,
    startMs: originMs + w.startMs,
    endMs: originMs + w.endMs,
  }));
  return {
    name: input.strategy.name,
    summary: client ? { ...recorder.summary(windows), ...client.summary() } : recorder.summary(windows),
    partial,
    wallMs: performance.now() - wallStart,
    strategyErrors,
    arrivalLagMs: {
      p50: lag.count ? lag.percentile(50) / 1000 : 0,
      p99: lag.count ? lag.percentile(99) / 1000 : 0,
      max: lag.count ? lag.max / 1000 : 0,
    },
  };
}

/** Live: how many arrivals already due are started in one turn of the event loop before yielding to I/O. */
const MAX_DUE_ARRIVALS_PER_TURN = 64;

function isAbandoned(o: AttemptOutcome): boolean {
  return o.kind === 'network' && o.error === 'timeout';
}

/**
 * The caller's headers plus the attempt key, leaving the caller's object alone. A `Headers` (what the
 * openai SDK passes) becomes a plain record with its lower-case names, and the key set as `Headers.set`
 * would: copying it into a new `Headers` was a good part of the cost of a simulated SDK attempt, and both
 * fetches squall hands this to take a record (the in-process front reads it without building a `Headers`).
 */
function withAttemptKey(given: HeadersInit | undefined, key: string): HeadersInit {
  if (given instanceof Headers) {
    const out: Record<string, string> = {};
    given.forEach((v, k) => {
      out[k] = v;
    });
    out['x-squall-attempt-key'] = key;
    return out;
  }
  const headers = new Headers(given);
  headers.set('x-squall-attempt-key', key);
  return headers;
}
