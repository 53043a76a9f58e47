import type { ClientSummary, OtherTrafficSummary } from '../metrics/client-metrics.ts';
import { Histogram } from '../metrics/histogram.ts';
import { latencyStats } from '../metrics/recorder.ts';
import type { Clock, TimerHandle } from '../sim/clock.ts';
import type { AttemptOutcome, LogicalOutcome, LogicalRequest } from '../strategies/types.ts';
import { createConnections, noConnectionMessage } from './connections.ts';
import { type ClientDeadline, createDeadline } from './deadline.ts';
import { OtherTraffic } from './other-traffic.ts';
import type { BoundedPool, PoolWaiter } from './pool.ts';
import type { ClientConfig } from './types.ts';
import { createWorkers, type Workers } from './workers.ts';

export type { ClientConfig, OtherRoute, QueueLimits } from './types.ts';

/**
 * The calling application around one strategy's run: its causes (one file each, composed here) are the
 * worker pool (workers.ts), the connection pool (connections.ts), its own deadline towards its caller
 * (deadline.ts) and the other traffic that shares its workers (other-traffic.ts). The driver asks it
 * three things: may this request start (`request`), may this attempt go out (`attempt`), and the
 * request's work is over (`done`). Every strategy gets its own Client, built from the same config.
 */
export interface ClientEnv {
  clock: Clock;
  /** The run's seed: other traffic draws from it, so every strategy faces the same. */
  seed: string;
  originMs: number;
  durationMs: number;
}

/** What the driver does when the app, not the strategy, decides a request. */
export interface RequestHooks {
  /** Hand the request to the strategy now. */
  run(): void;
  /** The user's outcome, decided by the app (no worker, its own timeout); the work may go on. */
  fail(outcome: LogicalOutcome): void;
  /** Stop the strategy's work (it got no worker for its next attempt). */
  abort(): void;
  /** The request never reached the strategy: its work is over, and nothing will call `done`. */
  dropped(): void;
}

/** An attempt may go out (release when it ends), or it may not, and why (as its outcome says it). */
export type AttemptGate =
  | { release(): void }
  | { refused: 'aborted' | 'saturated' | 'connection'; message: string };

interface RequestState {
  hooks: RequestHooks;
  /** The user already has an outcome from the app (its timeout, no worker). */
  userEnded: boolean;
  /** That outcome was the app's timeout (the work may go on after it). */
  timedOut: boolean;
  holdsWorker: boolean;
  waiter: PoolWaiter | undefined;
  timer: TimerHandle | undefined;
}

const SATURATED: LogicalOutcome = { ok: false, result: 'client_saturated', attempts: 0 };
const TIMED_OUT: LogicalOutcome = { ok: false, result: 'client_timeout', attempts: 0 };
const FREE: AttemptGate = { release() {} };

export class Client {
  private readonly workers: Workers | undefined;
  private readonly connections: BoundedPool | undefined;
  private readonly deadline: ClientDeadline | undefined;
  private readonly other: OtherTraffic | undefined;
  private readonly requests = new Map<string, RequestState>();
  private saturated = 0;
  private timedOut = 0;
  private attemptsAfterTimeout = 0;
  /** Whether attempts need `attempt()` at all (a pool per attempt); false spares the driver a promise. */
  readonly gatesAttempts: boolean;

  private readonly config: ClientConfig;

  constructor(config: ClientConfig, env: ClientEnv) {
    this.config = config;
    this.workers = createWorkers(config, env.clock);
    this.connections = createConnections(config, env.clock);
    this.deadline = createDeadline(config, env.clock);
    this.other =
      config.otherTraffic.length > 0
        ? new OtherTraffic(config.otherTraffic, { ...env, workers: this.workers, deadline: this.deadline })
        : undefined;
    this.gatesAttempts =
      this.connections !== undefined || (this.workers !== undefined && !this.workers.heldForWholeRequest);
  }

  /** Starts the other traffic (the run's clock must be at its origin or before). */
  start(): void {
    this.other?.start();
  }

  stop(): void {
    this.other?.stop();
  }

  /** Nothing of the app's own is pending (the driver's run may end). */
  get idle(): boolean {
    return this.other?.idle ?? true;
  }

  /** A logical request arrived: arm the app's deadline, get a worker when sleeps block, then run it. */
  request(req: LogicalRequest, hooks: RequestHooks): void {
    const s: RequestState = {
      hooks,
      userEnded: false,
      timedOut: false,
      holdsWorker: false,
      waiter: undefined,
      timer: undefined,
    };
    this.requests.set(req.id, s);
    if (this.deadline) s.timer = this.deadline.arm(req.arrivalMs, () => this.expire(req.id, s));
    const workers = this.workers;
    if (!workers?.heldForWholeRequest) {
      hooks.run();
      return;
    }
    s.waiter = workers.pool.acquire(
      () => {
        s.waiter = undefined;
        s.holdsWorker = true;
        hooks.run();
      },
      () => {
        s.waiter = undefined;
        this.saturated++;
        this.failUser(s, SATURATED);
        this.done(req.id);
        hooks.dropped();
      },
    );
  }

