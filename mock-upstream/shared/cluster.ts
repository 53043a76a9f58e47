import cluster, { type Worker } from 'node:cluster';
import { SquallError } from '../../src/errors.ts';
import { RateLimits } from '../model/buckets.ts';
import type { UpstreamConfig } from '../types.ts';
import { serveBucketsTo } from './ipc.ts';

/**
 * `squall serve --workers N` on one machine: the primary forks N workers that run the same command line
 * (node:cluster re-runs argv) and share one listening port; the kernel-facing accept is the primary's,
 * and it hands connections out round-robin.
 *
 * Coherence: the primary fixes the schedule start and passes it to every worker (so their schedules are
 * the same function of time), and unless Redis holds the buckets, it holds them itself and answers the
 * workers over IPC (ipc.ts).
 */
const START_ENV = 'SQUALL_SERVE_START_MS';

export interface PrimaryOptions {
  workers: number;
  startMs: number;
  config: UpstreamConfig;
  /** The buckets are in Redis: the primary keeps none. */
  redis: boolean;
}

export function isServeWorker(): boolean {
  return cluster.isWorker && process.env[START_ENV] !== undefined;
}

/** In a worker: the start the primary fixed. */
export function workerStartMs(): number {
  return Number(process.env[START_ENV]);
}

/** In a worker: tells the primary it listens. */
export function reportReady(baseURL: string): void {
  process.send?.({ squall: 'ready', baseURL });
}

/**
 * Forks the workers, waits until every one listens, and resolves with the base URL (the same for all).
 * `stop()` ends the workers; `exited` resolves when the primary should exit (a signal, or a worker that
 * died: a silently smaller pool would make benchmarks lie).
 */
export async function startPrimary(
  o: PrimaryOptions,
): Promise<{ baseURL: string; stop: () => Promise<void>; exited: Promise<string> }> {
  const limits = o.redis ? undefined : new RateLimits(o.config.rateLimits, o.config.rateLimitsByKey ?? {});
  cluster.setupPrimary({ serialization: 'advanced' });
  const workers: Worker[] = [];
  let stopping = false;
  let onExit: (why: string) => void = () => {};
  const exited = new Promise<string>((resolve) => {
    onExit = resolve;
  });
  const ready = Array.from({ length: o.workers }, () => {
    const w = cluster.fork({ [START_ENV]: String(o.startMs) });
    workers.push(w);
    if (limits) serveBucketsTo(w, limits);
    return new Promise<string>((resolve, reject) => {
      w.on('message', (m: { squall?: string; baseURL?: string }) => {
        if (m?.squall === 'ready' && m.baseURL) resolve(m.baseURL);
      });
      w.once('exit', (code, signal) => {
        const why = `worker ${w.process.pid} exited (${signal ?? `code ${code}`})`;
        reject(new SquallError('ERR_SQUALL_INTERNAL', `squall serve --workers: ${why} before listening`));
        if (!stopping) onExit(why);
      });
    });
  });
  const stop = async () => {
    stopping = true;
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
  };
  let urls: string[];
  try {
    urls = await Promise.all(ready);
  } catch (e) {
    await stop();
    throw e;
  }
  return { baseURL: urls[0]!, stop, exited };
}
