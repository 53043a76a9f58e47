import type { ClientSummary, OtherTrafficSummary } from '../metrics/client-metrics.ts';
import { Histogram } from '../metrics/histogram.ts';
import { latencyStats } from '../metrics/recorder.ts';
import type { AttemptOutcome, LogicalOutcome, LogicalRequest } from '../strategies/types.ts';
import type {
  AttemptGate,
  CauseContext,
  CauseInstance,
  ClientCause,
  ClientEnv,
  ClientRequest,
  ClientSummaryParts,
  RequestHooks,
} from './cause.ts';
import { CLIENT_CAUSES } from './causes.ts';
import type { ClientConfig } from './types.ts';

export type { AttemptGate, ClientEnv, RequestHooks } from './cause.ts';
export type { ClientConfig, OtherRoute, QueueLimits } from './types.ts';

const FREE: AttemptGate = { release() {} };

/**
 * The calling application around one strategy's run: the causes of CLIENT_CAUSES (causes.ts, one file
 * each) that its config enables, each created with the instances before it. The driver asks it three
 * things: may this request start (`request`: every cause's `admit`), may this attempt go out (`attempt`:
 * every cause's `beforeAttempt`), and the request's work is over (`done`: every cause's `onDone`). Every
 * strategy gets its own Client, built from the same config.
 */
export class Client {
  private readonly causes: CauseInstance[] = [];
  private readonly gates: CauseInstance[];
  private readonly requests = new Map<string, ClientRequest>();
  /** Whether attempts need `attempt()` at all (a pool per attempt); false spares the driver a promise. */
  readonly gatesAttempts: boolean;

  private readonly config: ClientConfig;

  constructor(config: ClientConfig, env: ClientEnv, causes: readonly ClientCause[] = CLIENT_CAUSES) {
    this.config = config;
    const created = new Map<ClientCause, CauseInstance>();
    const ctx: CauseContext = {
      ...env,
      instanceOf: <I extends CauseInstance>(cause: ClientCause<I>) => created.get(cause) as I | undefined,
      request: (id) => this.requests.get(id),
      failUser: (req, outcome) => this.failUser(req, outcome),
      drop: (req) => {
        this.done(req.id);
        req.hooks.dropped();
      },
    };
    for (const cause of causes) {
      const instance = cause.create(config, ctx);
      if (!instance) continue;
      created.set(cause, instance);
      this.causes.push(instance);
    }
    this.gates = this.causes.filter((c) => c.beforeAttempt !== undefined);
    this.gatesAttempts = this.gates.length > 0;
  }

  /** Starts the causes' own work, such as other traffic (the run's clock must be at its origin or before). */
  start(): void {
    for (const c of this.causes) c.start?.();
  }

  stop(): void {
    for (const c of this.causes) c.stop?.();
  }

  /** Nothing of the app's own is pending (the driver's run may end). */
  get idle(): boolean {
    return this.causes.every((c) => c.idle ?? true);
  }

  /** A logical request arrived: every cause admits it in turn (the last one hands it to the strategy). */
  request(req: LogicalRequest, hooks: RequestHooks): void {
    const r: ClientRequest = {
      id: req.id,
      arrivalMs: req.arrivalMs,
      hooks,
      userOutcome: undefined,
      running: false,
    };
    this.requests.set(req.id, r);
    const admitFrom = (i: number): void => {
      for (; i < this.causes.length; i++) {
        const admit = this.causes[i]!.admit;
        if (admit) {
          const next = i + 1;
          admit.call(this.causes[i], r, () => admitFrom(next));
          return;
        }
      }
      r.running = true;
      hooks.run();
    };
    admitFrom(0);
  }

  /** Before an attempt goes out: each gating cause's slot in turn (a worker, a connection), each bounded. */
  async attempt(reqId: string, signal?: AbortSignal): Promise<AttemptGate> {
    if (!this.gatesAttempts) return FREE;
    const held: { release(): void }[] = [];
    for (const c of this.gates) {
      const gate = await c.beforeAttempt!(reqId, signal);
      if ('refused' in gate) {
        releaseAll(held);
        return gate;
      }
      held.push(gate);
    }
    return held.length === 1 ? held[0]! : { release: () => releaseAll(held) };
  }

  /**
   * An attempt of `reqId` ended: true when its user had already been answered by the app (its timeout,
   * or no worker for a later attempt), so the attempt's work (still billed) went to nobody, as an
   * abandoned attempt's does.
   */
  attemptAbandoned(reqId: string): boolean {
    const r = this.requests.get(reqId);
    if (r?.userOutcome === undefined) return false;
    for (const c of this.causes) c.onAbandonedAttempt?.(r);
    return true;
  }

  /** The request's work is over (the strategy returned, or the driver's deadline gave up on it). */
  done(reqId: string): void {
    const r = this.requests.get(reqId);
    if (!r) return;
    this.requests.delete(reqId);
    for (const c of this.causes) c.onDone?.(r);
  }

  summary(): { client: ClientSummary; otherTraffic?: OtherTrafficSummary } {
    // Every field in result.json's order, as it reads without the cause that fills it.
    const into: ClientSummaryParts = {
      client: {
        workers: null,
        sleep: this.config.sleep,
        workersBusyMax: 0,
        workerWaitMs: latencyStats(new Histogram()),
        saturated: 0,
        timedOut: 0,
        attemptsAfterTimeout: 0,
        connections: null,
      },
    };
    for (const c of this.causes) c.summarize?.(into);
    return into;
  }

  private failUser(r: ClientRequest, outcome: LogicalOutcome): void {
    r.userOutcome = outcome.result;
    r.hooks.fail(outcome);
  }
}

/** Gives slots back in reverse order of taking them (the connection before the worker). */
function releaseAll(held: readonly { release(): void }[]): void {
  for (let i = held.length - 1; i >= 0; i--) held[i]!.release();
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
