import { Worker } from 'node:worker_threads';
import { SquallError, type SquallErrorCode } from '../errors.ts';
import type { TrafficSpec } from '../traffic/index.ts';
import type { Progress, RunSettings, StrategyRunResult } from './run-strategy.ts';

/**
 * Strategies of one experiment on a pool of worker threads (simulated time only). Each strategy is already
 * isolated (own upstream, own virtual clock, the same seeded traffic and fault draws), so running several
 * at once changes nothing but the wall time. Builders are closures and cannot cross threads: a worker
 * rebuilds its strategy from a serializable {@link StrategySpec}, and everything else it needs travels as
 * plain data ({@link WorkerRunData}), checked before any thread starts.
 */

/** What `buildStrategy(config, { baseDir })` takes: enough to rebuild the strategy in another thread. */
export interface StrategySpec {
  /** The raw strategy config, as in a scenario file's `strategies:` list. */
  config: unknown;
  /** Folder that module paths in the config are relative to. */
  baseDir?: string;
}

/** Everything a worker needs besides the strategy: the same for every strategy of the run. */
export interface WorkerRunData extends RunSettings {
  /** The traffic's spec: each thread draws the same trace from it. */
  traffic: TrafficSpec;
  /** Whether anyone listens to progress (posting ~7,200 messages per simulated 2 h costs a little). */
  progress: boolean;
}

export interface WorkerJob {
  index: number;
  name: string;
  usesGlobals: boolean;
  spec: StrategySpec;
}

export type ToWorker = { type: 'run'; job: WorkerJob } | { type: 'abort' };

export type FromWorker =
  | { type: 'progress'; index: number; progress: Progress }
  | { type: 'done'; index: number; result: StrategyRunResult }
  /** The abort came before the strategy started: nothing ran (the sequential path would not start it). */
  | { type: 'skipped'; index: number }
  | { type: 'failed'; index: number; error: SerializedError };

/** An error as it crosses threads: structured clone keeps only name, message and stack of an Error. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Set when it was a SquallError, so the main thread can raise the same code and hint. */
  squall?: { code: SquallErrorCode; hint?: string };
}

export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const code = (e as { code?: unknown }).code;
  const hint = (e as { hint?: unknown }).hint;
  // Duck-typed: in the worker, SquallError is the worker's own class.
  const squall =
    typeof code === 'string' && code.startsWith('ERR_SQUALL_')
      ? { code: code as SquallErrorCode, ...(typeof hint === 'string' ? { hint } : {}) }
      : undefined;
  return {
    name: e.name,
    message: e.message,
    ...(e.stack ? { stack: e.stack } : {}),
    ...(squall ? { squall } : {}),
  };
}

/** The error the sequential path would have thrown: a SquallError with the same code and hint, or an Error. */
export function deserializeError(s: SerializedError): Error {
  const e = s.squall
    ? new SquallError(s.squall.code, s.message, s.squall.hint !== undefined ? { hint: s.squall.hint } : {})
    : new Error(s.message);
  if (!s.squall) e.name = s.name;
  if (s.stack) e.stack = s.stack;
  return e;
}

/**
 * Where `value` stops being plain data (a function, a symbol, a class instance whose methods a copy to
 * another thread would drop), as a path such as `upstream.phases[0].faults`; undefined when it is plain.
 * Stricter than structuredClone, which silently turns class instances into bare objects.
 */
export function notPlainData(value: unknown, path: string, seen = new Set<object>()): string | undefined {
  if (value === null) return undefined;
  const t = typeof value;
  if (t === 'function') return `${path} is a function`;
  if (t === 'symbol') return `${path} is a symbol`;
  if (t !== 'object') return undefined;
  const o = value as object;
  if (seen.has(o)) return undefined;
  seen.add(o);
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const bad = notPlainData(o[i], `${path}[${i}]`, seen);
      if (bad) return bad;
    }
    return undefined;
  }
  if (o instanceof Date || o instanceof RegExp || ArrayBuffer.isView(o)) return undefined;
  const proto = Object.getPrototypeOf(o);
  if (proto !== Object.prototype && proto !== null) {
    return `${path} is an instance of ${(proto as { constructor?: { name?: string } }).constructor?.name ?? 'a class'}`;
  }
  for (const [k, v] of Object.entries(o)) {
    const bad = notPlainData(v, `${path}.${k}`, seen);
    if (bad) return bad;
  }
  return undefined;
}

/**
 * V8 heap limits of each worker. Without them a worker's heap is sized like a process's (a 4 GB old
 * generation, a 64 MB semi-space), and V8 lets garbage pile up to a large multiple of the live data before
 * collecting, so every thread adds a few hundred MB: on bench/sim-throughput.ts (6 strategies × 2 h of
 * 2,000 rpm, 2 workers) peak RSS was 600-620 MB, against a goal of 512 MB. A strategy's live data is small
 * (about 30-45 MB of heap after a full collection on that bench, modules included), so the limits cost little:
 *
 * - young generation 64 MB, i.e. 32 MB semi-spaces (V8 rounds the semi-space to a power of two): the
 *   simulator allocates short-lived promises and records at a great rate, and halving the semi-space to
 *   16 MB (a limit of 48) doubled the scavenges; doubling it to 64 MB (a limit of 128) put peak RSS back
 *   above 512 MB.
 * - old generation 1,792 MB. V8 lets the old generation grow to a multiple of the live data before the
 *   next full collection, and picks that multiple from this limit: about 1.6 at 1 GB, 1.9 here, and 4 from
 *   2 GB up. 4 was the fastest (CPU 15.6-16.9 s on the bench, against 18-19 s here and 19-20.5 s at 1 GB)
 *   but peaked at 466-545 MB; 1.9 peaked at 417-430 MB in 3 runs. It is also the ceiling that turns a
 *   leaking strategy into a clear error rather than a swapping machine.
 *
 * Measured on that bench when this was set (2 cores, 2 workers, 3 runs each): 9.7-10.2 s wall here,
 * 10.2-11.0 s at 1 GB.
 */
