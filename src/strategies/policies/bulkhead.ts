import { integerAtLeast, nonNegative } from '../check.ts';
import type { Execution, Next, Policy, PolicyResult, Rejection } from '../policy.ts';

export interface BulkheadOptions {
  /** Attempts allowed to run at once. */
  maxConcurrent: number;
  /** Callers allowed to wait for a slot; beyond it they are shed at once. Default 0 (no waiting). */
  maxQueue?: number;
  /** Longest a caller waits for a slot before being shed. Default: until a slot frees or its signal aborts. */
  maxWaitMs?: number;
}

interface Waiter {
  grant(): void;
}

/**
 * Caps concurrent calls through it (cockatiel bulkhead, Polly concurrency limiter), so a slow upstream
 * cannot tie up every connection (the seed article's exhausted thread pools). Excess callers wait in a
 * FIFO of `maxQueue`, and are shed when it is full, when `maxWaitMs` runs out, or when aborted.
 * A freed slot passes straight to the oldest waiter, so nobody can overtake the queue.
 */
export function bulkhead(o: BulkheadOptions, where = 'bulkhead'): Policy {
  integerAtLeast(where, 'maxConcurrent', o.maxConcurrent, 1);
  const maxQueue = o.maxQueue === undefined ? 0 : integerAtLeast(where, 'maxQueue', o.maxQueue, 0);
  if (o.maxWaitMs !== undefined) nonNegative(where, 'maxWaitMs', o.maxWaitMs);
  let active = 0;
  const queue: Waiter[] = [];

  const release = (): void => {
    const waiter = queue.shift();
    if (waiter) waiter.grant();
    else active--;
  };

  const waitForSlot = (exec: Execution): Promise<boolean> =>
    new Promise((resolve) => {
      const { clock } = exec.ctx;
      const signal = exec.signal;
      let timer: ReturnType<typeof clock.setTimeout> | undefined;
      const leave = (): void => {
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        clock.clearTimeout(timer);
        timer = undefined;
        signal?.removeEventListener('abort', leave);
        resolve(false);
      };
      const waiter: Waiter = {
        grant() {
          clock.clearTimeout(timer);
          signal?.removeEventListener('abort', leave);
          resolve(true);
        },
      };
      if (signal?.aborted) return resolve(false);
      queue.push(waiter);
      if (o.maxWaitMs !== undefined) {
        timer = clock.setTimeout(() => {
          timer = undefined; // fired: nothing left to clear
          leave();
        }, o.maxWaitMs);
      }
      signal?.addEventListener('abort', leave, { once: true });
    });

  return {
    name: 'bulkhead',
    async execute(exec: Execution, next: Next): Promise<PolicyResult> {
      if (active < o.maxConcurrent) {
        active++;
      } else if (queue.length < maxQueue) {
        if (!(await waitForSlot(exec))) return shed(exec, 'waited too long for a slot');
      } else {
        return shed(exec, `${o.maxConcurrent} calls in flight and ${maxQueue} waiting`);
      }
      try {
        return await next(exec);
      } finally {
        release();
      }
    },
  };
}

function shed(exec: Execution, message: string): Rejection {
  exec.ctx.emit({ type: 'shed', requestId: exec.req.id, by: 'bulkhead', atMs: exec.ctx.clock.now() });
  return { kind: 'rejected', by: 'bulkhead', reason: 'shed', message: `bulkhead full: ${message}` };
}
