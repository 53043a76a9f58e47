import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SquallError } from '../../errors.ts';
import type { Clock } from '../../sim/clock.ts';
import type { Rng } from '../../sim/rng.ts';
import type { ClassifyOptions } from '../classify.ts';
import { fromAttempt, strategyErrorOutcome } from '../outcome.ts';
import {
  type AttemptOptions,
  type AttemptOutcome,
  type EventSink,
  LOGICAL_RESULTS,
  type LogicalOutcome,
  type LogicalRequest,
  type Strategy,
} from '../types.ts';
import { AttemptTracker, trackedFetch, trackedSend } from './common.ts';

/**
 * A user's own strategy, as a module. Its default export (or a named export `strategy`) is a function
 * that receives the logical request and a context, makes attempts through `ctx.send` (or `ctx.fetch`,
 * e.g. with the official openai SDK), waits through `ctx.clock`, draws randomness from `ctx.rng`, and
 * resolves to either an attempt outcome (the last one) or a full logical outcome.
 *
 * squall counts: every `ctx.send` / `ctx.fetch` call is one attempt, whatever the module claims. A module
 * that throws gives a `strategy_error` outcome (the error goes to `ctx.log`), not a crashed run.
 *
 * In simulated time the clock is virtual, and so are the global timers (see src/sim/globals.ts), so a
 * module that calls `setTimeout` still runs in virtual time. Prefer `ctx.clock.sleep` anyway: it is
 * explicit and cancellable.
 *
 * @example
 * ```js
 * // scenarios/examples/custom-strategy.mjs
 * export default async function retryTwiceOn5xx(req, ctx) {
 *   let outcome;
 *   for (let attempt = 0; attempt < 3; attempt++) {
 *     outcome = await ctx.send(req, { model: req.model, attemptNumber: attempt, signal: ctx.signal });
 *     const retryable = outcome.kind === 'network' || outcome.status >= 500;
 *     if (!retryable) return outcome;
 *     await ctx.clock.sleep(500 * 2 ** attempt * (0.5 + ctx.rng.next() / 2), ctx.signal);
 *   }
 *   return outcome;
 * }
 * ```
 */
export type UserStrategyFunction = (
  req: LogicalRequest,
  ctx: UserStrategyContext,
) => Promise<LogicalOutcome | AttemptOutcome> | LogicalOutcome | AttemptOutcome;

export interface UserStrategyContext {
  clock: Clock;
  /** A stream of its own for this logical request (`ctx.rng.fork('user:<request id>')`). */
  rng: Rng;
  log: (message: string) => void;
  /** One attempt through the transport; counted. */
  send: (req: LogicalRequest, options: AttemptOptions) => Promise<AttemptOutcome>;
  /** The same transport as a WHATWG fetch (for real client libraries); each call counted. */
  fetch: typeof fetch;
  baseURL: string;
  /** Emit typed events, e.g. `{ type: 'retry', ... }`; attempts are emitted for you. */
  emit: EventSink;
  /** Aborts when the logical request is abandoned (deadline, run stop). */
  signal: AbortSignal | undefined;
}

const RESULTS = new Set<string>(LOGICAL_RESULTS);

