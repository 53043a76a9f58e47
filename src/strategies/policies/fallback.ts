import type { Rng } from '../../sim/rng.ts';
import {
  type Backoff,
  type BackoffSpec,
  type BackoffState,
  createBackoff,
  INITIAL_BACKOFF_STATE,
} from '../backoff/index.ts';
import { integerAtLeast, oneOf, strategyError } from '../check.ts';
import { type ClassifyOptions, classify } from '../classify.ts';
import type { Policy, PolicyResult, Rejection } from '../policy.ts';
import { isRejection } from '../policy.ts';
import type { AttemptOutcome } from '../types.ts';
import { describe } from './retry.ts';

/**
 * Model fallback chain with per-error routing (the second seed article's table):
 *
 * | outcome        | default action                                   |
 * |----------------|--------------------------------------------------|
 * | 429            | backoff retry: 2^n s + uniform(0, 1) s, ≤ 60 s, 4 retries, then next model |
 * | 500            | retry twice (1 s, 2 s), then next model          |
 * | 503            | next model immediately                           |
 * | timeout        | retry once immediately, then next model          |
 * | network        | backoff retry: 2^n s, ≤ 30 s, 3 retries, then next model |
 * | client (400, 401, quota 429…) | fail: never retried, never routed around |
 * | default (502, 504, breaker open, shed…) | next model immediately  |
 *
 * `routes` overrides any of these. The chain is `models`, in order (the first is the primary; the
 * request's own model is replaced). Retry counts are per model and per route, and start afresh on each
 * model. When the last model fails too, the result is a `fallback_exhausted` rejection whose message
 * names every model and how it failed, carrying the last attempt's outcome.
 *
 * Deadline and abort are respected: a wait that would end past the logical request's deadline is not
 * started, and an abort during a wait ends the chain with `deadline_exceeded`.
 */
export type RouteKey = '429' | '500' | '503' | 'timeout' | 'network' | 'client' | 'default';
export type FallbackAction = 'fallback' | 'retry_then_fallback' | 'backoff_retry' | 'fail';

export interface FallbackRoute {
  action: FallbackAction;
  /** Retries on the same model before moving on (retry actions only); default 2. */
  retries?: number;
  /** Wait before each retry; default none (immediate). */
  backoff?: BackoffSpec;
}

export interface FallbackOptions {
  models: string[];
  routes?: Partial<Record<RouteKey, FallbackRoute>>;
  /** How outcomes are classified before routing (which 429s are client errors, etc.). */
  classify?: ClassifyOptions;
}

export const ROUTE_KEYS: readonly RouteKey[] = [
  '429',
  '500',
  '503',
  'timeout',
  'network',
  'client',
  'default',
];
export const FALLBACK_ACTIONS: readonly FallbackAction[] = [
  'fallback',
  'retry_then_fallback',
  'backoff_retry',
  'fail',
];

/** The seed article's table (see above). */
export const DEFAULT_ROUTES: Readonly<Record<RouteKey, FallbackRoute>> = Object.freeze({
  '429': {
    action: 'backoff_retry',
    retries: 4,
    backoff: {
      kind: 'exponential',
      baseMs: 1000,
      factor: 2,
      capMs: 60_000,
      jitter: 'additive',
      jitterMs: 1000,
    },
  },
  '500': {
    action: 'retry_then_fallback',
    retries: 2,
    backoff: { kind: 'exponential', baseMs: 1000, factor: 2, capMs: 5000, jitter: 'none' },
  },
  '503': { action: 'fallback' },
  timeout: { action: 'retry_then_fallback', retries: 1 },
  network: {
    action: 'backoff_retry',
    retries: 3,
    backoff: { kind: 'exponential', baseMs: 1000, factor: 2, capMs: 30_000, jitter: 'none' },
  },
  client: { action: 'fail' },
  default: { action: 'fallback' },
});

const DEFAULT_RETRIES = 2;

interface BuiltRoute {
  action: FallbackAction;
  retries: number;
  backoff: Backoff | undefined;
}

