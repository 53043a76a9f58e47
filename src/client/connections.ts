import type { Clock } from '../sim/clock.ts';
import { BoundedPool } from './pool.ts';
import type { ClientConfig } from './types.ts';

/**
 * The HTTP connection pool to the upstream host (httpx's `max_connections`, undici's `connections`):
 * one connection per attempt in flight, held until the attempt ends, so a hung attempt holds its
 * connection until someone's timeout gives up on it. Waiting for one is bounded on its own (httpx's pool
 * timeout); a caller that cannot get one sees the attempt fail on the client side, as `PoolTimeout` does,
 * and its strategy decides whether to retry.
 */
export function createConnections(config: ClientConfig, clock: Clock): BoundedPool | undefined {
  if (config.connections === undefined) return undefined;
  return new BoundedPool(config.connections, config.connectionQueue, clock);
}

/** The message of an attempt that got no connection (what the strategy sees as its outcome). */
export function noConnectionMessage(pool: BoundedPool, why: string): string {
  return `client connection pool: no connection free (${pool.size} in use, ${why === 'queue_full' ? 'wait queue full' : 'waited too long'})`;
}
