import { SquallError } from '../errors.ts';
import { offAbort, onAbort } from '../util/abort.ts';

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
  if (!signal) return new Promise((resolve) => clock.setTimeout(resolve, delayMs));
  return new Promise((resolve, reject) => {
    const aborted = () => {
      clock.clearTimeout(handle);
      reject(signal.reason);
    };
    const handle = clock.setTimeout(() => {
      offAbort(signal, aborted);
      resolve();
    }, delayMs);
    onAbort(signal, aborted);
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

/** The handle is the timer itself: setting and clearing one allocates nothing beyond it. */
interface VirtualTimer extends TimerHandle {
  at: number;
  seq: number;
  fn: () => void;
  state: TimerState;
  /** Which clock made it: a handle from another clock is not ours to cancel. */
  owner: VirtualClock;
}

const PENDING = 0;
const FIRED = 1;
const CANCELLED = 2;
type TimerState = typeof PENDING | typeof FIRED | typeof CANCELLED;

/**
 * Discrete-event time: a heap of timers ordered by (time, insertion), and `run()` jumps straight to the
 * next one. Between timers it lets the microtask queue drain, so promise chains (our policies, the openai
 * SDK's retry loop) settle at the instant they belong to before time moves on.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly heap: VirtualTimer[] = [];
  /** Cancelled timers still in the heap (dropped when they reach the top, or compacted away). */
  private cancelledInHeap = 0;
  /** Timers not yet fired or cancelled. */
  private liveCount = 0;
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
    return this.liveCount;
  }

  /** Entries held in the timer heap, cancelled ones included (bounded: they are compacted away). */
  get heapSize(): number {
    return this.heap.length;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = ++this.seq;
    const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const timer: VirtualTimer = { id, at: this.current + d, seq: id, fn, state: PENDING, owner: this };
    this.push(timer);
    this.liveCount++;
    return timer;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    const timer = handle as VirtualTimer | undefined;
    // Clearing a fired, cancelled or foreign timer is a no-op.
    if (!timer || timer.owner !== this || timer.state !== PENDING) return;
    timer.state = CANCELLED;
    this.liveCount--;
    this.cancelledInHeap++;
    // Let go of the callback now: a cancelled 10-minute timeout would otherwise keep its whole request
    // alive in the heap until its time comes.
    timer.fn = NOOP;
    if (this.cancelledInHeap > 1024 && this.cancelledInHeap * 2 > this.heap.length) this.compact();
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
  run(options: { untilMs?: number; maxTimers?: number } = {}): Promise<void> {
    const until = options.untilMs ?? Number.POSITIVE_INFINITY;
    const limit = options.maxTimers ?? 50_000_000;
    const start = this.firedCount;
    let sinceYieldMs = 0;
    let instants = 0;
    return new Promise<void>((resolve, reject) => {
      // The loop in continuation-passing style, with its three callbacks made once per run: an `await`
      // per simulated instant cost a promise, its resolver and a resumption, for every timer of a run.
      // The hops are those the awaits took. An instant is settled once the microtask queue is empty; a
      // nextTick queued from a microtask runs only then (Node's tick processing runs the tick queue, then
      // the whole microtask checkpoint, then ticks queued meanwhile), about ten times cheaper than a
      // setImmediate, which costs an epoll round per instant. The next instant then starts from a
      // microtask, as an awaiting function resumes.
      const resume = () => queueMicrotask(step);
      const afterMicrotasks = () => process.nextTick(resume);
      const step = () => {
        try {
          const next = this.nextAt();
          if (next === undefined || next > until) {
            if (Number.isFinite(until) && until > this.current) this.current = until;
            resolve();
            return;
          }
          // Fire every timer due at this instant before yielding: cheaper, and order is still (time, seq).
          while (this.heap.length > 0 && this.heap[0]!.at === next) {
            const t = this.pop()!;
            if (t.state === CANCELLED) {
              this.cancelledInHeap--;
              continue;
            }
            if (this.firedCount - start >= limit) {
              throw new SquallError(
                'ERR_SQUALL_SIM_LIMIT',
                `simulation fired ${limit} timers without finishing`,
                {
                  hint: 'a policy or client may be retrying in a loop without waiting; check max attempts and delays',
                },
              );
            }
            t.state = FIRED;
            this.liveCount--;
            this.current = t.at;
            this.firedCount++;
            const fn = t.fn;
            t.fn = NOOP;
            fn();
          }
        } catch (e) {
          reject(e);
          return;
        }
        // Most instants settle their promise chains through the cheap drain; every so often a real
        // macrotask boundary lets I/O, signals (Ctrl-C) and other immediates run.
        if (++instants % 512 === 0 || wallNow() - sinceYieldMs > 50) {
          sinceYieldMs = wallNow();
          setImmediate(resume);
        } else queueMicrotask(afterMicrotasks);
      };
      // Whatever was queued before the run settles first.
      setImmediate(resume);
    });
  }

  /** Moves time forward by `ms`, firing what falls due. */
  advance(ms: number): Promise<void> {
    return this.run({ untilMs: this.current + ms });
  }

  /** Drops cancelled timers from the heap (when they are most of it) and restores the heap order. */
  private compact(): void {
    const kept = this.heap.filter((t) => t.state === PENDING);
    this.cancelledInHeap = 0;
    this.heap.length = 0;
    for (const t of kept) this.push(t);
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.state === CANCELLED) {
      this.pop();
      this.cancelledInHeap--;
    }
  }

  /** Sift-up with a hole (no swaps: this runs for every timer of a simulation). */
  private push(t: VirtualTimer): void {
    const h = this.heap;
    let i = h.length;
    h.push(t);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!before(t, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = t;
  }

  private pop(): VirtualTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    const n = h.length;
    if (n > 0 && last) {
      // Sift-down with a hole.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[m]!, last)) break;
        h[i] = h[m]!;
        i = m;
      }
      h[i] = last;
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