export function fallbackChain(o: FallbackOptions, where = 'fallback'): Policy {
  if (o === null || typeof o !== 'object')
    throw strategyError(where, 'models', 'fallback options are required');
  if (!Array.isArray(o.models) || o.models.length === 0) {
    throw strategyError(
      where,
      'models',
      'must list at least one model',
      'e.g. models: [gpt-4o, gpt-4o-mini]',
    );
  }
  for (const [i, m] of o.models.entries()) {
    if (typeof m !== 'string' || m.length === 0) {
      throw strategyError(where, `models[${i}]`, `must be a model name, got ${JSON.stringify(m)}`);
    }
  }
  const routes = buildRoutes(o.routes ?? {}, where);
  const chain = [...o.models];

  return {
    name: 'fallback',
    async execute(exec, next) {
      const failures: string[] = [];
      let last: AttemptOutcome | undefined;
      let rng: Rng | undefined;
      for (const [i, model] of chain.entries()) {
        if (i > 0) {
          exec.ctx.emit({
            type: 'fallback',
            requestId: exec.req.id,
            from: chain[i - 1]!,
            to: model,
            reason: failures[failures.length - 1] ?? '',
            atMs: exec.ctx.clock.now(),
          });
        }
        exec.model = model;
        const retriesUsed = new Map<RouteKey, number>();
        const backoffStates = new Map<RouteKey, BackoffState>();
        for (;;) {
          const result = await next(exec);
          if (!isRejection(result)) last = result;
          const key = routeKey(result, o.classify);
          if (key === 'success') return result;
          if (key === 'terminal') return withLast(result as Rejection, last);
          const route = routes[key];
          if (route.action === 'fail') return result;
          const used = retriesUsed.get(key) ?? 0;
          if (route.action === 'fallback' || used >= route.retries) {
            const tries = used > 0 ? ` after ${used} ${used === 1 ? 'retry' : 'retries'}` : '';
            failures.push(`${model} (${describe(result)}${tries})`);
            break;
          }
          retriesUsed.set(key, used + 1);
          let delayMs = 0;
          if (route.backoff) {
            rng ??= exec.ctx.rng.fork(`fallback:${exec.req.id}`);
            const step = route.backoff.next(backoffStates.get(key) ?? INITIAL_BACKOFF_STATE, rng);
            backoffStates.set(key, step.state);
            delayMs = step.delayMs;
          }
          const now = exec.ctx.clock.now();
          if (exec.deadlineAtMs !== undefined && now + delayMs >= exec.deadlineAtMs) {
            return deadline(`fallback: the next retry of ${model} would start after the deadline`, last);
          }
          exec.ctx.emit({
            type: 'retry',
            requestId: exec.req.id,
            attemptNumber: exec.attempts,
            delayMs,
            reason: `${describe(result)} on ${model} (fallback route ${key}: ${route.action})`,
            atMs: now,
          });
          if (delayMs > 0) {
            try {
              await exec.ctx.clock.sleep(delayMs, exec.signal);
            } catch {
              return deadline('fallback: the logical request was aborted while waiting to retry', last);
            }
          }
        }
      }
      return {
        kind: 'rejected',
        by: 'fallback',
        reason: 'fallback_exhausted',
        message: `fallback chain exhausted: all ${chain.length} ${chain.length === 1 ? 'model' : 'models'} failed: ${failures.join(', ')}`,
        ...(last ? { last } : {}),
      };
    },
  };
}

function buildRoutes(
  given: Partial<Record<RouteKey, FallbackRoute>>,
  where: string,
): Record<RouteKey, BuiltRoute> {
  if (given === null || typeof given !== 'object')
    throw strategyError(where, 'routes', 'must be a map of route → action');
  for (const key of Object.keys(given)) oneOf(where, 'routes', key, ROUTE_KEYS);
  const out = {} as Record<RouteKey, BuiltRoute>;
  for (const key of ROUTE_KEYS) {
    const route = given[key] ?? DEFAULT_ROUTES[key];
    const at = `${where}.routes.${key}`;
    if (route === null || typeof route !== 'object')
      throw strategyError(where, `routes.${key}`, 'must be an object with an action');
    const action = oneOf(at, 'action', route.action, FALLBACK_ACTIONS);
    const retries =
      route.retries === undefined ? DEFAULT_RETRIES : integerAtLeast(at, 'retries', route.retries, 0);
    out[key] = {
      action,
      retries,
      backoff: route.backoff ? createBackoff(route.backoff, `${at}.backoff`) : undefined,
    };
  }
  return out;
}

/** Which route an outcome takes; 'success' and 'terminal' (deadline, abort, exhausted) end the chain. */
function routeKey(
  result: PolicyResult,
  options: ClassifyOptions | undefined,
): RouteKey | 'success' | 'terminal' {
  if (isRejection(result)) {
    // A breaker open or a shed on this model says nothing against the next one.
    return result.reason === 'breaker_open' || result.reason === 'shed' ? 'default' : 'terminal';
  }
  const cls = classify(result, options);
  if (cls === 'success') return 'success';
  if (cls === 'client') return 'client';
  if (result.kind === 'network') return result.error === 'timeout' ? 'timeout' : 'network';
  if (result.status === 429) return '429';
  if (result.status === 500) return '500';
  if (result.status === 503) return '503';
  return 'default';
}

function withLast(r: Rejection, last: AttemptOutcome | undefined): Rejection {
  return r.last || !last ? r : { ...r, last };
}

function deadline(message: string, last: AttemptOutcome | undefined): Rejection {
  return {
    kind: 'rejected',
    by: 'fallback',
    reason: 'deadline_exceeded',
    message,
    ...(last ? { last } : {}),
  };
}
