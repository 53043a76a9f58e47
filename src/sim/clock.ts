import { SquallError } from '../errors.ts';

/** A timer handle; opaque to callers. */
export interface TimerHandle {
  readonly id: number;
}

/**
 * Everything that waits or reads the time takes a Clock (DESIGN: time is a parameter), so the same code
 * runs in wall time and in simulated time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (virtual clocks start at their own epoch). */
  now(): number;
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Resolves after `delayMs`; rejects with the signal's reason if aborted first. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

function sleepOn(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal!.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Wall time. Timers are real and unref'd never: a pending wait keeps the process alive, as it should. */
export class RealClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    const t = globalThis.setTimeout(
      () => {
        this.timers.delete(id);
        fn();
      },
      Math.max(0, delayMs),
    );
    this.timers.set(id, t);
    return { id };
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t) globalThis.clearTimeout(t);
    this.timers.delete(handle.id);
  }
  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }
}

interface VirtualTimer {
  at: number;
  seq: number;
  id: number;
  fn: () => void;
}

/**
 * Discrete-event time: a heap of timers ordered by (time, insertion), and `run()` jumps straight to the
 * next one. Between timers it lets the microtask queue drain, so promise chains (our policies, the openai
 * SDK's retry loop) settle at the instant they belong to before time moves on.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly heap: VirtualTimer[] = [];
  private readonly cancelled = new Set<number>();
  /** Timers not yet fired or cancelled, by id: clearing a fired timer must be a no-op. */
  private readonly live = new Map<number, VirtualTimer>();
  private firedCount = 0;

  constructor(epochMs = 0) {
    this.current = epochMs;
  }

  now(): number {
    return this.current;
  }

  /** Number of timers fired so far (a cheap progress measure and a guard against runaway simulations). */
  get fired(): number {
    return this.firedCount;
  }

  get pending(): number {
    return this.live.size;
  }

  /** Entries held in the timer heap, cancelled ones included (bounded: they are compacted away). */
  get heapSize(): number {
    return this.heap.length;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = ++this.seq;
    const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const timer: VirtualTimer = { at: this.current + d, seq: id, id, fn };
    this.push(timer);
    this.live.set(id, timer);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    const timer = handle ? this.live.get(handle.id) : undefined;
    if (!timer) return;
    this.live.delete(timer.id);
    this.cancelled.add(timer.id);
    // Let go of the callback now: a cancelled 10-minute timeout would otherwise keep its whole request
    // alive in the heap until its time comes.
    timer.fn = NOOP;
    if (this.cancelled.size > 1024 && this.cancelled.size * 2 > this.heap.length) this.compact();
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }

  /** Time of the next live timer, or undefined when idle. */
  nextAt(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.at;
  }

  /**
   * Runs timers in order until none is left or `untilMs` is reached (the clock then stands at `untilMs`).
   * `maxTimers` bounds the work so a runaway loop fails loudly instead of spinning forever.
   */
  async run(options: { untilMs?: number; maxTimers?: number } = {}): Promise<void> {
    const until = options.untilMs ?? Number.POSITIVE_INFINITY;
    const limit = options.maxTimers ?? 50_000_000;
    const start = this.firedCount;
    await drainMicrotasks();
    let sinceYieldMs = 0;
    let instants = 0;
    for (;;) {
      const next = this.nextAt();
      if (next === undefined || next > until) break;
      // Fire every timer due at this instant before yielding: cheaper, and order is still (time, seq).
      while (this.heap.length > 0 && this.heap[0]!.at === next) {
        const t = this.pop()!;
        if (this.cancelled.delete(t.id)) continue;
        if (this.firedCount - start >= limit) {
          throw new SquallError(
            'ERR_SQUALL_SIM_LIMIT',
            `simulation fired ${limit} timers without finishing`,
            {
              hint: 'a policy or client may be retrying in a loop without waiting; check max attempts and delays',
            },
          );
        }
        this.live.delete(t.id);
        this.current = t.at;
        this.firedCount++;
        t.fn();
      }
      // Most instants settle their promise chains through the cheap drain; every so often a real
      // macrotask boundary lets I/O, signals (Ctrl-C) and other immediates run.
      if (++instants % 512 === 0 || wallNow() - sinceYieldMs > 50) {
        await drainMicrotasks();
        sinceYieldMs = wallNow();
      } else await settleMicrotasks();
    }
    if (Number.isFinite(until) && until > this.current) this.current = until;
  }

  /** Moves time forward by `ms`, firing what falls due. */
  advance(ms: number): Promise<void> {
    return this.run({ untilMs: this.current + ms });
  }

  /** Drops cancelled timers from the heap (when they are most of it) and restores the heap order. */
  private compact(): void {
    const kept = this.heap.filter((t) => !this.cancelled.has(t.id));
    this.cancelled.clear();
    this.heap.length = 0;
    for (const t of kept) this.push(t);
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.cancelled.has(this.heap[0]!.id)) {
      this.cancelled.delete(this.pop()!.id);
    }
  }

  private push(t: VirtualTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): VirtualTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

const NOOP = () => {};
/** Bound now: library code under test may have `performance.now` virtualised (src/sim/globals.ts). */
const wallNow = performance.now.bind(performance);

function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * Resolves once the microtask queue is empty, without a trip through the event loop: a `nextTick`
 * queued from a microtask runs only after V8 has drained every microtask (Node's tick processing runs the
 * tick queue, then the whole microtask checkpoint, then ticks queued meanwhile). About ten times cheaper
 * than setImmediate, which costs an epoll round per simulated instant.
 */
export function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => queueMicrotask(() => process.nextTick(resolve)));
}

/** A macrotask boundary: every queued microtask (and those they queue) runs before it resolves. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
