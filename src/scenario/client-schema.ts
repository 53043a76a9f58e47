import { z } from 'zod';
import type { ClientConfig, QueueLimits } from '../client/types.ts';
import { rate } from '../traffic/parse.ts';
import { durationMs, latencyOf, latencySchema } from './upstream-schema.ts';

/**
 * The `client:` section: the calling application's own resources, which every strategy of the run gets a
 * copy of (src/client/). Snake_case as users write it; converted to ClientConfig.
 *
 *   client:
 *     workers: 8                          # gunicorn's sync workers, a thread pool
 *     sleep: blocking                     # time.sleep in the retry loop holds the worker (or: async)
 *     queue: { max: 100, timeout: 30s }   # waiting for a worker, bounded
 *     connections: 10                     # HTTP connections to the upstream host
 *     timeout: 30s                        # the gateway in front of the app gives up then
 *     other_traffic:
 *       - { name: product-page, rate: 20/s, service_time: { median: 50ms, p99: 300ms } }
 */

/** Limits on the app's sizes: a typo such as 1e9 workers is refused rather than simulated. */
export const MAX_CLIENT_WORKERS = 100_000;
export const MAX_CLIENT_QUEUE = 1_000_000;
export const MAX_OTHER_ROUTES = 50;

/**
 * Defaults for waiting: gunicorn's listen backlog (`--backlog`, default 2048) bounds how many requests
 * wait for a worker, and 30 s is the timeout of gunicorn's workers and of common gateways (AWS API
 * Gateway's integration timeout is 29 s). The same default bounds the wait for a connection.
 */
export const DEFAULT_CLIENT_QUEUE: QueueLimits = { max: 2048, timeoutMs: 30_000 };

const ROUTE_NAME = /^[A-Za-z0-9/][A-Za-z0-9._/-]*$/;

const positiveDuration = durationMs.refine((ms) => ms > 0, { error: 'must be more than 0' });

const queueSchema = z.strictObject({
  max: z
    .number()
    .int()
    .min(0)
    .max(MAX_CLIENT_QUEUE)
    .optional()
    .describe('most callers waiting at once (default 2048)'),
  timeout: positiveDuration.optional().describe('longest a caller waits (default 30s)'),
});

const routeSchema = z.strictObject({
  name: z.string().regex(ROUTE_NAME, {
    error: 'a route name is letters, digits, "/", ".", "_" and "-" (it names a row of the report)',
  }),
  rate: rate.describe('arrivals per unit (Poisson), e.g. 20/s'),
  service_time: latencySchema.describe('how long a request of the route holds its worker'),
});

export const clientSchema = z
  .strictObject({
    workers: z
      .number()
      .int()
      .min(1)
      .max(MAX_CLIENT_WORKERS)
      .optional()
      .describe("the app's worker threads or processes; absent: no limit"),
    sleep: z
      .enum(['blocking', 'async'])
      .optional()
      .describe(
        'blocking (default): a request holds its worker through backoff sleeps; async: only during attempts',
      ),
    queue: queueSchema
      .optional()
      .describe('waiting for a worker; a request that gets none fails as client_saturated'),
    connections: z
      .number()
      .int()
      .min(1)
      .max(MAX_CLIENT_WORKERS)
      .optional()
      .describe('HTTP connections to the upstream host, one per attempt in flight; absent: no limit'),
    connection_queue: queueSchema
      .optional()
      .describe('waiting for a connection (a pool timeout fails the attempt)'),
    timeout: positiveDuration
      .optional()
      .describe("the app's deadline towards its caller, from arrival; the work it started goes on"),
    other_traffic: z
      .array(routeSchema)
      .max(MAX_OTHER_ROUTES)
      .optional()
      .describe('routes that never call the LLM but need a worker: the blast radius'),
  })
  .superRefine(
    (c, ctx) => {
      // Runs even when fields are invalid (every problem at once), so nothing here trusts a field's type.
      if (!c || typeof c !== 'object') return;
      const routes = Array.isArray(c.other_traffic) ? c.other_traffic : [];
      if (routes.length > 0 && c.workers === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['other_traffic'],
          message: "other traffic shares the app's workers, but `client.workers` is not set",
          params: { hint: 'add e.g. `workers: 8` (the worker threads or processes serving every route)' },
        });
      }
      const seen = new Map<string, number>();
      routes.forEach((r, i) => {
        const name = (r as { name?: unknown } | undefined)?.name;
        if (typeof name !== 'string') return;
        if (seen.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['other_traffic', i, 'name'],
            message: `"${name}" is already the name of other_traffic[${seen.get(name)}]`,
            params: { hint: 'every route needs its own name: the report shows one row per route' },
          });
        } else seen.set(name, i);
      });
    },
    { when: () => true },
  )
  .describe(
    'the calling application: its workers, connections, own deadline and other traffic; each strategy gets its own copy',
  );

export type ClientSection = z.output<typeof clientSchema>;

/** Fills defaults and converts to ClientConfig (plain data: it crosses to worker threads). */
export function toClientConfig(c: ClientSection): ClientConfig {
  const queueOf = (q: ClientSection['queue']): QueueLimits => ({
    max: q?.max ?? DEFAULT_CLIENT_QUEUE.max,
    timeoutMs: q?.timeout ?? DEFAULT_CLIENT_QUEUE.timeoutMs,
  });
  return {
    ...(c.workers !== undefined ? { workers: c.workers } : {}),
    sleep: c.sleep ?? 'blocking',
    queue: queueOf(c.queue),
    ...(c.connections !== undefined ? { connections: c.connections } : {}),
    connectionQueue: queueOf(c.connection_queue),
    ...(c.timeout !== undefined ? { timeoutMs: c.timeout } : {}),
    otherTraffic: (c.other_traffic ?? []).map((r) => ({
      name: r.name,
      ratePerSec: r.rate,
      serviceTime: latencyOf(r.service_time),
    })),
  };
}
