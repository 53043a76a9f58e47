import { latencyStats } from '../metrics/recorder.ts';
import type { LogicalOutcome } from '../strategies/types.ts';
import type { AttemptGate, CauseContext, CauseInstance, ClientCause, ClientSummaryParts } from './cause.ts';
import { BoundedPool, type PoolWaiter } from './pool.ts';
import type { ClientConfig } from './types.ts';

/**
 * The app's worker threads/processes (gunicorn sync workers, a thread pool). In the seed article's
 * style (`time.sleep` in a retry loop) a request holds its worker for its whole life, backoff sleeps
 * included, so a slow or hung upstream ties up every worker and the app stops answering anything: the
 * competitor "down for three hours" in "AI APIs Fail. Plan for It." An async app (asyncio, Node) frees
 * the worker while it sleeps and holds it only while an attempt is in flight.
 */
export interface Workers extends CauseInstance {
  pool: BoundedPool;
  /** true: held from admission to the end of the request's work; false: per attempt. */
  heldForWholeRequest: boolean;
}

const SATURATED: LogicalOutcome = { ok: false, result: 'client_saturated', attempts: 0 };

export const workers: ClientCause<Workers> = {
  name: 'workers',
  create(config: ClientConfig, ctx: CauseContext): Workers | undefined {
    if (config.workers === undefined) return undefined;
    const pool = new BoundedPool(config.workers, config.queue, ctx.clock);
    let saturated = 0;
    const summarize = (into: ClientSummaryParts) => {
      into.client.workers = pool.size;
      into.client.workersBusyMax = pool.busyMax;
      into.client.workerWaitMs = latencyStats(pool.waits);
      into.client.saturated = saturated;
    };
    if (config.sleep === 'blocking') {
      // Per request: its place in the queue while it waits, then 'held' until its work is over.
      const held = new Map<string, PoolWaiter | 'held'>();
      return {
        pool,
        heldForWholeRequest: true,
        summarize,
        admit(req, next) {
          const waiter = pool.acquire(
            () => {
              held.set(req.id, 'held');
              next();
            },
            () => {
              held.delete(req.id);
              saturated++;
              ctx.failUser(req, SATURATED);
              ctx.drop(req);
            },
          );
          if (waiter) held.set(req.id, waiter);
        },
        onDone(req) {
          const h = held.get(req.id);
          if (h === undefined) return;
          held.delete(req.id);
          if (h === 'held') pool.release();
          else pool.cancel(h);
        },
      };
    }
    return {
      pool,
      heldForWholeRequest: false,
      summarize,
      async beforeAttempt(reqId, signal): Promise<AttemptGate> {
        const why = await pool.acquireAsync(signal);
        if (why === 'aborted') return { refused: 'aborted', message: 'aborted while waiting for a worker' };
        if (why !== undefined) {
          const req = ctx.request(reqId);
          if (req && req.userOutcome === undefined) {
            saturated++;
            ctx.failUser(req, SATURATED);
            req.hooks.abort();
          }
          return { refused: 'saturated', message: `client saturated: no worker free (${pool.size} busy)` };
        }
        return { release: () => pool.release() };
      },
    };
  },
};
