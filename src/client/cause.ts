import type { ClientSummary, OtherTrafficSummary } from '../metrics/client-metrics.ts';
import type { Clock } from '../sim/clock.ts';
import type { LogicalOutcome } from '../strategies/types.ts';
import type { ClientConfig } from './types.ts';

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

/** One logical request of the app, as every cause sees it. */
export interface ClientRequest {
  readonly id: string;
  /** Its intended arrival (clock time). */
  readonly arrivalMs: number;
  readonly hooks: RequestHooks;
  /** The outcome the app already gave its user (its timeout, no worker); undefined while it has none. */
  userOutcome: LogicalOutcome['result'] | undefined;
  /** Handed to the strategy (every cause's `admit` let it through). */
  running: boolean;
}

/** What the Client summarizes into; every field is there, in result.json's order, before a cause fills its own. */
export interface ClientSummaryParts {
  client: ClientSummary;
  otherTraffic?: OtherTrafficSummary;
}

/** The run around the app (the same for every cause). */
export interface ClientEnv {
  clock: Clock;
  /** The run's seed: other traffic draws from it, so every strategy faces the same. */
  seed: string;
  originMs: number;
  durationMs: number;
}

/** What a cause gets when it is created: the run, and the Client's few shared operations. */
export interface CauseContext extends ClientEnv {
  /** The instance of a cause created before this one (earlier in CLIENT_CAUSES), if its config enabled it. */
  instanceOf<I extends CauseInstance>(cause: ClientCause<I>): I | undefined;
  /** A request the app still tracks (undefined once its work is over). */
  request(id: string): ClientRequest | undefined;
  /** Gives the user the app's own outcome (once); the strategy's work may go on. */
  failUser(req: ClientRequest, outcome: LogicalOutcome): void;
  /** The request leaves before it reached the strategy: its work is over (every cause's `onDone`). */
  drop(req: ClientRequest): void;
}

/**
 * One cause of the calling application, alive for one strategy's run. Every hook is optional; the Client
 * calls them in CLIENT_CAUSES order (`release` of attempt gates in reverse).
 */
export interface CauseInstance {
  /** A request arrived: call `next` once it may go on (now or later), or never (refuse it via the context). */
  admit?(req: ClientRequest, next: () => void): void;
  /** Before an attempt of `reqId` goes out: a slot to release when it ends, or why it may not go. */
  beforeAttempt?(reqId: string, signal?: AbortSignal): Promise<AttemptGate>;
  /** An attempt ended after its user already had the app's outcome (the work went to nobody). */
  onAbandonedAttempt?(req: ClientRequest): void;
  /** The request's work is over: free what it holds. */
  onDone?(req: ClientRequest): void;
  start?(): void;
  stop?(): void;
  /** Nothing of the cause's own is pending (the run may end); absent: always idle. */
  readonly idle?: boolean;
  summarize?(into: ClientSummaryParts): void;
}

/** A cause: its name and how it is built from the config (undefined: the config does not enable it). */
export interface ClientCause<I extends CauseInstance = CauseInstance> {
  name: string;
  create(config: ClientConfig, ctx: CauseContext): I | undefined;
}
