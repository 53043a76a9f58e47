import { sampleLatencyMs } from '../../mock-upstream/model/latency.ts';
import { OtherTrafficCounter, type OtherTrafficSummary } from '../metrics/client-metrics.ts';
import type { Clock, TimerHandle } from '../sim/clock.ts';
import { Rng } from '../sim/rng.ts';
import type { CauseInstance, ClientCause, ClientSummaryParts } from './cause.ts';
import { type ClientDeadline, deadline } from './deadline.ts';
import type { OtherRoute } from './types.ts';
import { type Workers, workers } from './workers.ts';

export interface OtherTrafficEnv {
  clock: Clock;
  seed: string;
  /** Clock time of t = 0 of the run; arrivals fall in [originMs, originMs + durationMs). */
  originMs: number;
  durationMs: number;
  workers: Workers | undefined;
  deadline: ClientDeadline | undefined;
}

/**
 * The rest of the app: routes that never call the LLM (a health check, a product page, a login) but
 * need a worker like any request. Their success rate and latency are the blast radius of the LLM's
 * outage: with blocking workers held by hung calls, these starve too, and the app is "down" although
 * only one of its dependencies is.
 *
 * Arrivals are Poisson at each route's rate and service times are drawn at arrival, from streams forked
 * off the run's seed (not the strategy's): every strategy faces the same other traffic, in sim and live
 * mode alike. A request waits for a worker like an LLM request (same queue, same limits), holds it for
 * its service time, and fails when it gets none or when the app's own timeout fires first (its handler
 * still runs to the end, holding the worker, as a thread would).
 */
export class OtherTraffic implements CauseInstance {
  private readonly total = new OtherTrafficCounter();
  private readonly counters: OtherTrafficCounter[];
  private pendingArrivals = 0;
  private inService = 0;
  private stopped = false;

  private readonly routes: readonly OtherRoute[];
  private readonly env: OtherTrafficEnv;

  constructor(routes: readonly OtherRoute[], env: OtherTrafficEnv) {
    this.routes = routes;
    this.env = env;
    this.counters = routes.map(() => new OtherTrafficCounter());
  }

  /** Schedules every route's arrivals, one pending timer per route at a time. */
  start(): void {
    const root = new Rng(this.env.seed).fork('client:other-traffic');
    this.routes.forEach((route, i) => {
      const arrivals = root.fork(`arrivals:${route.name}`);
      const service = root.fork(`service:${route.name}`);
      const meanGapMs = 1000 / route.ratePerSec;
      let atMs = this.env.originMs;
      const next = () => {
        atMs += arrivals.exponential(meanGapMs);
        if (this.stopped || atMs >= this.env.originMs + this.env.durationMs) {
          this.pendingArrivals--;
          return;
        }
        const arrivalMs = atMs;
        this.env.clock.setTimeout(() => {
          this.arrive(i, arrivalMs, sampleLatencyMs(route.serviceTime, service));
          next();
        }, arrivalMs - this.env.clock.now());
      };
      this.pendingArrivals++;
      next();
    });
  }

  /** No arrival pending and nothing holding a worker. */
  get idle(): boolean {
    return this.pendingArrivals === 0 && this.inService === 0;
  }

  stop(): void {
    this.stopped = true;
  }

  private arrive(route: number, arrivalMs: number, serviceMs: number): void {
    const { clock, workers, deadline } = this.env;
    const counter = this.counters[route]!;
    counter.onOffered();
    this.total.onOffered();
    let answered = false;
    let timer: TimerHandle | undefined;
    const answer = (ok: boolean, why?: 'saturated' | 'timeout') => {
      if (answered) return;
      answered = true;
      clock.clearTimeout(timer);
      const latencyMs = clock.now() - arrivalMs;
      counter.onEnd(ok, why, latencyMs);
      this.total.onEnd(ok, why, latencyMs);
    };
    const serve = (release?: () => void) => {
      this.inService++;
      clock.setTimeout(() => {
        this.inService--;
        release?.();
        answer(true);
      }, serviceMs);
    };
    const waiter = workers?.pool.acquire(
      () => serve(() => workers.pool.release()),
      () => answer(false, 'saturated'),
    );
    if (!workers) serve();
    if (answered || !deadline) return;
    timer = deadline.arm(arrivalMs, () => {
      if (waiter) workers!.pool.cancel(waiter);
      answer(false, 'timeout');
    });
  }

  summary(): OtherTrafficSummary {
    return {
      ...this.total.stats(),
      routes: Object.fromEntries(this.routes.map((r, i) => [r.name, this.counters[i]!.stats()])),
    };
  }

  summarize(into: ClientSummaryParts): void {
    into.otherTraffic = this.summary();
  }
}

/** The cause: needs the workers and the deadline, so it comes after them in CLIENT_CAUSES. */
export const otherTraffic: ClientCause<OtherTraffic> = {
  name: 'other_traffic',
  create(config, ctx) {
    if (config.otherTraffic.length === 0) return undefined;
    return new OtherTraffic(config.otherTraffic, {
      clock: ctx.clock,
      seed: ctx.seed,
      originMs: ctx.originMs,
      durationMs: ctx.durationMs,
      workers: ctx.instanceOf(workers),
      deadline: ctx.instanceOf(deadline),
    });
  },
};