/** Wraps a strategy function (already loaded) as a Strategy. */
export function userStrategy(name: string, fn: UserStrategyFunction, classify?: ClassifyOptions): Strategy {
  return {
    name,
    async call(req, ctx, signal) {
      const tracker = new AttemptTracker(ctx, req);
      const userCtx: UserStrategyContext = {
        clock: ctx.clock,
        rng: ctx.rng.fork(`user:${req.id}`),
        log: ctx.log,
        send: trackedSend(ctx, tracker),
        fetch: trackedFetch(ctx, tracker, req.model),
        baseURL: ctx.baseURL,
        emit: ctx.emit,
        signal,
      };
      let value: unknown;
      try {
        value = await fn(req, userCtx);
      } catch (e) {
        ctx.log(
          `strategy "${name}" threw on ${req.id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        );
        return strategyErrorOutcome(tracker.attempts, tracker.last);
      }
      if (isAttemptOutcome(value)) return fromAttempt(value, tracker.attempts, classify);
      if (isLogicalOutcome(value)) {
        // Trust the module's verdict, not its arithmetic: attempts are what went through ctx.
        return { ...value, attempts: tracker.attempts };
      }
      ctx.log(
        `strategy "${name}" returned ${describe(value)} for ${req.id}; expected an attempt outcome ({ kind: 'response' | 'network', ... }) or a logical outcome ({ ok, result, attempts })`,
      );
      return strategyErrorOutcome(tracker.attempts, tracker.last);
    },
  };
}

/**
 * Loads a user's strategy module: the default export, or the named export `strategy` (or `exportName`).
 * Relative paths resolve against `baseDir` (the scenario file's folder), else the working directory.
 * Throws ERR_SQUALL_STRATEGY naming the strategy and the field when the module cannot be loaded or does
 * not export a function.
 */
export async function loadUserStrategy(
  path: string,
  name: string,
  options: { baseDir?: string; exportName?: string; field?: string; classify?: ClassifyOptions } = {},
): Promise<Strategy> {
  const field = options.field ?? 'adapter.path';
  const names = options.exportName ? [options.exportName] : ['default', 'strategy'];
  const { value, exports } = await loadModuleExport(path, {
    strategy: name,
    field,
    exportNames: names,
    ...options,
  });
  if (typeof value === 'function') return userStrategy(name, value as UserStrategyFunction, options.classify);
  if (value && typeof value === 'object' && typeof (value as Strategy).call === 'function') {
    const s = value as Strategy;
    return { name, call: (req, ctx, signal) => s.call(req, ctx, signal) };
  }
  throw new SquallError(
    'ERR_SQUALL_STRATEGY',
    `strategy "${name}" ${field}: "${path}" does not export a strategy (${names.map((n) => (n === 'default' ? 'a default export' : `an export "${n}"`)).join(' or ')} that is a function (req, ctx) => outcome); found ${exports.length ? `exports: ${exports.join(', ')}` : 'no exports'}`,
    {
      hint: 'export default async function (req, ctx) { return ctx.send(req, { model: req.model, attemptNumber: 0 }); }',
    },
  );
}

/**
 * Imports a module and returns the first of `exportNames` it defines (undefined if none), plus the names
 * it does export (for error messages). Shared by the module, cockatiel and opossum adapters.
 */
export async function loadModuleExport(
  path: string,
  o: { strategy: string; field: string; exportNames: readonly string[]; baseDir?: string },
): Promise<{ value: unknown; exports: string[] }> {
  const absolute = isAbsolute(path) ? path : resolve(o.baseDir ?? process.cwd(), path);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (e) {
    throw new SquallError(
      'ERR_SQUALL_STRATEGY',
      `strategy "${o.strategy}" ${o.field}: cannot load "${path}" (${absolute}): ${e instanceof Error ? e.message : String(e)}`,
      { hint: "relative paths are resolved against the scenario file's folder", cause: e },
    );
  }
  const exports = Object.keys(module);
  for (const n of o.exportNames) {
    if (module[n] !== undefined) return { value: module[n], exports };
  }
  return { value: undefined, exports };
}

function isAttemptOutcome(v: unknown): v is AttemptOutcome {
  if (!v || typeof v !== 'object') return false;
  const o = v as { kind?: unknown; status?: unknown; error?: unknown };
  return (
    (o.kind === 'response' && typeof o.status === 'number') ||
    (o.kind === 'network' && typeof o.error === 'string')
  );
}

function isLogicalOutcome(v: unknown): v is LogicalOutcome {
  if (!v || typeof v !== 'object') return false;
  const o = v as { ok?: unknown; result?: unknown };
  return typeof o.ok === 'boolean' && RESULTS.has(o.result as LogicalOutcome['result']);
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'object') return `an object with keys ${Object.keys(v).join(', ') || '(none)'}`;
  return typeof v;
}
