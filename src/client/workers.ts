import type { Clock } from '../sim/clock.ts';
import { BoundedPool } from './pool.ts';
import type { ClientConfig } from './types.ts';

/**
 * The app's worker threads/processes (gunicorn sync workers, a thread pool). In the seed article's
 * style (`time.sleep` in a retry loop) a request holds its worker for its whole life, backoff sleeps
 * included, so a slow or hung upstream ties up every worker and the app stops answering anything: the
 * competitor "down for three hours" in "AI APIs Fail. Plan for It." An async app (asyncio, Node) frees
 * the worker while it sleeps and holds it only while an attempt is in flight.
 */
export interface Workers {
  pool: BoundedPool;
  /** true: held from admission to the end of the request's work; false: per attempt. */
  heldForWholeRequest: boolean;
}

export function createWorkers(config: ClientConfig, clock: Clock): Workers | undefined {
  if (config.workers === undefined) return undefined;
  return {
    pool: new BoundedPool(config.workers, config.queue, clock),
    heldForWholeRequest: config.sleep === 'blocking',
  };
}
