import { latencyStats } from '../metrics/recorder.ts';
import type { AttemptGate, CauseInstance, ClientCause } from './cause.ts';
import { BoundedPool } from './pool.ts';

/**
 * The HTTP connection pool to the upstream host (httpx's `max_connections`, undici's `connections`):
 * one connection per attempt in flight, held until the attempt ends, so a hung attempt holds its
 * connection until someone's timeout gives up on it. Waiting for one is bounded on its own (httpx's pool
 * timeout); a caller that cannot get one sees the attempt fail on the client side, as `PoolTimeout` does,
 * and its strategy decides whether to retry.
 */
export const connections: ClientCause<CauseInstance> = {
  name: 'connections',
  create(config, ctx) {
    if (config.connections === undefined) return undefined;
    const pool = new BoundedPool(config.connections, config.connectionQueue, ctx.clock);
    return {
      async beforeAttempt(_reqId, signal): Promise<AttemptGate> {
        const why = await pool.acquireAsync(signal);
        if (why === 'aborted')
          return { refused: 'aborted', message: 'aborted while waiting for a connection' };
        if (why !== undefined) return { refused: 'connection', message: noConnectionMessage(pool, why) };
        return { release: () => pool.release() };
      },
      summarize(into) {
        into.client.connections = {
          size: pool.size,
          busyMax: pool.busyMax,
          waitMs: latencyStats(pool.waits),
          refused: pool.refused,
        };
      },
    };
  },
};

/** The message of an attempt that got no connection (what the strategy sees as its outcome). */
export function noConnectionMessage(pool: BoundedPool, why: string): string {
  return `client connection pool: no connection free (${pool.size} in use, ${why === 'queue_full' ? 'wait queue full' : 'waited too long'})`;
}

/**
 * The answer to a fetch that holds a pooled connection: the connection goes back when its body has been
 * read to the end, cancelled or broken, or the request is aborted, not when the head arrives, so a stream
 * that stalls midway holds its connection as it does in httpx or undici.
 */
export function releaseAfterBody(res: Response, release: () => void, signal?: AbortSignal | null): Response {
  const source = res.body;
  if (!source) {
    release();
    return res;
  }
  let released = false;
  const once = () => {
    if (released) return;
    released = true;
    signal?.removeEventListener('abort', once);
    release();
  };
  if (signal?.aborted) once();
  else signal?.addEventListener('abort', once, { once: true });
  const reader = source.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          once();
          controller.close();
        } else controller.enqueue(value);
      } catch (e) {
        once();
        controller.error(e);
      }
    },
    cancel(reason) {
      once();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