  /** Before an attempt goes out: a worker (when sleeps do not block) and a connection, each bounded. */
  async attempt(reqId: string, signal?: AbortSignal): Promise<AttemptGate> {
    if (!this.gatesAttempts) return FREE;
    const workers = this.workers && !this.workers.heldForWholeRequest ? this.workers.pool : undefined;
    if (workers) {
      const why = await workers.acquireAsync(signal);
      if (why === 'aborted') return { refused: 'aborted', message: 'aborted while waiting for a worker' };
      if (why !== undefined) {
        const s = this.requests.get(reqId);
        if (s && !s.userEnded) {
          this.saturated++;
          this.failUser(s, SATURATED);
          s.hooks.abort();
        }
        return { refused: 'saturated', message: `client saturated: no worker free (${workers.size} busy)` };
      }
    }
    const connections = this.connections;
    if (connections) {
      const why = await connections.acquireAsync(signal);
      if (why !== undefined) {
        workers?.release();
        return why === 'aborted'
          ? { refused: 'aborted', message: 'aborted while waiting for a connection' }
          : { refused: 'connection', message: noConnectionMessage(connections, why) };
      }
    }
    return {
      release() {
        connections?.release();
        workers?.release();
      },
    };
  }

  /**
   * An attempt of `reqId` ended: true when its user had already been answered by the app (its timeout,
   * or no worker for a later attempt), so the attempt's work (still billed) went to nobody, as an
   * abandoned attempt's does.
   */
  attemptAbandoned(reqId: string): boolean {
    const s = this.requests.get(reqId);
    if (s?.userEnded !== true) return false;
    if (s.timedOut) this.attemptsAfterTimeout++;
    return true;
  }

  /** The request's work is over (the strategy returned, or the driver's deadline gave up on it). */
  done(reqId: string): void {
    const s = this.requests.get(reqId);
    if (!s) return;
    this.requests.delete(reqId);
    this.deadlineCleared(s);
    if (s.waiter) this.workers?.pool.cancel(s.waiter);
    s.waiter = undefined;
    if (s.holdsWorker) {
      s.holdsWorker = false;
      this.workers?.pool.release();
    }
  }

  summary(): { client: ClientSummary; otherTraffic?: OtherTrafficSummary } {
    const w = this.workers?.pool;
    const c = this.connections;
    return {
      client: {
        workers: w ? w.size : null,
        sleep: this.config.sleep,
        workersBusyMax: w ? w.busyMax : 0,
        workerWaitMs: latencyStats(w ? w.waits : new Histogram()),
        saturated: this.saturated,
        timedOut: this.timedOut,
        attemptsAfterTimeout: this.attemptsAfterTimeout,
        connections: c
          ? { size: c.size, busyMax: c.busyMax, waitMs: latencyStats(c.waits), refused: c.refused }
          : null,
      },
      ...(this.other ? { otherTraffic: this.other.summary() } : {}),
    };
  }

  /** The app's deadline: the user gets a failure; a request still waiting for a worker leaves the queue. */
  private expire(reqId: string, s: RequestState): void {
    s.timer = undefined;
    if (s.userEnded) return;
    this.timedOut++;
    s.timedOut = true;
    this.failUser(s, TIMED_OUT);
    if (s.waiter) {
      this.done(reqId);
      s.hooks.dropped();
    }
  }

  private failUser(s: RequestState, outcome: LogicalOutcome): void {
    s.userEnded = true;
    s.hooks.fail(outcome);
  }

  private deadlineCleared(s: RequestState): void {
    if (s.timer && this.deadline) this.deadline.clear(s.timer);
    s.timer = undefined;
  }
}

/**
 * What squall's own transport answers for an attempt the app could not send: a client-side timeout, as
 * httpx's PoolTimeout is (the openai SDK retries it like any timeout). It never reached the upstream, so
 * the driver records no attempt for it.
 */
export function refusedAttempt(
  gate: Extract<AttemptGate, { refused: string }>,
  model: string,
): AttemptOutcome {
  return { kind: 'network', error: 'timeout', message: gate.message, model };
}

/** The same for a WHATWG fetch: the signal's reason when it was aborted, else a connection error. */
export function refusedFetch(
  gate: Extract<AttemptGate, { refused: string }>,
  signal?: AbortSignal | null,
): unknown {
  if (gate.refused === 'aborted' && signal?.aborted) return signal.reason;
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error(gate.message), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
  });
}
