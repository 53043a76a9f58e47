import { Histogram } from '../metrics/histogram.ts';
import type { Clock, TimerHandle } from '../sim/clock.ts';
import type { QueueLimits } from './types.ts';

/** Why a slot was not granted. */
export type Refusal = 'queue_full' | 'wait_timeout';

const WAITING = 0;
const DONE = 1;

/** One caller waiting for a slot; `cancel` it to leave the queue without being called back. */
export interface PoolWaiter {
  readonly atMs: number;
  state: typeof WAITING | typeof DONE;
  timer: TimerHandle | undefined;
  granted: () => void;
  refused: (why: Refusal) => void;
}

/**
 * A fixed number of slots (worker threads, connections) with a bounded FIFO of callers waiting for one:
 * at most `limits.max` wait, each at most `limits.timeoutMs`, and a freed slot passes straight to the
 * oldest waiter so nobody overtakes the queue. Callback style, because the driver asks for a slot per
 * request and a promise per request is measurable in a simulation; {@link acquireAsync} is the same as a
 * promise for code that is async anyway.
 *
 * Waits are recorded for every caller, refused ones included (a timed-out caller waited its whole
 * timeout), so the wait distribution cannot hide the callers it failed.
 */
export class BoundedPool {
  private inUse = 0;
  private maxInUse = 0;
  private waiting = 0;
  private queue: PoolWaiter[] = [];
  private head = 0;
  readonly waits = new Histogram();
  refusedQueueFull = 0;
  refusedTimeout = 0;

  readonly size: number;
  private readonly limits: QueueLimits;
  private readonly clock: Clock;

  constructor(size: number, limits: QueueLimits, clock: Clock) {
    this.size = size;
    this.limits = limits;
    this.clock = clock;
  }

  /** Slots held right now. */
  get busy(): number {
    return this.inUse;
  }

  /** The most slots held at once so far. */
  get busyMax(): number {
    return this.maxInUse;
  }

  /** Callers waiting right now. */
  get queued(): number {
    return this.waiting;
  }

  get refused(): number {
    return this.refusedQueueFull + this.refusedTimeout;
  }

  /**
   * `granted` is called once a slot is the caller's (at once when one is free), or `refused` when the
   * queue is full or the wait runs out. Returns the waiter when the caller has to wait, so it can cancel.
   */
  acquire(granted: () => void, refused: (why: Refusal) => void): PoolWaiter | undefined {
    if (this.inUse < this.size) {
      this.take();
      this.waits.record(0);
      granted();
      return undefined;
    }
    if (this.waiting >= this.limits.max) {
      this.refusedQueueFull++;
      this.waits.record(0);
      refused('queue_full');
      return undefined;
    }
    const waiter: PoolWaiter = { atMs: this.clock.now(), state: WAITING, timer: undefined, granted, refused };
    waiter.timer = this.clock.setTimeout(() => {
      waiter.timer = undefined;
      if (waiter.state !== WAITING) return;
      this.leave(waiter);
      this.refusedTimeout++;
      refused('wait_timeout');
    }, this.limits.timeoutMs);
    this.queue.push(waiter);
    this.waiting++;
    return waiter;
  }

  /** The same as a promise: undefined once the slot is the caller's, else why not. */
  acquireAsync(signal?: AbortSignal): Promise<Refusal | 'aborted' | undefined> {
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const onAbort = () => {
        if (waiter) this.cancel(waiter);
        resolve('aborted');
      };
      const waiter = this.acquire(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(undefined);
        },
        (why) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(why);
        },
      );
      if (waiter) signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Leaves the queue without a slot and without a callback (the caller gave up for its own reasons). */
  cancel(waiter: PoolWaiter): void {
    if (waiter.state !== WAITING) return;
    this.leave(waiter);
  }

  /** Gives a slot back: to the oldest waiter if there is one. */
  release(): void {
    while (this.waiting > 0) {
      const w = this.queue[this.head]!;
      this.queue[this.head] = undefined as unknown as PoolWaiter;
      this.head++;
      if (w.state !== WAITING) continue;
      this.waiting--;
      w.state = DONE;
      this.clock.clearTimeout(w.timer);
      this.waits.record((this.clock.now() - w.atMs) * 1000);
      this.compact();
      // The slot passes as it is: inUse does not change.
      w.granted();
      return;
    }
    this.compact();
    this.inUse = Math.max(0, this.inUse - 1);
  }

  private take(): void {
    this.inUse++;
    if (this.inUse > this.maxInUse) this.maxInUse = this.inUse;
  }

  private leave(waiter: PoolWaiter): void {
    waiter.state = DONE;
    this.waiting--;
    this.clock.clearTimeout(waiter.timer);
    this.waits.record((this.clock.now() - waiter.atMs) * 1000);
    // Left in the array and skipped when it reaches the head; compacted when the queue empties.
    this.compact();
  }

  /**
   * Keeps the array from growing with the number of callers that ever waited: callers that left (timed
   * out, cancelled) stay in it until they reach the head, which never happens while every slot is held.
   */
  private compact(): void {
    if (this.waiting === 0) {
      this.queue.length = 0;
      this.head = 0;
      return;
    }
    const dead = this.queue.length - this.head - this.waiting;
    if (dead > 1024 && dead > this.waiting) {
      this.queue = this.queue.slice(this.head).filter((w) => w.state === WAITING);
      this.head = 0;
    }
  }
}
