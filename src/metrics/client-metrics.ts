import { Histogram } from './histogram.ts';
import { type LatencyStats, latencyStats } from './recorder.ts';

/**
 * What the calling application's own resources did during one strategy's run (`summary.client` in
 * result.json), and what the LLM's trouble did to the rest of the app (`summary.otherTraffic`: the blast
 * radius). Present only when the scenario has a `client:` section.
 */
export interface ClientSummary {
  /** Worker pool size; null when the app has no worker limit. */
  workers: number | null;
  sleep: 'blocking' | 'async';
  /** The most workers held at once (LLM requests and other traffic together). */
  workersBusyMax: number;
  /** Wait for a worker, every request that asked for one (refused ones included: they waited too). */
  workerWaitMs: LatencyStats;
  /** Logical LLM requests that failed for want of a worker (queue full or waited too long). */
  saturated: number;
  /** Logical LLM requests whose user got the app's own timeout. */
  timedOut: number;
  /** Attempts that ended after their user had already got the app's timeout (still billed). */
  attemptsAfterTimeout: number;
  /** The connection pool; null when the app has no connection limit. */
  connections: {
    size: number;
    busyMax: number;
    waitMs: LatencyStats;
    /** Attempts that got no connection (the strategy saw them fail on the client side). */
    refused: number;
  } | null;
}

/** One route's (or all routes') requests that never call the LLM. Every offered request is accounted for. */
export interface OtherTrafficStats {
  offered: number;
  succeeded: number;
  failed: {
    /** No worker: the queue was full or the wait ran out. */
    saturated: number;
    /** The app's own timeout fired first. */
    timeout: number;
  };
  /** Offered but not finished when the run ended. */
  unfinished: number;
  /** succeeded / offered; null when nothing was offered. */
  successRate: number | null;
  /** From arrival to the answer (success or failure), for every request that finished. */
  latencyMs: LatencyStats;
}

export interface OtherTrafficSummary extends OtherTrafficStats {
  routes: Record<string, OtherTrafficStats>;
}

/** Counts for one route, or for all of them. */
export class OtherTrafficCounter {
  offered = 0;
  succeeded = 0;
  saturated = 0;
  timedOut = 0;
  readonly latency = new Histogram();

  onOffered(): void {
    this.offered++;
  }

  onEnd(ok: boolean, why: 'saturated' | 'timeout' | undefined, latencyMs: number): void {
    if (ok) this.succeeded++;
    else if (why === 'saturated') this.saturated++;
    else this.timedOut++;
    this.latency.record(Math.max(0, latencyMs) * 1000);
  }

  stats(): OtherTrafficStats {
    const failed = this.saturated + this.timedOut;
    return {
      offered: this.offered,
      succeeded: this.succeeded,
      failed: { saturated: this.saturated, timeout: this.timedOut },
      unfinished: this.offered - this.succeeded - failed,
      successRate: this.offered === 0 ? null : this.succeeded / this.offered,
      latencyMs: latencyStats(this.latency),
    };
  }
}