export const WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 1792, maxYoungGenerationSizeMb: 64 } as const;

export interface PoolOptions {
  workers: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Default {@link WORKER_RESOURCE_LIMITS}. */
  resourceLimits?: { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number };
}

/** The outcome of each job, by position in `jobs`: a result, or undefined when abort skipped it. */
export type PoolResults = Array<StrategyRunResult | undefined>;

const WORKER_URL = new URL('./strategy-thread.ts', import.meta.url);

/**
 * Runs `jobs` on `options.workers` threads, each pulling the next job (in plan order) when it finishes
 * one. On abort, running strategies stop at their next slice and return partial results; jobs not
 * started are skipped. When a job fails, the error surfaces as it would sequentially: jobs before it
 * (all already started, since jobs start in order) finish, in case one of them fails too, later ones are
 * dropped, and the error of the earliest failed job is thrown. Every worker is terminated before this
 * returns or throws.
 */
export async function runInWorkers(
  jobs: readonly WorkerJob[],
  data: WorkerRunData,
  options: PoolOptions,
): Promise<PoolResults> {
  const limits = options.resourceLimits ?? WORKER_RESOURCE_LIMITS;
  const results: PoolResults = new Array(jobs.length).fill(undefined);
  const errors = new Map<number, Error>();
  /** Which job each live worker is running (absent: idle or gone). */
  const running = new Map<Worker, number>();
  const workers: Worker[] = [];
  let next = 0;
  let failedAt = Number.POSITIVE_INFINITY;
  let aborted = options.signal?.aborted === true;
  let settle!: () => void;
  const allSettled = new Promise<void>((resolve) => {
    settle = resolve;
  });

  const checkSettled = () => {
    if (running.size === 0 && (next >= jobs.length || aborted || errors.size > 0)) settle();
  };
  const fail = (index: number, e: Error) => {
    errors.set(index, e);
    failedAt = Math.min(failedAt, index);
    // Later jobs cannot matter any more: the sequential path would never have reached them.
    for (const [w, i] of running) {
      if (i > failedAt) {
        running.delete(w);
        void w.terminate();
      }
    }
  };
  const dispatch = (w: Worker) => {
    if (aborted || errors.size > 0 || next >= jobs.length) {
      checkSettled();
      return;
    }
    const job = jobs[next++]!;
    running.set(w, job.index);
    w.postMessage({ type: 'run', job } satisfies ToWorker);
  };
  const onAbort = () => {
    aborted = true;
    for (const w of running.keys()) w.postMessage({ type: 'abort' } satisfies ToWorker);
    checkSettled();
  };

  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const count = Math.max(1, Math.min(options.workers, jobs.length));
    for (let k = 0; k < count && !aborted; k++) {
      const w = new Worker(WORKER_URL, { workerData: data, resourceLimits: limits });
      workers.push(w);
      w.on('message', (m: FromWorker) => {
        const index = running.get(w);
        if (index !== m.index) return; // a dropped job's late message
        switch (m.type) {
          case 'progress':
            try {
              options.onProgress?.(m.progress);
            } catch (e) {
              // As sequentially, where the callback's throw ends the run: this strategy stops here.
              running.delete(w);
              void w.terminate();
              fail(index, e instanceof Error ? e : new Error(String(e)));
              checkSettled();
            }
            return;
          case 'done':
            results[index] = m.result;
            break;
          case 'skipped':
            break;
          case 'failed':
            fail(index, deserializeError(m.error));
            break;
        }
        running.delete(w);
        dispatch(w);
      });
      w.on('error', (e: Error) => {
        const index = running.get(w);
        if (index === undefined) return;
        running.delete(w);
        fail(index, workerCrash(jobs[index]!, e, limits.maxOldGenerationSizeMb));
        checkSettled();
      });
      w.on('exit', (code) => {
        const index = running.get(w);
        if (index === undefined) return; // terminated by us, or idle
        running.delete(w);
        fail(
          index,
          new SquallError(
            'ERR_SQUALL_INTERNAL',
            `the worker thread running strategy "${jobs[index]!.name}" exited (code ${code}) before it finished`,
          ),
        );
        checkSettled();
      });
      dispatch(w);
    }
    checkSettled();
    await allSettled;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (errors.size > 0) throw errors.get(failedAt)!;
  return results;
}

function workerCrash(job: WorkerJob, e: Error, heapMb: number): Error {
  if ((e as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new SquallError(
      'ERR_SQUALL_SIM_LIMIT',
      `strategy "${job.name}" needed more than ${heapMb} MB of heap in its worker thread`,
      {
        hint: 'a strategy that keeps state per request may be leaking; --workers 1 runs strategies on the main thread, without this cap',
        cause: e,
      },
    );
  }
  // An uncaught exception in the worker (e.g. thrown from a strategy's stray callback): what would have
  // crashed the sequential run.
  return e;
}
